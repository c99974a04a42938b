#include "api_error.h"

namespace gemma::server {

nlohmann::ordered_json ApiError::ToJson() const {
  nlohmann::ordered_json e;
  e["message"] = message;
  e["type"] = type;
  e["param"] = param.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(param);
  e["code"] = code.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(code);
  nlohmann::ordered_json out;
  out["error"] = std::move(e);
  return out;
}

HttpReply ApiError::ToReply() const {
  HttpReply r;
  r.status = status;
  r.body = Dump(ToJson());
  r.headers = headers;
  return r;
}

ApiError BadRequest(std::string message, std::string param, std::string code) {
  return {400, std::move(message), "invalid_request_error", std::move(param), std::move(code), {}};
}

ApiError Unauthorized(std::string message) {
  return {401, std::move(message), "invalid_request_error",
          "",  "invalid_api_key",  {{"WWW-Authenticate", "Bearer"}}};
}

ApiError NotFound(std::string message, std::string code) {
  return {404, std::move(message), "invalid_request_error", "", std::move(code), {}};
}

ApiError PayloadTooLarge(size_t limit) {
  return {413,
          "Request body too large: the limit is " + std::to_string(limit) + " bytes",
          "invalid_request_error",
          "",
          "request_too_large",
          {}};
}

ApiError ServiceUnavailable(std::string message, std::string code) {
  return {503, std::move(message), "server_error", "", std::move(code), {{"Retry-After", "1"}}};
}

ApiError InternalError(std::string message) {
  return {500, std::move(message), "server_error", "", "internal_error", {}};
}

ApiError FromStatus(const Status& status, const std::string& param) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return BadRequest(status.message(), param, "invalid_value");
    case StatusCode::kResourceExhausted:
      return ServiceUnavailable("Server overloaded: " + status.message(), "overloaded");
    case StatusCode::kCancelled:
      return ServiceUnavailable("Server shutting down: " + status.message(), "shutting_down");
    default:
      return InternalError(status.ToString());
  }
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

HttpReply JsonReply(int status, const nlohmann::ordered_json& body) {
  HttpReply r;
  r.status = status;
  r.body = Dump(body);
  return r;
}

}  // namespace gemma::server

// OpenAI-style error objects and the plain reply type routes hand to a
// connection: {"error": {"message", "type", "param", "code"}}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gemma/status.h"

namespace gemma::server {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;
};

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // empty = null
  std::string code;   // empty = null
  Headers headers;    // e.g. Retry-After

  nlohmann::ordered_json ToJson() const;
  HttpReply ToReply() const;
};

ApiError BadRequest(std::string message, std::string param = "", std::string code = "");
ApiError Unauthorized(std::string message);
ApiError NotFound(std::string message, std::string code = "not_found");
ApiError PayloadTooLarge(size_t limit);
ApiError ServiceUnavailable(std::string message, std::string code);
ApiError InternalError(std::string message);
// Maps a library Status (from Submit, ...) to the right HTTP error.
ApiError FromStatus(const Status& status, const std::string& param = "");

// JSON text for the wire: invalid UTF-8 (never expected) becomes U+FFFD.
std::string Dump(const nlohmann::json& j);
std::string Dump(const nlohmann::ordered_json& j);

HttpReply JsonReply(int status, const nlohmann::ordered_json& body);

}  // namespace gemma::server

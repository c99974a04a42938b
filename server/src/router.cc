#include "router.h"

#include <chrono>

#include "routes/misc_routes.h"
#include "routes/openai_completions.h"
#include "routes/openai_request.h"

namespace gemma::server {
namespace {

enum class RouteId {
  kChat,
  kCompletions,
  kModels,
  kModel,
  kHealth,
  kMetrics,
  kTokenize,
  kDetokenize,
  kWebSocket,
  kUnknown
};

struct RouteSpec {
  RouteId id;
  const char* label;
  const char* method;
};

RouteSpec Lookup(const std::string& path, std::string* model_id) {
  if (path == "/v1/chat/completions") return {RouteId::kChat, "/v1/chat/completions", "POST"};
  if (path == "/v1/completions") return {RouteId::kCompletions, "/v1/completions", "POST"};
  if (path == "/v1/models") return {RouteId::kModels, "/v1/models", "GET"};
  if (path.rfind("/v1/models/", 0) == 0) {
    *model_id = path.substr(11);
    return {RouteId::kModel, "/v1/models/{model}", "GET"};
  }
  if (path == "/health") return {RouteId::kHealth, "/health", "GET"};
  if (path == "/metrics") return {RouteId::kMetrics, "/metrics", "GET"};
  if (path == "/tokenize") return {RouteId::kTokenize, "/tokenize", "POST"};
  if (path == "/detokenize") return {RouteId::kDetokenize, "/detokenize", "POST"};
  if (path == "/v1/ws") return {RouteId::kWebSocket, "/v1/ws", "GET"};
  return {RouteId::kUnknown, "other", ""};
}

bool OriginAllowed(const ServerConfig& c, const std::string& origin) {
  for (const std::string& o : c.cors_origins) {
    if (o == "*" || o == origin) return true;
  }
  return false;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Answers a generation request: parse, validate, check the model, start.
RouteResult Generate(AppState& app, RouteResult r, const std::string& body, bool chat,
                     bool force_stream, const std::shared_ptr<ResponseSink>& sink) {
  auto parsed = ParseJsonBody(body);
  if (auto* e = std::get_if<ApiError>(&parsed)) {
    r.reply = e->ToReply();
    return r;
  }
  nlohmann::json& j = std::get<0>(parsed);
  if (force_stream) {
    j.erase("type");
    if (!j.contains("stream")) j["stream"] = true;
  }
  RequestLimits limits{app.config().max_n, app.model().tokenizer().vocab_size()};
  auto params = ParseCompletionRequest(j, chat, limits);
  if (auto* e = std::get_if<ApiError>(&params)) {
    r.reply = e->ToReply();
    return r;
  }
  CompletionParams& p = std::get<0>(params);
  if (force_stream) p.stream = true;
  if (!app.MatchesModel(p.model)) {
    r.reply = NotFound("The model '" + p.model + "' does not exist", "model_not_found").ToReply();
    return r;
  }
  auto started = StartCompletion(app, std::move(p), sink);
  if (auto* e = std::get_if<ApiError>(&started)) {
    r.reply = e->ToReply();
  } else {
    r.job = std::get<0>(std::move(started));
  }
  return r;
}

}  // namespace

std::string RouteLabel(const std::string& target) {
  std::string model_id;
  return Lookup(target.substr(0, target.find('?')), &model_id).label;
}

RouteResult Route(AppState& app, const RequestInfo& req,
                  const std::shared_ptr<ResponseSink>& sink) {
  const ServerConfig& cfg = app.config();
  RouteResult r;
  const std::string path = req.target.substr(0, req.target.find('?'));
  std::string model_id;
  const RouteSpec spec = Lookup(path, &model_id);
  r.route = spec.label;

  if (!req.origin.empty() && OriginAllowed(cfg, req.origin)) {
    r.headers.emplace_back("Access-Control-Allow-Origin", req.origin);
    r.headers.emplace_back("Vary", "Origin");
    r.headers.emplace_back("Access-Control-Expose-Headers",
                           "x-request-id, x-ratelimit-limit, x-ratelimit-remaining, "
                           "x-ratelimit-reset, retry-after");
  }
  if (req.method == "OPTIONS") {
    HttpReply reply;
    reply.status = 204;
    reply.content_type.clear();
    if (!req.origin.empty() && OriginAllowed(cfg, req.origin)) {
      reply.headers = {{"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                       {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
                       {"Access-Control-Max-Age", "600"}};
    }
    r.reply = std::move(reply);
    return r;
  }
  if (spec.id == RouteId::kUnknown) {
    r.reply = NotFound("Unknown route " + req.method + " " + path, "unknown_url").ToReply();
    return r;
  }
  if (req.method != spec.method) {
    ApiError e{405,
               "Method " + req.method + " is not allowed on " + path + "; use " + spec.method,
               "invalid_request_error",
               "",
               "method_not_allowed",
               {{"Allow", spec.method}}};
    r.reply = e.ToReply();
    return r;
  }

  const bool open_route = (spec.id == RouteId::kHealth && !cfg.auth_health) ||
                          (spec.id == RouteId::kMetrics && !cfg.auth_metrics);
  std::string principal;
  if (!open_route && app.auth().enabled()) {
    AuthResult a = app.auth().Check(req.authorization, UnixNow());
    if (!a.ok) {
      r.reply = Unauthorized(a.error).ToReply();
      return r;
    }
    principal = a.principal;
  }
  r.rate_key = principal.empty() ? "ip:" + req.client_ip : principal;
  if (spec.id != RouteId::kHealth && spec.id != RouteId::kMetrics && app.limiter() != nullptr) {
    RateDecision d = app.limiter()->Take(r.rate_key);
    Headers h = d.ToHeaders();
    if (!d.allowed) {
      ApiError e{429,
                 "Rate limit reached: " + std::to_string(d.limit) +
                     " requests per minute. Retry after the time in Retry-After.",
                 "requests",
                 "",
                 "rate_limit_exceeded",
                 {}};
      r.reply = e.ToReply();
      r.reply->headers = h;
      return r;
    }
    r.headers.insert(r.headers.end(), h.begin(), h.end());
  }

  switch (spec.id) {
    case RouteId::kHealth:
      r.reply = HealthReply(app);
      return r;
    case RouteId::kMetrics:
      r.reply = MetricsReply(app);
      return r;
    default:
      break;
  }
  if (app.draining()) {
    r.reply = ServiceUnavailable("The server is shutting down", "shutting_down").ToReply();
    return r;
  }
  if (!app.ready()) {
    r.reply = app.phase() == Phase::kLoading
                  ? ServiceUnavailable("The model is still loading", "model_loading").ToReply()
                  : ServiceUnavailable("The model failed to load", "model_error").ToReply();
    return r;
  }
  switch (spec.id) {
    case RouteId::kModels:
      r.reply = ModelsReply(app);
      return r;
    case RouteId::kModel:
      r.reply = ModelReply(app, model_id);
      return r;
    case RouteId::kTokenize:
      r.reply = TokenizeReply(app, req.body);
      return r;
    case RouteId::kDetokenize:
      r.reply = DetokenizeReply(app, req.body);
      return r;
    case RouteId::kWebSocket:
      if (!req.websocket_upgrade) {
        ApiError e{426,
                   "/v1/ws needs a WebSocket upgrade",
                   "invalid_request_error",
                   "",
                   "upgrade_required",
                   {{"Upgrade", "websocket"}}};
        r.reply = e.ToReply();
      } else {
        r.upgrade = true;
      }
      return r;
    case RouteId::kChat:
      return Generate(app, std::move(r), req.body, true, false, sink);
    case RouteId::kCompletions:
      return Generate(app, std::move(r), req.body, false, false, sink);
    default:
      r.reply = InternalError("unhandled route").ToReply();
      return r;
  }
}

WsStart StartWebSocketRequest(AppState& app, const std::string& text, const std::string& rate_key,
                              const std::shared_ptr<ResponseSink>& sink) {
  WsStart out;
  if (app.limiter() != nullptr) {
    RateDecision d = app.limiter()->Take(rate_key);
    out.rate_headers = d.ToHeaders();
    if (!d.allowed) {
      out.error =
          ApiError{429,
                   "Rate limit reached: " + std::to_string(d.limit) + " requests per minute",
                   "requests",
                   "",
                   "rate_limit_exceeded",
                   out.rate_headers};
      return out;
    }
  }
  if (app.draining()) {
    out.error = ServiceUnavailable("The server is shutting down", "shutting_down");
    return out;
  }
  auto parsed = ParseJsonBody(text);
  if (auto* e = std::get_if<ApiError>(&parsed)) {
    out.error = *e;
    return out;
  }
  const nlohmann::json& j = std::get<0>(parsed);
  bool chat = j.contains("messages");
  if (auto t = j.find("type"); t != j.end()) {
    if (*t == "chat.completions") {
      chat = true;
    } else if (*t == "completions") {
      chat = false;
    } else {
      out.error =
          BadRequest("'type' must be \"chat.completions\", \"completions\" or \"cancel\"", "type");
      return out;
    }
  }
  RouteResult r = Generate(app, RouteResult{}, text, chat, true, sink);
  if (r.reply) {
    const nlohmann::json body = nlohmann::json::parse(r.reply->body, nullptr, false);
    ApiError e;
    e.status = r.reply->status;
    if (body.contains("error")) {
      const auto& err = body["error"];
      e.message = err.value("message", "");
      e.type = err.value("type", "invalid_request_error");
      e.param = err["param"].is_string() ? err["param"].get<std::string>() : "";
      e.code = err["code"].is_string() ? err["code"].get<std::string>() : "";
    }
    out.error = e;
    return out;
  }
  out.job = r.job;
  return out;
}

}  // namespace gemma::server

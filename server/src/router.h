// HTTP routing and the policy every request passes through, in order: CORS
// (preflight answered here), route lookup (404/405), authentication (401),
// rate limiting (429), readiness (503), then the route itself.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api_error.h"
#include "app_state.h"
#include "response_sink.h"

namespace gemma::server {

struct RequestInfo {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as received
  std::string authorization;
  std::string origin;
  std::string body;
  std::string client_ip;
  bool websocket_upgrade = false;
};

struct RouteResult {
  std::string route;                 // metrics label: the route pattern, or "other"
  Headers headers;                   // added to whatever is sent (rate limit, CORS)
  std::optional<HttpReply> reply;    // answered at once, or
  std::shared_ptr<Cancellable> job;  // the answer comes later through the sink
  bool upgrade = false;              // hand the connection to a WebSocket session
  std::string rate_key;              // who the request counts against
};

RouteResult Route(AppState& app, const RequestInfo& req, const std::shared_ptr<ResponseSink>& sink);

// The metrics label of a request target (for answers sent before routing).
std::string RouteLabel(const std::string& target);

// One request message on an open WebSocket: the same JSON as the HTTP routes
// ("messages" = chat, "prompt" = completions; an optional "type" of
// "chat.completions" or "completions" says which), always streamed.
struct WsStart {
  std::optional<ApiError> error;
  Headers rate_headers;
  std::shared_ptr<Cancellable> job;
};
WsStart StartWebSocketRequest(AppState& app, const std::string& text, const std::string& rate_key,
                              const std::shared_ptr<ResponseSink>& sink);

}  // namespace gemma::server

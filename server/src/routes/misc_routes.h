// The routes that do not generate: /health, /metrics, /v1/models,
// /tokenize and /detokenize. All answer at once.
#pragma once

#include <string>

#include "api_error.h"
#include "app_state.h"

namespace gemma::server {

HttpReply HealthReply(const AppState& app);
HttpReply MetricsReply(AppState& app);
HttpReply ModelsReply(const AppState& app);
HttpReply ModelReply(const AppState& app, const std::string& id);
HttpReply TokenizeReply(const AppState& app, const std::string& body);
HttpReply DetokenizeReply(const AppState& app, const std::string& body);

}  // namespace gemma::server

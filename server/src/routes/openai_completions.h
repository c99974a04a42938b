// A /v1/completions or /v1/chat/completions request in flight: tokenizes the
// prompt(s), submits one scheduler request per choice (n > 1: seeds seed,
// seed+1, ...), turns scheduler events into OpenAI chunks or the final
// response object, records metrics, and can be cancelled.
#pragma once

#include <memory>
#include <variant>

#include "app_state.h"
#include "response_sink.h"
#include "routes/openai_request.h"

namespace gemma::server {

// Submits the request. On success, everything else (stream chunks, the reply,
// errors raised later) goes to `sink`; on failure nothing was sent there and
// the error is returned (400 prompt too long, 503 queue full, ...).
std::variant<std::shared_ptr<Cancellable>, ApiError> StartCompletion(
    AppState& app, CompletionParams params, std::shared_ptr<ResponseSink> sink);

// Renders and tokenizes the prompt(s) of `params` (chat template + BOS for
// chat; BOS + text, or the given ids, for completions).
std::variant<std::vector<std::vector<int32_t>>, ApiError> TokenizePrompts(
    const Tokenizer& tok, const CompletionParams& params);

}  // namespace gemma::server

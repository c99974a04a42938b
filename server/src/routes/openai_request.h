// Parsing and validation of /v1/completions and /v1/chat/completions request
// bodies. Every field is checked (type, range); unknown fields are 400 errors
// that name them, so a typo never silently changes behaviour.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api_error.h"
#include "gemma/engine.h"
#include "gemma/tokenizer.h"

namespace gemma::server {

struct CompletionParams {
  bool chat = false;
  std::string model;                                // as sent; empty = the served model
  std::vector<ChatMessage> messages;                // chat
  std::vector<std::string> prompt_texts;            // completions: text prompts, or
  std::vector<std::vector<int32_t>> prompt_tokens;  // token-id prompts
  int n = 1;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  std::optional<size_t> max_tokens;
  std::vector<std::string> stop;
  SamplingParams sampling;  // seed filled even when not sent
  bool seed_given = false;
  bool logprobs = false;
  int top_logprobs = 0;
  bool ignore_eos = false;  // extension: don't stop at <eos>/<end_of_turn>

  size_t num_prompts() const { return chat ? 1 : prompt_texts.size() + prompt_tokens.size(); }
};

struct RequestLimits {
  size_t max_n = 16;
  size_t vocab_size = 0;  // token-id prompts are checked against it (0 = no check)
};

// `body` must already be parsed JSON. Returns params or the 400 error.
std::variant<CompletionParams, ApiError> ParseCompletionRequest(const nlohmann::json& body,
                                                                bool chat,
                                                                const RequestLimits& limits);

// Parses a request body as JSON: 400 with the parser's message on failure
// (including invalid UTF-8), and a 400 unless it is an object.
std::variant<nlohmann::json, ApiError> ParseJsonBody(const std::string& body);

}  // namespace gemma::server

// OpenAI response objects: chat.completion, chat.completion.chunk and
// text_completion (whole and streamed), usage and logprobs, built with
// ordered JSON so fields appear in OpenAI's order.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gemma/tokenizer.h"

namespace gemma::server {

using ojson = nlohmann::ordered_json;

struct ResponseMeta {
  bool chat = false;
  std::string id;  // chatcmpl-... / cmpl-...
  int64_t created = 0;
  std::string model;
};

struct TokenAlternative {
  int32_t token = 0;
  float logprob = 0;
};

// One generated token with its log-probability (and alternatives).
struct TokenLogprobInfo {
  int32_t token = 0;
  float logprob = 0;
  std::vector<TokenAlternative> top;
};

struct ChoiceResult {
  std::string text;
  std::string finish_reason;  // "stop", "length", "cancelled"
  std::vector<TokenLogprobInfo> logprobs;
  bool want_logprobs = false;
};

std::string NewResponseId(bool chat);
std::string SystemFingerprint();

// The text of one token as OpenAI reports it, and its raw bytes.
std::string TokenText(const Tokenizer& tok, int32_t id);
std::vector<int> TokenBytes(const Tokenizer& tok, int32_t id);

ojson UsageJson(size_t prompt_tokens, size_t completion_tokens);
// Chat: {"content": [...], "refusal": null}; completions: {"tokens", "token_logprobs",
// "top_logprobs", "text_offset"} (text_offset counts from `offset0`).
ojson LogprobsJson(const Tokenizer& tok, bool chat, const std::vector<TokenLogprobInfo>& entries,
                   size_t offset0);

// One streamed chunk for choice `index`. For chat, `role` adds
// "role":"assistant" to the delta; `text` is omitted from the delta when
// nullopt (the final chunk's delta is {}). `finish_reason` empty = null.
ojson StreamChunk(const ResponseMeta& meta, int index, bool role, std::optional<std::string> text,
                  ojson logprobs, const std::string& finish_reason, bool usage_null);
// The last chunk when stream_options.include_usage: no choices, the usage.
ojson UsageChunk(const ResponseMeta& meta, size_t prompt_tokens, size_t completion_tokens);
// The whole non-streamed response.
ojson FullResponse(const Tokenizer& tok, const ResponseMeta& meta,
                   const std::vector<ChoiceResult>& choices, size_t prompt_tokens,
                   size_t completion_tokens);

}  // namespace gemma::server

#include "routes/openai_response.h"

#include <random>

namespace gemma::server {

std::string NewResponseId(bool chat) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id = chat ? "chatcmpl-" : "cmpl-";
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng() % 62];
  return id;
}

std::string SystemFingerprint() { return "fp_gemma_core_0_1"; }

std::string TokenText(const Tokenizer& tok, int32_t id) {
  const int32_t ids[1] = {id};
  return tok.Decode(ids);
}

std::vector<int> TokenBytes(const Tokenizer& tok, int32_t id) {
  const int b = tok.ByteValue(id);
  if (b >= 0) return {b};
  std::vector<int> out;
  for (unsigned char c : TokenText(tok, id)) out.push_back(c);
  return out;
}

ojson UsageJson(size_t prompt_tokens, size_t completion_tokens) {
  ojson u;
  u["prompt_tokens"] = prompt_tokens;
  u["completion_tokens"] = completion_tokens;
  u["total_tokens"] = prompt_tokens + completion_tokens;
  return u;
}

ojson LogprobsJson(const Tokenizer& tok, bool chat, const std::vector<TokenLogprobInfo>& entries,
                   size_t offset0) {
  if (chat) {
    ojson content = ojson::array();
    for (const TokenLogprobInfo& e : entries) {
      ojson item;
      item["token"] = TokenText(tok, e.token);
      item["logprob"] = e.logprob;
      item["bytes"] = TokenBytes(tok, e.token);
      ojson top = ojson::array();
      for (const TokenAlternative& a : e.top) {
        ojson alt;
        alt["token"] = TokenText(tok, a.token);
        alt["logprob"] = a.logprob;
        alt["bytes"] = TokenBytes(tok, a.token);
        top.push_back(std::move(alt));
      }
      item["top_logprobs"] = std::move(top);
      content.push_back(std::move(item));
    }
    ojson lp;
    lp["content"] = std::move(content);
    lp["refusal"] = nullptr;
    return lp;
  }
  ojson tokens = ojson::array(), token_logprobs = ojson::array(), top = ojson::array(),
        offsets = ojson::array();
  size_t offset = offset0;
  for (const TokenLogprobInfo& e : entries) {
    const std::string text = TokenText(tok, e.token);
    tokens.push_back(text);
    token_logprobs.push_back(e.logprob);
    ojson alts = ojson::object();
    for (const TokenAlternative& a : e.top) alts[TokenText(tok, a.token)] = a.logprob;
    top.push_back(std::move(alts));
    offsets.push_back(offset);
    offset += text.size();
  }
  ojson lp;
  lp["tokens"] = std::move(tokens);
  lp["token_logprobs"] = std::move(token_logprobs);
  lp["top_logprobs"] = std::move(top);
  lp["text_offset"] = std::move(offsets);
  return lp;
}

namespace {

ojson Header(const ResponseMeta& meta, const char* object) {
  ojson j;
  j["id"] = meta.id;
  j["object"] = object;
  j["created"] = meta.created;
  j["model"] = meta.model;
  j["system_fingerprint"] = SystemFingerprint();
  return j;
}

ojson Reason(const std::string& r) { return r.empty() ? ojson(nullptr) : ojson(r); }

}  // namespace

ojson StreamChunk(const ResponseMeta& meta, int index, bool role, std::optional<std::string> text,
                  ojson logprobs, const std::string& finish_reason, bool usage_null) {
  ojson j = Header(meta, meta.chat ? "chat.completion.chunk" : "text_completion");
  ojson choice;
  if (meta.chat) {
    choice["index"] = index;
    ojson delta = ojson::object();
    if (role) delta["role"] = "assistant";
    if (text) delta["content"] = std::move(*text);
    choice["delta"] = std::move(delta);
  } else {
    choice["text"] = text ? std::move(*text) : std::string();
    choice["index"] = index;
  }
  choice["logprobs"] = std::move(logprobs);
  choice["finish_reason"] = Reason(finish_reason);
  j["choices"] = ojson::array({std::move(choice)});
  if (usage_null) j["usage"] = nullptr;
  return j;
}

ojson UsageChunk(const ResponseMeta& meta, size_t prompt_tokens, size_t completion_tokens) {
  ojson j = Header(meta, meta.chat ? "chat.completion.chunk" : "text_completion");
  j["choices"] = ojson::array();
  j["usage"] = UsageJson(prompt_tokens, completion_tokens);
  return j;
}

ojson FullResponse(const Tokenizer& tok, const ResponseMeta& meta,
                   const std::vector<ChoiceResult>& choices, size_t prompt_tokens,
                   size_t completion_tokens) {
  ojson j;
  j["id"] = meta.id;
  j["object"] = meta.chat ? "chat.completion" : "text_completion";
  j["created"] = meta.created;
  j["model"] = meta.model;
  ojson arr = ojson::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceResult& c = choices[i];
    ojson choice;
    ojson lp = c.want_logprobs ? LogprobsJson(tok, meta.chat, c.logprobs, 0) : ojson(nullptr);
    if (meta.chat) {
      choice["index"] = i;
      ojson message;
      message["role"] = "assistant";
      message["content"] = c.text;
      message["refusal"] = nullptr;
      choice["message"] = std::move(message);
    } else {
      choice["text"] = c.text;
      choice["index"] = i;
    }
    choice["logprobs"] = std::move(lp);
    choice["finish_reason"] = Reason(c.finish_reason);
    arr.push_back(std::move(choice));
  }
  j["choices"] = std::move(arr);
  j["usage"] = UsageJson(prompt_tokens, completion_tokens);
  j["system_fingerprint"] = SystemFingerprint();
  return j;
}

}  // namespace gemma::server

#include "routes/openai_request.h"

#include <cmath>
#include <limits>
#include <random>
#include <set>

namespace gemma::server {
namespace {

using nlohmann::json;

// Helpers return an error message ("" = fine) so the caller names the field.
class Reader {
 public:
  explicit Reader(const json& body) : body_(body) {}

  // The value of a field, or nullptr when absent or JSON null (OpenAI treats
  // null as "not given").
  const json* Get(const char* key) {
    auto it = body_.find(key);
    if (it == body_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::optional<ApiError> Number(const char* key, double min, double max, float* out) {
    const json* v = Get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) return BadRequest(std::string("'") + key + "' must be a number", key);
    const double d = v->get<double>();
    if (!(d >= min && d <= max)) {
      return BadRequest(std::string("'") + key + "' must be between " + Fmt(min) + " and " +
                            Fmt(max) + " (got " + Fmt(d) + ")",
                        key);
    }
    *out = static_cast<float>(d);
    return std::nullopt;
  }
  std::optional<ApiError> Integer(const char* key, int64_t min, int64_t max, int64_t* out) {
    const json* v = Get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer())
      return BadRequest(std::string("'") + key + "' must be an integer", key);
    const int64_t i =
        v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX ? INT64_MAX : v->get<int64_t>();
    if (i < min || i > max) {
      return BadRequest(std::string("'") + key + "' must be between " + std::to_string(min) +
                            " and " + std::to_string(max) + " (got " + std::to_string(i) + ")",
                        key);
    }
    *out = i;
    return std::nullopt;
  }
  std::optional<ApiError> Bool(const char* key, bool* out) {
    const json* v = Get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) return BadRequest(std::string("'") + key + "' must be a boolean", key);
    *out = v->get<bool>();
    return std::nullopt;
  }

 private:
  static std::string Fmt(double d) {
    std::ostringstream s;
    s << d;
    return s.str();
  }
  const json& body_;
};

#define RETURN_IF_API_ERROR(expr)     \
  do {                                \
    if (auto e_ = (expr)) return *e_; \
  } while (0)

const std::set<std::string>& AllowedFields(bool chat) {
  static const std::set<std::string> kCommon = {"model",
                                                "stream",
                                                "stream_options",
                                                "max_tokens",
                                                "temperature",
                                                "top_p",
                                                "seed",
                                                "presence_penalty",
                                                "frequency_penalty",
                                                "n",
                                                "logprobs",
                                                "stop",
                                                "user",
                                                "top_k",
                                                "min_p",
                                                "repetition_penalty",
                                                "ignore_eos",
                                                "logit_bias"};
  static const std::set<std::string> kChat = [] {
    auto s = kCommon;
    s.insert({"messages", "top_logprobs", "max_completion_tokens", "response_format"});
    return s;
  }();
  static const std::set<std::string> kCompletion = [] {
    auto s = kCommon;
    s.insert({"prompt", "echo", "best_of", "suffix"});
    return s;
  }();
  return chat ? kChat : kCompletion;
}

std::optional<ApiError> ParseMessages(const json* v, std::vector<ChatMessage>* out) {
  if (v == nullptr) return BadRequest("'messages' is required", "messages");
  if (!v->is_array() || v->empty()) {
    return BadRequest("'messages' must be a non-empty array", "messages");
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const json& m = (*v)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return BadRequest("'" + where + "' must be an object", where);
    for (auto& [k, val] : m.items()) {
      if (k != "role" && k != "content" && k != "name") {
        return BadRequest("Unrecognized field '" + where + "." + k + "'", where + "." + k,
                          "unknown_field");
      }
    }
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) {
      return BadRequest("'" + where + ".role' must be a string", where + ".role");
    }
    ChatMessage msg;
    msg.role = role->get<std::string>();
    if (msg.role == "developer") msg.role = "system";
    if (msg.role != "system" && msg.role != "user" && msg.role != "assistant") {
      return BadRequest("'" + where + ".role' must be system, developer, user or assistant",
                        where + ".role");
    }
    auto content = m.find("content");
    if (content == m.end() || content->is_null()) {
      return BadRequest("'" + where + ".content' is required", where + ".content");
    }
    if (content->is_string()) {
      msg.content = content->get<std::string>();
    } else if (content->is_array()) {
      // Content parts: only text parts are supported (text models).
      for (const json& part : *content) {
        auto type = part.is_object() ? part.find("type") : part.end();
        auto text = part.is_object() ? part.find("text") : part.end();
        if (type == part.end() || *type != "text" || text == part.end() || !text->is_string()) {
          return BadRequest(
              "'" + where + ".content' parts must be {\"type\":\"text\",\"text\":...}",
              where + ".content");
        }
        msg.content += text->get<std::string>();
      }
    } else {
      return BadRequest("'" + where + ".content' must be a string or an array of text parts",
                        where + ".content");
    }
    if (auto name = m.find("name"); name != m.end() && !name->is_string()) {
      return BadRequest("'" + where + ".name' must be a string", where + ".name");
    }
    out->push_back(std::move(msg));
  }
  return std::nullopt;
}

std::optional<ApiError> ParsePrompt(const json* v, size_t vocab, CompletionParams* p) {
  if (v == nullptr) return BadRequest("'prompt' is required", "prompt");
  auto tokens = [&](const json& arr, std::vector<int32_t>* out) -> std::optional<ApiError> {
    if (arr.empty()) return BadRequest("'prompt' token arrays must not be empty", "prompt");
    for (const json& t : arr) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
          (vocab != 0 && t.get<int64_t>() >= static_cast<int64_t>(vocab))) {
        return BadRequest(
            "'prompt' token ids must be integers in [0, " + std::to_string(vocab) + ")", "prompt");
      }
      out->push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
    return std::nullopt;
  };
  if (v->is_string()) {
    p->prompt_texts.push_back(v->get<std::string>());
    return std::nullopt;
  }
  if (!v->is_array() || v->empty()) {
    return BadRequest("'prompt' must be a string, an array of strings or of token ids", "prompt");
  }
  if ((*v)[0].is_number_integer()) {
    p->prompt_tokens.emplace_back();
    return tokens(*v, &p->prompt_tokens.back());
  }
  for (const json& item : *v) {
    if (item.is_string() && p->prompt_tokens.empty()) {
      p->prompt_texts.push_back(item.get<std::string>());
    } else if (item.is_array() && p->prompt_texts.empty()) {
      p->prompt_tokens.emplace_back();
      RETURN_IF_API_ERROR(tokens(item, &p->prompt_tokens.back()));
    } else {
      return BadRequest("'prompt' must be a string, an array of strings or of token ids", "prompt");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> ParseStop(const json* v, std::vector<std::string>* out) {
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) {
    if (!v->get<std::string>().empty()) out->push_back(v->get<std::string>());
    return std::nullopt;
  }
  if (!v->is_array() || v->size() > 4) {
    return BadRequest("'stop' must be a string or an array of at most 4 strings", "stop");
  }
  for (const json& s : *v) {
    if (!s.is_string()) return BadRequest("'stop' must contain only strings", "stop");
    if (!s.get<std::string>().empty()) out->push_back(s.get<std::string>());
  }
  return std::nullopt;
}

}  // namespace

std::variant<nlohmann::json, ApiError> ParseJsonBody(const std::string& body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    return BadRequest(std::string("Invalid JSON body: ") + e.what(), "", "invalid_json");
  }
  if (!j.is_object())
    return BadRequest("The request body must be a JSON object", "", "invalid_json");
  return j;
}

std::variant<CompletionParams, ApiError> ParseCompletionRequest(const json& body, bool chat,
                                                                const RequestLimits& limits) {
  CompletionParams p;
  p.chat = chat;
  const auto& allowed = AllowedFields(chat);
  for (auto& [k, v] : body.items()) {
    if (!allowed.count(k)) {
      return BadRequest("Unrecognized request argument supplied: " + k, k, "unknown_field");
    }
  }
  Reader r(body);
  if (const json* m = r.Get("model")) {
    if (!m->is_string()) return BadRequest("'model' must be a string", "model");
    p.model = m->get<std::string>();
  }
  if (chat) {
    RETURN_IF_API_ERROR(ParseMessages(r.Get("messages"), &p.messages));
  } else {
    RETURN_IF_API_ERROR(ParsePrompt(r.Get("prompt"), limits.vocab_size, &p));
  }
  RETURN_IF_API_ERROR(r.Bool("stream", &p.stream));
  if (const json* so = r.Get("stream_options")) {
    if (!so->is_object()) return BadRequest("'stream_options' must be an object", "stream_options");
    for (auto& [k, v] : so->items()) {
      if (k != "include_usage") {
        return BadRequest("Unrecognized field 'stream_options." + k + "'", "stream_options." + k,
                          "unknown_field");
      }
      if (!v.is_boolean()) {
        return BadRequest("'stream_options.include_usage' must be a boolean",
                          "stream_options.include_usage");
      }
      p.include_usage = v.get<bool>();
    }
    if (!p.stream) {
      return BadRequest("'stream_options' is only allowed when 'stream' is true", "stream_options");
    }
  }
  int64_t i = 0;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (r.Get(key) != nullptr) {
      RETURN_IF_API_ERROR(r.Integer(key, 1, std::numeric_limits<int32_t>::max(), &i));
      p.max_tokens = static_cast<size_t>(i);
    }
  }
  SamplingParams& s = p.sampling;
  s.temperature = 1.0f;  // OpenAI's default; 0 = greedy
  RETURN_IF_API_ERROR(r.Number("temperature", 0, 2, &s.temperature));
  RETURN_IF_API_ERROR(r.Number("top_p", 0, 1, &s.top_p));
  if (s.top_p <= 0.0f) s.top_p = std::numeric_limits<float>::min();  // keeps the top token
  RETURN_IF_API_ERROR(r.Number("presence_penalty", -2, 2, &s.presence_penalty));
  RETURN_IF_API_ERROR(r.Number("frequency_penalty", -2, 2, &s.frequency_penalty));
  RETURN_IF_API_ERROR(r.Number("min_p", 0, 1, &s.min_p));
  RETURN_IF_API_ERROR(r.Number("repetition_penalty", 0.01, 10, &s.repetition_penalty));
  if (r.Get("top_k") != nullptr) {
    RETURN_IF_API_ERROR(r.Integer("top_k", 0, std::numeric_limits<int32_t>::max(), &i));
    s.top_k = static_cast<int>(i);
  }
  if (r.Get("seed") != nullptr) {
    RETURN_IF_API_ERROR(r.Integer("seed", INT64_MIN, INT64_MAX, &i));
    s.seed = static_cast<uint64_t>(i);
    p.seed_given = true;
  } else {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    s.seed = rng();
  }
  if (r.Get("n") != nullptr) {
    RETURN_IF_API_ERROR(r.Integer("n", 1, static_cast<int64_t>(limits.max_n), &i));
    p.n = static_cast<int>(i);
  }
  RETURN_IF_API_ERROR(ParseStop(r.Get("stop"), &p.stop));
  RETURN_IF_API_ERROR(r.Bool("ignore_eos", &p.ignore_eos));
  if (const json* u = r.Get("user"); u != nullptr && !u->is_string()) {
    return BadRequest("'user' must be a string", "user");
  }
  if (const json* lb = r.Get("logit_bias"); lb != nullptr && !(lb->is_object() && lb->empty())) {
    return BadRequest("'logit_bias' is not supported", "logit_bias", "unsupported");
  }
  if (chat) {
    RETURN_IF_API_ERROR(r.Bool("logprobs", &p.logprobs));
    if (r.Get("top_logprobs") != nullptr) {
      RETURN_IF_API_ERROR(r.Integer("top_logprobs", 0, 20, &i));
      if (!p.logprobs) {
        return BadRequest("'top_logprobs' requires 'logprobs' to be true", "top_logprobs");
      }
      p.top_logprobs = static_cast<int>(i);
    }
    if (const json* rf = r.Get("response_format")) {
      if (!rf->is_object() || rf->value("type", "") != "text" || rf->size() != 1) {
        return BadRequest("Only 'response_format' {\"type\":\"text\"} is supported",
                          "response_format", "unsupported");
      }
    }
  } else {
    if (r.Get("logprobs") != nullptr) {
      RETURN_IF_API_ERROR(r.Integer("logprobs", 0, 5, &i));
      p.logprobs = true;
      p.top_logprobs = static_cast<int>(i);
    }
    if (const json* e = r.Get("echo"); e != nullptr && !(e->is_boolean() && !e->get<bool>())) {
      return BadRequest("'echo' is not supported", "echo", "unsupported");
    }
    if (const json* b = r.Get("best_of");
        b != nullptr && !(b->is_number_integer() && b->get<int64_t>() == 1)) {
      return BadRequest("'best_of' other than 1 is not supported", "best_of", "unsupported");
    }
    if (const json* sf = r.Get("suffix");
        sf != nullptr && !(sf->is_string() && sf->get<std::string>().empty())) {
      return BadRequest("'suffix' is not supported", "suffix", "unsupported");
    }
    if (p.num_prompts() * p.n > limits.max_n) {
      return BadRequest(
          "At most " + std::to_string(limits.max_n) + " choices per request (prompts x n)", "n");
    }
  }
  return p;
}

}  // namespace gemma::server

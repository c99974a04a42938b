// Request validation for /v1/completions and /v1/chat/completions: defaults,
// every accepted field, range and type errors naming the field, unknown
// fields, invalid JSON and UTF-8; and the shapes of the response objects.
#include <gtest/gtest.h>

#include "routes/openai_request.h"
#include "routes/openai_response.h"

namespace gemma::server {
namespace {

using nlohmann::json;

std::variant<CompletionParams, ApiError> Chat(const std::string& body) {
  auto j = ParseJsonBody(body);
  if (auto* e = std::get_if<ApiError>(&j)) return *e;
  return ParseCompletionRequest(std::get<0>(j), true, {16, 1000});
}

std::variant<CompletionParams, ApiError> Completion(const std::string& body) {
  auto j = ParseJsonBody(body);
  if (auto* e = std::get_if<ApiError>(&j)) return *e;
  return ParseCompletionRequest(std::get<0>(j), false, {16, 1000});
}

ApiError Err(const std::variant<CompletionParams, ApiError>& v) {
  EXPECT_TRUE(std::holds_alternative<ApiError>(v));
  return std::holds_alternative<ApiError>(v) ? std::get<ApiError>(v) : ApiError{};
}

const std::string kMsg = R"("messages":[{"role":"user","content":"hi"}])";

TEST(Request, ChatDefaults) {
  auto v = Chat("{" + kMsg + "}");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(v));
  const auto& p = std::get<CompletionParams>(v);
  EXPECT_TRUE(p.chat);
  EXPECT_EQ(p.n, 1);
  EXPECT_FALSE(p.stream);
  EXPECT_FALSE(p.max_tokens.has_value());
  EXPECT_FLOAT_EQ(p.sampling.temperature, 1.0f);  // OpenAI's default
  EXPECT_FALSE(p.seed_given);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].content, "hi");
}

TEST(Request, ChatAllFields) {
  auto v = Chat("{" + kMsg + R"(,"model":"m","stream":true,"stream_options":{"include_usage":true},
    "max_tokens":7,"temperature":0.5,"top_p":0.9,"seed":-3,"presence_penalty":0.5,
    "frequency_penalty":-0.5,"n":3,"logprobs":true,"top_logprobs":2,"stop":["a","b"],
    "user":"u","top_k":40,"min_p":0.05,"repetition_penalty":1.1,"ignore_eos":true,
    "logit_bias":{},"response_format":{"type":"text"}})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(v)) << Err(v).message;
  const auto& p = std::get<CompletionParams>(v);
  EXPECT_EQ(p.model, "m");
  EXPECT_TRUE(p.stream && p.include_usage && p.logprobs && p.ignore_eos && p.seed_given);
  EXPECT_EQ(*p.max_tokens, 7u);
  EXPECT_EQ(p.n, 3);
  EXPECT_EQ(p.top_logprobs, 2);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.sampling.seed, static_cast<uint64_t>(-3));
  EXPECT_EQ(p.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(p.sampling.min_p, 0.05f);
  EXPECT_FLOAT_EQ(p.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(p.sampling.frequency_penalty, -0.5f);
}

TEST(Request, NullMeansAbsent) {
  auto v = Chat("{" + kMsg + R"(,"stop":null,"max_tokens":null,"seed":null,"temperature":null})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(v)) << Err(v).message;
}

TEST(Request, ContentParts) {
  auto v = Chat(R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":
    [{"type":"text","text":"a"},{"type":"text","text":"b"}]}]})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(v)) << Err(v).message;
  EXPECT_EQ(std::get<CompletionParams>(v).messages[1].content, "ab");
  EXPECT_EQ(Err(Chat(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})")).param,
            "messages[0].content");
}

TEST(Request, DeveloperRoleIsSystem) {
  auto v =
      Chat(R"({"messages":[{"role":"developer","content":"d"},{"role":"user","content":"u"}]})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(v));
  EXPECT_EQ(std::get<CompletionParams>(v).messages[0].role, "system");
}

TEST(Request, ErrorsNameTheField) {
  struct Case {
    std::string extra, param;
  };
  for (const Case& c : std::vector<Case>{
           {R"("temperature":3)", "temperature"},
           {R"("temperature":"hot")", "temperature"},
           {R"("top_p":1.5)", "top_p"},
           {R"("max_tokens":0)", "max_tokens"},
           {R"("max_tokens":1.5)", "max_tokens"},
           {R"("n":0)", "n"},
           {R"("n":17)", "n"},
           {R"("presence_penalty":3)", "presence_penalty"},
           {R"("frequency_penalty":-2.5)", "frequency_penalty"},
           {R"("top_logprobs":2)", "top_logprobs"},  // without logprobs
           {R"("logprobs":true,"top_logprobs":21)", "top_logprobs"},
           {R"("stop":["a","b","c","d","e"])", "stop"},
           {R"("stop":[1])", "stop"},
           {R"("stream":"yes")", "stream"},
           {R"("stream_options":{"include_usage":true})", "stream_options"},  // without stream
           {R"("stream":true,"stream_options":{"x":1})", "stream_options.x"},
           {R"("seed":"1")", "seed"},
           {R"("top_k":-1)", "top_k"},
           {R"("min_p":2)", "min_p"},
           {R"("model":5)", "model"},
           {R"("logit_bias":{"1":5})", "logit_bias"},
           {R"("response_format":{"type":"json_object"})", "response_format"},
           {R"("tools":[])", "tools"},
           {R"("foo":1)", "foo"},
       }) {
    ApiError e = Err(Chat("{" + kMsg + "," + c.extra + "}"));
    EXPECT_EQ(e.status, 400) << c.extra;
    EXPECT_EQ(e.param, c.param) << c.extra << " -> " << e.message;
    EXPECT_EQ(e.type, "invalid_request_error");
  }
}

TEST(Request, UnknownFieldCode) {
  ApiError e = Err(Chat("{" + kMsg + R"(,"temprature":1})"));
  EXPECT_EQ(e.code, "unknown_field");
  EXPECT_NE(e.message.find("temprature"), std::string::npos);
}

TEST(Request, BadMessages) {
  EXPECT_EQ(Err(Chat("{}")).param, "messages");
  EXPECT_EQ(Err(Chat(R"({"messages":[]})")).param, "messages");
  EXPECT_EQ(Err(Chat(R"({"messages":[{"role":"tool","content":"x"}]})")).param, "messages[0].role");
  EXPECT_EQ(Err(Chat(R"({"messages":[{"role":"user"}]})")).param, "messages[0].content");
  EXPECT_EQ(Err(Chat(R"({"messages":[{"role":"user","content":"x","extra":1}]})")).param,
            "messages[0].extra");
  EXPECT_EQ(Err(Chat(R"({"messages":["hi"]})")).param, "messages[0]");
}

TEST(Request, InvalidJson) {
  EXPECT_EQ(Err(Chat("{")).code, "invalid_json");
  EXPECT_EQ(Err(Chat("[1,2]")).code, "invalid_json");
  EXPECT_EQ(Err(Chat("")).code, "invalid_json");
  // Invalid UTF-8 inside a string, and a lone surrogate escape.
  EXPECT_EQ(Err(Chat("{\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}")).code,
            "invalid_json");
  EXPECT_EQ(Err(Chat(R"({"messages":[{"role":"user","content":"\ud800"}]})")).code, "invalid_json");
}

TEST(Request, CompletionPrompts) {
  auto one = Completion(R"({"prompt":"hello"})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(one));
  EXPECT_EQ(std::get<CompletionParams>(one).prompt_texts.size(), 1u);
  auto many = Completion(R"({"prompt":["a","b"],"n":2})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(many));
  EXPECT_EQ(std::get<CompletionParams>(many).num_prompts(), 2u);
  auto ids = Completion(R"({"prompt":[2,100,200]})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(ids));
  EXPECT_EQ(std::get<CompletionParams>(ids).prompt_tokens[0], (std::vector<int32_t>{2, 100, 200}));
  auto nested = Completion(R"({"prompt":[[2,5],[2,6]]})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(nested));
  EXPECT_EQ(std::get<CompletionParams>(nested).prompt_tokens.size(), 2u);

  EXPECT_EQ(Err(Completion("{}")).param, "prompt");
  EXPECT_EQ(Err(Completion(R"({"prompt":[2,1000]})")).param, "prompt");  // outside the vocab
  EXPECT_EQ(Err(Completion(R"({"prompt":[]})")).param, "prompt");
  EXPECT_EQ(Err(Completion(R"({"prompt":["a",[1]]})")).param, "prompt");
  EXPECT_EQ(Err(Completion(R"({"prompt":["a","b","c","d","e"],"n":4})")).param, "n");
}

TEST(Request, CompletionOnlyFields) {
  auto v = Completion(R"({"prompt":"x","logprobs":3,"echo":false,"best_of":1,"suffix":""})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(v)) << Err(v).message;
  EXPECT_TRUE(std::get<CompletionParams>(v).logprobs);
  EXPECT_EQ(std::get<CompletionParams>(v).top_logprobs, 3);
  EXPECT_EQ(Err(Completion(R"({"prompt":"x","logprobs":6})")).param, "logprobs");
  EXPECT_EQ(Err(Completion(R"({"prompt":"x","echo":true})")).param, "echo");
  EXPECT_EQ(Err(Completion(R"({"prompt":"x","best_of":2})")).param, "best_of");
  EXPECT_EQ(Err(Completion(R"({"prompt":"x","messages":[]})")).param, "messages");
  EXPECT_EQ(Err(Chat("{" + kMsg + R"(,"prompt":"x"})")).param, "prompt");
}

TEST(Request, TopPZeroKeepsTopToken) {
  auto v = Chat("{" + kMsg + R"(,"top_p":0})");
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(v));
  EXPECT_GT(std::get<CompletionParams>(v).sampling.top_p, 0.0f);
}

TEST(Response, ErrorObjectShape) {
  ApiError e = BadRequest("bad", "temperature", "invalid_value");
  const json j = json::parse(Dump(e.ToJson()));
  ASSERT_TRUE(j.contains("error"));
  EXPECT_EQ(j["error"]["message"], "bad");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "temperature");
  EXPECT_EQ(j["error"]["code"], "invalid_value");
  const json n = json::parse(Dump(InternalError("x").ToJson()));
  EXPECT_TRUE(n["error"]["param"].is_null());
}

TEST(Response, ChatChunkShape) {
  ResponseMeta meta{true, "chatcmpl-x", 123, "m"};
  json first = json::parse(Dump(StreamChunk(meta, 0, true, std::string("Hi"), nullptr, "", true)));
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(first["choices"][0]["delta"]["content"], "Hi");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(first.contains("usage") && first["usage"].is_null());
  json last = json::parse(Dump(StreamChunk(meta, 1, false, std::nullopt, nullptr, "stop", false)));
  EXPECT_TRUE(last["choices"][0]["delta"].is_object() && last["choices"][0]["delta"].empty());
  EXPECT_EQ(last["choices"][0]["index"], 1);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  EXPECT_FALSE(last.contains("usage"));
  json usage = json::parse(Dump(UsageChunk(meta, 3, 4)));
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["total_tokens"], 7);
}

TEST(Response, CompletionChunkShape) {
  ResponseMeta meta{false, "cmpl-x", 123, "m"};
  json c = json::parse(Dump(StreamChunk(meta, 0, false, std::string("t"), nullptr, "", false)));
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["choices"][0]["text"], "t");
  EXPECT_TRUE(c["choices"][0]["logprobs"].is_null());
}

}  // namespace
}  // namespace gemma::server

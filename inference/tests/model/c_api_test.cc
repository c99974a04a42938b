// The C API over a fixture model: load, tokenize, generate with streaming,
// errors reported through codes and gemma_last_error().
#include <string>

#include "gemma/gemma_c.h"
#include "model_test_util.h"

extern "C" size_t gemma_c_header_check(void);

namespace gemma::test {
namespace {

TEST(CApi, LoadTokenizeGenerate) {
  EXPECT_EQ(gemma_c_header_check(), 512u);
  gemma_model* model = nullptr;
  ASSERT_EQ(gemma_model_load(FixturePath("models/gemma-tiny-f32.gguf").c_str(), &model), GEMMA_OK)
      << gemma_last_error();
  EXPECT_EQ(gemma_model_vocab_size(model), 1000u);

  int32_t ids[64];
  size_t n = 0;
  ASSERT_EQ(gemma_tokenize(model, "hello", 5, 1, 1, ids, 64, &n), GEMMA_OK);
  ASSERT_GE(n, 2u);
  EXPECT_EQ(ids[0], 2);
  char* text = nullptr;
  ASSERT_EQ(gemma_detokenize(model, ids + 1, n - 1, &text), GEMMA_OK);
  EXPECT_STREQ(text, "hello");
  gemma_string_free(text);

  gemma_engine_options eo;
  gemma_engine_options_default(&eo);
  eo.num_threads = 2;
  eo.context_length = 64;
  gemma_session* session = nullptr;
  ASSERT_EQ(gemma_session_create(model, &eo, &session), GEMMA_OK) << gemma_last_error();
  gemma_generate_options go;
  gemma_generate_options_default(&go);
  go.max_tokens = 16;
  go.stop_at_eos = 0;
  std::string streamed;
  auto cb = [](const char* d, size_t len, void* user) {
    static_cast<std::string*>(user)->append(d, len);
    return 1;
  };
  const int32_t prompt[] = {2, 410, 411, 12, 13, 900};
  gemma_finish_reason finish;
  EXPECT_EQ(gemma_session_logits(session), nullptr);
  ASSERT_EQ(gemma_session_append(session, prompt, 6), GEMMA_OK);
  EXPECT_NE(gemma_session_logits(session), nullptr);
  ASSERT_EQ(gemma_session_generate(session, nullptr, 0, &go, cb, &streamed, &text, &finish),
            GEMMA_OK)
      << gemma_last_error();
  EXPECT_EQ(streamed, text);
  EXPECT_EQ(finish, GEMMA_FINISH_LENGTH);
  gemma_string_free(text);
  gemma_session_free(session);
  gemma_model_free(model);
}

TEST(CApi, ErrorsAreCodesWithMessages) {
  gemma_model* model = nullptr;
  EXPECT_NE(gemma_model_load("/missing.gguf", &model), GEMMA_OK);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(gemma_last_error()).find("/missing.gguf"), std::string::npos);
  EXPECT_EQ(gemma_model_load(nullptr, &model), GEMMA_INVALID_ARGUMENT);
  EXPECT_EQ(gemma_session_create(nullptr, nullptr, nullptr), GEMMA_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace gemma::test

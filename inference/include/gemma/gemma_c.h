/* Plain C API of gemma-inference, for bindings (Python ctypes, Go, Rust,
 * wasm). Every fallible call returns a gemma_status; on failure
 * gemma_last_error() gives the message (per thread). Nothing aborts on bad
 * input. Strings returned by the library are freed with gemma_string_free. */
#ifndef GEMMA_GEMMA_C_H_
#define GEMMA_GEMMA_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gemma_model gemma_model;
typedef struct gemma_session gemma_session;

/* Same values as gemma::StatusCode. */
typedef enum gemma_status {
  GEMMA_OK = 0,
  GEMMA_INVALID_ARGUMENT = 1,
  GEMMA_NOT_FOUND = 2,
  GEMMA_IO_ERROR = 3,
  GEMMA_CORRUPT_DATA = 4,
  GEMMA_UNSUPPORTED = 5,
  GEMMA_OUT_OF_RANGE = 6,
  GEMMA_RESOURCE_EXHAUSTED = 7,
  GEMMA_CANCELLED = 8,
  GEMMA_INTERNAL = 9
} gemma_status;

typedef enum gemma_finish_reason {
  GEMMA_FINISH_STOP = 0,
  GEMMA_FINISH_LENGTH = 1,
  GEMMA_FINISH_CANCELLED = 2
} gemma_finish_reason;

typedef struct gemma_engine_options {
  size_t num_threads;      /* 0 = all hardware threads */
  size_t context_length;   /* 0 = min(model's, 4096) */
  int kv_f16;              /* non-zero: fp16 KV cache */
  size_t max_batch_tokens; /* prefill chunk, default 512 */
} gemma_engine_options;

typedef struct gemma_generate_options {
  float temperature; /* 0 = greedy */
  int top_k;
  float top_p;
  float min_p;
  float repetition_penalty;
  float presence_penalty;
  float frequency_penalty;
  int penalty_last_n;
  uint64_t seed;
  size_t max_tokens;
  const char* const* stop; /* n_stop stop strings */
  size_t n_stop;
  int stop_at_eos;
} gemma_generate_options;

/* Receives each text delta; return 0 to stop generating. */
typedef int (*gemma_stream_fn)(const char* delta, size_t len, void* user_data);

void gemma_engine_options_default(gemma_engine_options* options);
void gemma_generate_options_default(gemma_generate_options* options);

/* Message of the last failed call on this thread ("" if none). */
const char* gemma_last_error(void);
void gemma_string_free(char* s);

gemma_status gemma_model_load(const char* path, gemma_model** out);
void gemma_model_free(gemma_model* model);
size_t gemma_model_vocab_size(const gemma_model* model);

/* Writes at most `capacity` ids; *n_ids receives the full count (call again
 * with a bigger buffer if it exceeds capacity). */
gemma_status gemma_tokenize(const gemma_model* model, const char* text, size_t text_len,
                            int add_bos, int parse_special, int32_t* ids, size_t capacity,
                            size_t* n_ids);
gemma_status gemma_detokenize(const gemma_model* model, const int32_t* ids, size_t n_ids,
                              char** text);

gemma_status gemma_session_create(const gemma_model* model, const gemma_engine_options* options,
                                  gemma_session** out);
void gemma_session_free(gemma_session* session);
/* Appends tokens to the context (prefill). */
gemma_status gemma_session_append(gemma_session* session, const int32_t* ids, size_t n_ids);
/* n_vocab logits after the last context token, or NULL. */
const float* gemma_session_logits(const gemma_session* session);
/* Appends `prompt`, then generates. `text` (optional) receives the whole
 * generated text; `finish` (optional) why it ended. */
gemma_status gemma_session_generate(gemma_session* session, const int32_t* prompt, size_t n_prompt,
                                    const gemma_generate_options* options, gemma_stream_fn on_text,
                                    void* user_data, char** text, gemma_finish_reason* finish);
/* Thread-safe: makes a running generate finish with GEMMA_FINISH_CANCELLED. */
void gemma_session_cancel(gemma_session* session);
void gemma_session_reset(gemma_session* session);

#ifdef __cplusplus
}
#endif

#endif /* GEMMA_GEMMA_C_H_ */

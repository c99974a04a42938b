/* Compiled as C: the public C header must be valid C99. */
#include "gemma/gemma_c.h"

size_t gemma_c_header_check(void) {
  gemma_engine_options o;
  gemma_engine_options_default(&o);
  return o.max_batch_tokens;
}

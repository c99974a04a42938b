// make_spm_model IN.json OUT.model: writes a SentencePiece tokenizer.model
// equivalent to a Hugging Face tokenizer.json (see spm_writer.h). Used by the
// parity test (to check the .model path against Hugging Face) and for the
// libsentencepiece benchmark.
#include <cstdio>
#include <fstream>

#include "gemma/tokenizer.h"
#include "support/spm_writer.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_spm_model IN/tokenizer.json OUT/tokenizer.model\n");
    return 2;
  }
  auto spec = gemma::VocabFromTokenizerJson(argv[1]);
  if (!spec.ok()) {
    std::fprintf(stderr, "make_spm_model: %s\n", spec.status().ToString().c_str());
    return 1;
  }
  const std::string bytes = gemma::testing::SentencePieceModelFromJsonVocab(*spec);
  std::ofstream out(argv[2], std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "make_spm_model: cannot write %s\n", argv[2]);
    return 1;
  }
  return 0;
}

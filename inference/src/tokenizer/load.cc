// LoadVocab / LoadTokenizer: pick the loader from the path, and
// Tokenizer::EncodeBatch on a ThreadPool.
#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

#include "gemma/tokenizer.h"
#include "io/gguf.h"
#include "io/mapped_file.h"
#include "runtime/thread_pool.h"
#include "tokenizer/batch.h"
#include "tokenizer/gguf_vocab.h"

namespace gemma {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

StatusOr<VocabSpec> FromGguf(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> gguf, GgufFile::Open(path));
  return VocabFromGguf(*gguf);
}

}  // namespace

StatusOr<VocabSpec> LoadVocab(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) return InvalidArgument("tokenizer: empty path");
  // UTF-8 file names on every platform.
  auto u8 = [](const std::string& s) { return fs::path(std::u8string(s.begin(), s.end())); };
  if (fs::is_directory(u8(path), ec)) {
    for (const char* name : {"tokenizer.json", "tokenizer.model"}) {
      const std::string candidate = path + "/" + name;
      if (fs::is_regular_file(u8(candidate), ec)) return LoadVocab(candidate);
    }
    return NotFound(path + ": directory has no tokenizer.json or tokenizer.model");
  }
  if (EndsWith(path, ".json")) return VocabFromTokenizerJson(path);
  if (EndsWith(path, ".model")) return VocabFromSentencePieceModel(path);
  if (EndsWith(path, ".gguf")) return FromGguf(path);
  // Unknown extension: look at the first bytes.
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  const auto* d = file->data();
  const size_t n = file->size();
  if (n >= 4 && d[0] == 'G' && d[1] == 'G' && d[2] == 'U' && d[3] == 'F') {
    file.reset();
    return FromGguf(path);
  }
  size_t i = 0;
  while (i < n && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t')) ++i;
  const std::string_view bytes(reinterpret_cast<const char*>(d), n);
  if (i < n && d[i] == '{') return VocabFromTokenizerJsonText(bytes, path);
  return VocabFromSentencePieceModelBytes(bytes, path);
}

StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(VocabSpec spec, LoadVocab(path));
  auto t = Tokenizer::Create(std::move(spec));
  if (!t.ok()) return Status(t.status().code(), path + ": " + t.status().message());
  return t;
}

namespace tok {

std::vector<std::vector<int32_t>> EncodeBatch(const Tokenizer& tokenizer,
                                              std::span<const std::string_view> texts,
                                              const EncodeOptions& options, ThreadPool& pool) {
  std::vector<std::vector<int32_t>> out(texts.size());
  // One task per text: the pool hands tasks out dynamically, so long and
  // short texts balance; each task writes only its own vector.
  pool.ParallelFor(texts.size(), [&](size_t task, size_t /*thread*/) {
    tokenizer.EncodeInto(texts[task], options, &out[task]);
  });
  return out;
}

}  // namespace tok

std::vector<std::vector<int32_t>> Tokenizer::EncodeBatch(std::span<const std::string_view> texts,
                                                         const EncodeOptions& options,
                                                         size_t num_threads) const {
  if (num_threads == 0) num_threads = std::max(1u, std::thread::hardware_concurrency());
  num_threads = std::min(num_threads, std::max<size_t>(1, texts.size()));
  ThreadPool pool(num_threads);
  return tok::EncodeBatch(*this, texts, options, pool);
}

}  // namespace gemma

// Format detection, the GGUF loader, and helpers shared by the loaders.
#include "model/source.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "io/gcore.h"
#include "tokenizer/gguf_vocab.h"

namespace gemma {
namespace {

namespace fs = std::filesystem;

fs::path U8Path(const std::string& s) { return fs::path(std::u8string(s.begin(), s.end())); }

bool EndsWith(const std::string& p, std::string_view suffix) {
  if (p.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    const char c = p[p.size() - suffix.size() + i];
    if (std::tolower(static_cast<unsigned char>(c)) != suffix[i]) return false;
  }
  return true;
}

// A file inside a Hugging Face checkpoint (its config, index or a shard)
// stands for the checkpoint's directory.
bool IsCheckpointFile(const std::string& p) {
  return EndsWith(p, ".safetensors") || EndsWith(p, "config.json") ||
         EndsWith(p, "model.safetensors.index.json");
}

std::string ParentDir(const std::string& p) {
  const fs::path parent = U8Path(p).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

const char* ModelFormatName(ModelFormat f) {
  switch (f) {
    case ModelFormat::kGguf:
      return "gguf";
    case ModelFormat::kGcore:
      return "gcore";
    case ModelFormat::kHuggingFace:
      return "safetensors";
    case ModelFormat::kOnnx:
      return "onnx";
  }
  return "?";
}

const SourceTensor* ModelSource::Find(std::string_view n) const {
  for (const SourceTensor& t : tensors) {
    if (t.name == n) return &t;
  }
  return nullptr;
}

StatusOr<ModelFormat> DetectModelFormat(const std::string& path) {
  std::error_code ec;
  const fs::path p = U8Path(path);
  if (fs::is_directory(p, ec)) {
    bool has_safetensors = false, has_onnx = false;
    for (const auto& entry : fs::directory_iterator(p, ec)) {
      const std::string ext = entry.path().extension().string();
      if (ext == ".safetensors") has_safetensors = true;
      if (ext == ".onnx") has_onnx = true;
    }
    if (!has_safetensors && has_onnx) return ModelFormat::kOnnx;
    if (fs::is_regular_file(p / "config.json", ec)) return ModelFormat::kHuggingFace;
    return NotFound(path + ": directory holds no config.json (not a Hugging Face checkpoint)");
  }
  if (EndsWith(path, ".onnx")) return ModelFormat::kOnnx;
  if (IsCheckpointFile(path) && fs::is_regular_file(U8Path(ParentDir(path)) / "config.json", ec)) {
    return DetectModelFormat(ParentDir(path));
  }
  // Peek at the magic; a file we cannot open is left to the GGUF parser,
  // whose message names the path and the OS error.
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    uint8_t magic[8] = {};
    const size_t n = std::fread(magic, 1, sizeof(magic), f);
    std::fclose(f);
    if (IsGcoreMagic(std::span<const uint8_t>(magic, n))) return ModelFormat::kGcore;
  }
  return ModelFormat::kGguf;
}

StatusOr<ModelSource> OpenModelSource(const std::string& path, const OpenOptions& options) {
  std::error_code ec;
  if (IsCheckpointFile(path) && !fs::is_directory(U8Path(path), ec) &&
      fs::is_regular_file(U8Path(ParentDir(path)) / "config.json", ec)) {
    return OpenModelSource(ParentDir(path), options);
  }
  GEMMA_ASSIGN_OR_RETURN(const ModelFormat format, DetectModelFormat(path));
  switch (format) {
    case ModelFormat::kGguf: {
      GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> g, GgufFile::Open(path, options.residency));
      return SourceFromGguf(std::move(g));
    }
    case ModelFormat::kGcore:
      return OpenGcoreSource(path, options);
    case ModelFormat::kHuggingFace:
      return OpenHuggingFaceSource(path);
    case ModelFormat::kOnnx:
      return OpenOnnxSource(path);
  }
  return Internal(path + ": unknown model format");
}

StatusOr<ModelSource> SourceFromGguf(std::unique_ptr<GgufFile> gguf) {
  ModelSource s;
  const GgufFile& g = *gguf;
  s.path = g.path();
  s.format = ModelFormat::kGguf;
  if (auto name = g.GetString("general.name"); name.ok()) s.name = *name;
  GEMMA_ASSIGN_OR_RETURN(s.config, ConfigFromGguf(g));
  GEMMA_ASSIGN_OR_RETURN(s.vocab, VocabFromGguf(g));
  if (s.vocab.pieces.size() != s.config.n_vocab) {
    return CorruptData(
        g.path() + ": tokenizer.ggml.tokens has " + std::to_string(s.vocab.pieces.size()) +
        " pieces but token_embd.weight has " + std::to_string(s.config.n_vocab) + " rows");
  }
  s.tensors = GgufSourceTensors(g);
  for (const auto& [key, value] : g.metadata())
    s.metadata.emplace_back(key, value.ToDisplayString());
  s.weights_file = gguf->mapped_file();
  s.gguf = std::move(gguf);
  return s;
}

Status FitVocabToEmbedding(VocabSpec* vocab, size_t n_vocab, bool lenient,
                           const std::string& where) {
  const size_t n = vocab->pieces.size();
  if (n == n_vocab) return Status::Ok();
  auto mismatch = [&]() {
    return CorruptData(where + ": the tokenizer has " + std::to_string(n) +
                       " tokens but the embedding has " + std::to_string(n_vocab) + " rows");
  };
  if (!lenient) return mismatch();
  if (n > n_vocab) {
    // Gemma 3's tokenizer has one id past its 262,144-row embedding
    // (<image_soft_token>, an image placeholder that is never embedded):
    // drop trailing added tokens that have no row.
    if (vocab->types.size() != n) return mismatch();
    for (size_t i = n_vocab; i < n; ++i) {
      if (vocab->types[i] == PieceType::kNormal || vocab->types[i] == PieceType::kByte)
        return mismatch();
    }
    for (const int32_t id : {vocab->bos_id, vocab->eos_id, vocab->unk_id}) {
      if (id >= static_cast<int64_t>(n_vocab)) return mismatch();
    }
    if (vocab->pad_id >= static_cast<int64_t>(n_vocab)) vocab->pad_id = -1;
    vocab->pieces.resize(n_vocab);
    vocab->types.resize(n_vocab);
    if (!vocab->scores.empty()) vocab->scores.resize(n_vocab);
    std::erase_if(vocab->merge_ids, [&](const std::pair<int32_t, int32_t>& m) {
      return m.first >= static_cast<int64_t>(n_vocab) || m.second >= static_cast<int64_t>(n_vocab);
    });
    return Status::Ok();
  }
  // Padding rows exist only in the embedding (Gemma 3: 262,208 rows for
  // 262,145 tokens); give them unused pieces, as llama.cpp's converter does
  // ("[PAD<n>]"), so every id has a piece.
  if (vocab->types.empty()) vocab->types.assign(n, PieceType::kNormal);
  if (!vocab->scores.empty()) vocab->scores.resize(n_vocab, 0.0f);
  for (size_t i = n; i < n_vocab; ++i) {
    vocab->pieces.push_back("<unused_pad" + std::to_string(i) + ">");
    vocab->types.push_back(PieceType::kUnused);
  }
  return Status::Ok();
}

}  // namespace gemma

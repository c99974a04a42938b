// Format-neutral model loading: every format loader (GGUF, .gcore, Hugging
// Face SafeTensors checkpoints, ONNX) produces a ModelSource - config,
// vocabulary and tensors under the engine's (GGUF) names, pointing into
// memory the source keeps alive - from which Model::Load binds the weights
// and `gemma convert` / `gemma quantize` write other formats.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gemma/status.h"
#include "gemma/tokenizer.h"
#include "io/gguf.h"
#include "model/config.h"
#include "model/weights.h"

namespace gemma {

enum class ModelFormat { kGguf, kGcore, kHuggingFace, kOnnx };
const char* ModelFormatName(ModelFormat f);  // "gguf", "gcore", "safetensors", "onnx"

struct ModelSource {
  std::string path;
  ModelFormat format = ModelFormat::kGguf;
  std::string name;  // general.name, or the checkpoint's directory name
  ModelConfig config;
  VocabSpec vocab;
  // Under engine names; GGUF / .gcore in file order, others in the canonical
  // order (token_embd, per layer as llama.cpp writes them, output_norm).
  std::vector<SourceTensor> tensors;
  // (key, printable value) for `gemma info`.
  std::vector<std::pair<std::string, std::string>> metadata;
  std::unique_ptr<GgufFile> gguf;  // GGUF sources: the parsed file
  // Maps and owned buffers the tensors point into.
  std::vector<std::shared_ptr<const void>> keep_alive;
  // GGUF / .gcore: the file holding every tensor (owned by gguf or
  // keep_alive). When it is a private copy (MappedFile::copied) the model may
  // rearrange weights in place at load (InterleaveWeights).
  MappedFile* weights_file = nullptr;

  const SourceTensor* Find(std::string_view name) const;
};

struct OpenOptions {
  // .gcore: hash every tensor and compare with the stored checksums (reads
  // the whole file). Also enabled by the environment variable GEMMA_VERIFY=1.
  bool verify_checksums = false;
  // GGUF / .gcore weights: read into huge pages (default, faster decode) or
  // mapped in place (see MappedFile).
  MappedFile::Residency residency = MappedFile::Residency::kHugePages;
};

// Detects the format of `path`: a directory holding config.json (Hugging
// Face; or an ONNX export when it holds model.onnx and no *.safetensors), a
// checkpoint's config.json / index / *.safetensors file (its directory is
// loaded), *.onnx, or a file starting with the GGUF or .gcore magic.
// Anything else is treated as GGUF, whose parser then names what is wrong.
StatusOr<ModelFormat> DetectModelFormat(const std::string& path);
StatusOr<ModelSource> OpenModelSource(const std::string& path, const OpenOptions& options = {});

// Per-format loaders.
StatusOr<ModelSource> SourceFromGguf(std::unique_ptr<GgufFile> gguf);
StatusOr<ModelSource> OpenGcoreSource(const std::string& path, const OpenOptions& options);
StatusOr<ModelSource> OpenHuggingFaceSource(const std::string& dir);
StatusOr<ModelSource> OpenOnnxSource(const std::string& path);

// Checks that the vocabulary fits the embedding: equal sizes, or (when
// `lenient`, for Hugging Face checkpoints) fewer pieces than rows, padded
// with unused "<unused_padN>" pieces (Gemma 3's embeddings have 262,208 rows
// for 262,145 tokens), or trailing added tokens beyond the rows, dropped
// (Gemma 3 1B: <image_soft_token> = 262,144 has no row).
Status FitVocabToEmbedding(VocabSpec* vocab, size_t n_vocab, bool lenient,
                           const std::string& where);

}  // namespace gemma

// Hugging Face checkpoint directories: config.json, model.safetensors or
// shards listed in model.safetensors.index.json, tokenizer.json (or
// tokenizer.model). Weights are memory-mapped and used in place; only norm
// scales (+1) and misaligned tensors are copied.
#include <exception>
#include <filesystem>
#include <map>
#include <new>
#include <set>
#include <system_error>

#include "io/json.h"
#include "io/mapped_file.h"
#include "io/safetensors.h"
#include "model/hf_config.h"
#include "model/hf_tensors.h"
#include "model/source.h"

namespace gemma {
namespace {

namespace fs = std::filesystem;

fs::path U8Path(const std::string& s) { return fs::path(std::u8string(s.begin(), s.end())); }

bool IsPlainFileName(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos && s.find('\\') == std::string::npos &&
         s != "." && s != "..";
}

// The shard files named by model.safetensors.index.json, and its weight map.
Status ReadIndex(const std::string& path, std::vector<std::string>* shards,
                 std::map<std::string, std::string>* weight_map) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> f, MappedFile::Open(path));
  GEMMA_ASSIGN_OR_RETURN(
      JsonValue root,
      ParseJson(std::string_view(reinterpret_cast<const char*>(f->data()), f->size()), path));
  const JsonValue* map = root.Find("weight_map");
  if (map == nullptr || !map->is_object()) return CorruptData(path + ": no \"weight_map\" object");
  std::set<std::string> seen;
  for (const auto& [name, file] : map->members()) {
    if (!file.is_string() || !IsPlainFileName(file.str())) {
      return CorruptData(path + ": weight_map entry '" + name +
                         "' must name a file in the same directory");
    }
    (*weight_map)[name] = file.str();
    if (seen.insert(file.str()).second) shards->push_back(file.str());
  }
  if (shards->empty()) return CorruptData(path + ": the weight_map is empty");
  return Status::Ok();
}

HfTensor FromSafeTensor(const SafeTensor& st, const std::string& file) {
  HfTensor t;
  t.name = st.name;
  t.dtype = st.dtype;
  t.shape = st.shape;
  t.data = st.data;
  t.n_bytes = st.n_bytes();
  t.where = "in " + file;
  t.supported = true;
  if (st.dtype == "F32") {
    t.type = DType::kF32;
  } else if (st.dtype == "F16") {
    t.type = DType::kF16;
  } else if (st.dtype == "BF16") {
    t.type = DType::kBF16;
  } else {
    t.supported = false;
  }
  return t;
}

StatusOr<ModelSource> Open(const std::string& dir) {
  std::error_code ec;
  const std::string config_path = dir + "/config.json";
  GEMMA_ASSIGN_OR_RETURN(HfConfig hf, ParseHfConfigFile(config_path));
  ModelSource src;
  src.path = dir;
  src.format = ModelFormat::kHuggingFace;
  src.config = hf.config;
  src.name = U8Path(dir).lexically_normal().filename().string();
  if (src.name.empty()) src.name = U8Path(dir).lexically_normal().parent_path().filename().string();

  // Shards.
  std::vector<std::string> shards;
  std::map<std::string, std::string> weight_map;
  const std::string index_path = dir + "/model.safetensors.index.json";
  if (fs::is_regular_file(U8Path(index_path), ec)) {
    GEMMA_RETURN_IF_ERROR(ReadIndex(index_path, &shards, &weight_map));
  } else if (fs::is_regular_file(U8Path(dir + "/model.safetensors"), ec)) {
    shards.push_back("model.safetensors");
  } else {
    return NotFound(dir + ": no model.safetensors or model.safetensors.index.json");
  }
  std::vector<HfTensor> tensors;
  for (const std::string& shard : shards) {
    const std::string path = dir + "/" + shard;
    if (!fs::is_regular_file(U8Path(path), ec)) {
      return NotFound(dir + ": shard '" + shard + "'" +
                      (weight_map.empty() ? "" : " listed in model.safetensors.index.json") +
                      " is missing");
    }
    GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<SafeTensorsFile> f, SafeTensorsFile::Open(path));
    for (const SafeTensor& st : f->tensors()) tensors.push_back(FromSafeTensor(st, shard));
    src.keep_alive.push_back(std::shared_ptr<const SafeTensorsFile>(std::move(f)));
  }
  std::set<std::pair<std::string, std::string>> present;
  for (const HfTensor& t : tensors) present.emplace(t.where, t.name);
  for (const auto& [name, shard] : weight_map) {
    if (!present.count({"in " + shard, name})) {
      return CorruptData(dir + ": model.safetensors.index.json maps '" + name + "' to '" + shard +
                         "', which does not contain it");
    }
  }
  GEMMA_RETURN_IF_ERROR(BuildHfTensors(tensors, hf.vocab_size, dir, "config.json", &src));

  // Tokenizer: tokenizer.json, else tokenizer.model (the tokenizer's LoadVocab).
  StatusOr<VocabSpec> vocab = LoadVocab(dir);
  if (!vocab.ok()) return Status(vocab.status().code(), "tokenizer: " + vocab.status().message());
  src.vocab = std::move(vocab).value();
  GEMMA_RETURN_IF_ERROR(FitVocabToEmbedding(&src.vocab, src.config.n_vocab, true, dir));

  src.metadata.emplace_back("format", "Hugging Face SafeTensors checkpoint");
  src.metadata.emplace_back("architecture",
                            hf.architecture.empty() ? hf.model_type : hf.architecture);
  if (!hf.torch_dtype.empty()) src.metadata.emplace_back("torch_dtype", hf.torch_dtype);
  std::string shard_list;
  for (const std::string& s : shards) shard_list += (shard_list.empty() ? "" : ", ") + s;
  src.metadata.emplace_back("shards", shard_list);
  for (const auto& kv : hf.display) src.metadata.push_back(kv);
  src.metadata.emplace_back("tokenizer pieces", std::to_string(src.vocab.pieces.size()));
  return src;
}

}  // namespace

StatusOr<ModelSource> OpenHuggingFaceSource(const std::string& dir) {
  try {
    return Open(dir);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(dir + ": out of memory loading the checkpoint");
  } catch (const std::exception& e) {
    return Internal(dir + ": " + e.what());
  }
}

}  // namespace gemma

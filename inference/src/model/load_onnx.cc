// ONNX models exported from Hugging Face by Optimum: the Gemma weights are
// the graph's initializers. They are found in three ways (docs/FORMATS.md):
//  1. initializers named as the Hugging Face parameters
//     ("model.layers.0.self_attn.q_proj.weight"), laid out [out, in];
//  2. weights of MatMul nodes folded by the exporter into anonymous
//     initializers ("onnx::MatMul_1234", laid out [in, out]): named after
//     the node ("/model/layers.0/self_attn/q_proj/MatMul") and transposed;
//  3. norm scales under a norm's scope ("/model/layers.0/input_layernorm/
//     Mul_1"): an initializer input of an Add node is w, of a Mul node the
//     folded 1 + w; an embedding feeding a Gather under /model/embed_tokens.
// config.json and tokenizer.json (or tokenizer.model) must sit next to the
// .onnx file, as Optimum writes them.
#include <exception>
#include <filesystem>
#include <new>
#include <set>
#include <system_error>

#include "io/onnx.h"
#include "model/hf_config.h"
#include "model/hf_tensors.h"
#include "model/source.h"

namespace gemma {
namespace {

namespace fs = std::filesystem;

fs::path U8Path(const std::string& s) { return fs::path(std::u8string(s.begin(), s.end())); }

// "/model/layers.0/self_attn/q_proj/MatMul" -> "model.layers.0.self_attn.q_proj".
std::string ModulePath(const std::string& node_name) {
  std::string s = node_name;
  if (!s.empty() && s[0] == '/') s.erase(0, 1);
  const size_t last = s.rfind('/');
  if (last == std::string::npos) return "";
  s.resize(last);
  for (char& c : s) {
    if (c == '/') c = '.';
  }
  return s;
}

bool IsNormModule(const std::string& module) {
  for (const char* n : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                        "post_feedforward_layernorm", "q_norm", "k_norm", "norm"}) {
    const std::string suffix = std::string(".") + n;
    if (module.size() > suffix.size() &&
        module.compare(module.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
    if (module == n) return true;
  }
  return false;
}

HfTensor FromInitializer(const OnnxTensor& t, std::string hf_name, std::string where) {
  HfTensor h;
  h.name = std::move(hf_name);
  h.dtype = OnnxDataTypeName(t.data_type);
  h.shape = t.dims;
  h.data = t.data;
  h.n_bytes = t.n_bytes;
  h.where = std::move(where);
  h.supported = true;
  switch (t.data_type) {
    case kOnnxFloat:
      h.type = DType::kF32;
      break;
    case kOnnxFloat16:
      h.type = DType::kF16;
      break;
    case kOnnxBFloat16:
      h.type = DType::kBF16;
      break;
    default:
      h.supported = false;
  }
  return h;
}

StatusOr<std::string> FindOnnxFile(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(U8Path(path), ec)) return path;
  for (const char* name : {"model.onnx", "decoder_model_merged.onnx", "decoder_model.onnx"}) {
    if (fs::is_regular_file(U8Path(path + "/" + name), ec)) return path + "/" + name;
  }
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(U8Path(path), ec)) {
    if (e.path().extension() == ".onnx") found.push_back(e.path().string());
  }
  if (found.size() == 1) return found[0];
  return NotFound(path + ": expected one .onnx file (model.onnx), found " +
                  std::to_string(found.size()));
}

StatusOr<ModelSource> Open(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(const std::string file, FindOnnxFile(path));
  const fs::path parent = U8Path(file).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  std::error_code ec;
  if (!fs::is_regular_file(parent / "config.json", ec)) {
    return NotFound(file +
                    ": no config.json next to it (ONNX files do not carry the model config; "
                    "Optimum exports write config.json beside model.onnx)");
  }
  GEMMA_ASSIGN_OR_RETURN(HfConfig hf, ParseHfConfigFile(dir + "/config.json"));
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<OnnxModel> onnx, OnnxModel::Open(file));
  const Architecture arch = hf.config.arch;

  std::vector<HfTensor> tensors;
  std::set<std::string> used;  // initializer names already taken
  auto take = [&](const OnnxTensor& t, std::string hf_name, std::string where) -> HfTensor& {
    used.insert(t.name);
    tensors.push_back(FromInitializer(t, std::move(hf_name), std::move(where)));
    return tensors.back();
  };
  // 1. Initializers under Hugging Face names.
  for (const OnnxTensor& t : onnx->initializers()) {
    if (MapHfName(t.name, arch).kind == HfName::Kind::kTensor)
      take(t, t.name, "(ONNX initializer)");
  }
  std::set<std::string> have;
  for (const HfTensor& t : tensors) have.insert(MapHfName(t.name, arch).engine);
  // 2 and 3. Initializers named by the node that consumes them.
  for (const OnnxNode& node : onnx->nodes()) {
    const std::string module = ModulePath(node.name);
    if (module.empty()) continue;
    const std::string param = module + ".weight";
    const HfName m = MapHfName(param, arch);
    if (m.kind != HfName::Kind::kTensor || have.count(m.engine)) continue;
    const bool norm = m.is_norm && IsNormModule(module);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const OnnxTensor* t = onnx->FindInitializer(node.inputs[i]);
      if (t == nullptr || used.count(t->name)) continue;
      const std::string where = "(ONNX initializer '" + t->name + "' of node '" + node.name + "')";
      if (!m.is_norm && node.op_type == "MatMul" && i == 1 && t->dims.size() == 2) {
        take(*t, param, where).transposed = true;
      } else if (!m.is_norm && node.op_type == "Gather" && i == 0 && t->dims.size() == 2 &&
                 m.engine == "token_embd.weight") {
        take(*t, param, where);
      } else if (norm && (node.op_type == "Mul" || node.op_type == "Add") && t->dims.size() == 1 &&
                 t->n_elements > 1) {
        take(*t, param, where).norm_includes_one = node.op_type == "Mul";
      } else {
        continue;
      }
      have.insert(m.engine);
      break;
    }
  }

  ModelSource src;
  src.path = file;
  src.format = ModelFormat::kOnnx;
  src.config = hf.config;
  src.name = U8Path(dir).lexically_normal().filename().string();
  GEMMA_RETURN_IF_ERROR(BuildHfTensors(tensors, hf.vocab_size, file, "config.json", &src));
  StatusOr<VocabSpec> vocab = LoadVocab(dir);
  if (!vocab.ok()) return Status(vocab.status().code(), "tokenizer: " + vocab.status().message());
  src.vocab = std::move(vocab).value();
  GEMMA_RETURN_IF_ERROR(FitVocabToEmbedding(&src.vocab, src.config.n_vocab, true, dir));

  size_t transposed = 0;
  for (const HfTensor& t : tensors) transposed += t.transposed ? 1 : 0;
  src.metadata.emplace_back("format", "ONNX (" + std::to_string(onnx->initializers().size()) +
                                          " initializers, " + std::to_string(onnx->nodes().size()) +
                                          " nodes)");
  if (!onnx->producer().empty()) src.metadata.emplace_back("producer", onnx->producer());
  std::string ext;
  for (const std::string& f : onnx->external_files()) ext += (ext.empty() ? "" : ", ") + f;
  if (!ext.empty()) src.metadata.emplace_back("external data", ext);
  src.metadata.emplace_back("transposed MatMul weights", std::to_string(transposed));
  src.metadata.emplace_back("architecture",
                            hf.architecture.empty() ? hf.model_type : hf.architecture);
  for (const auto& kv : hf.display) src.metadata.push_back(kv);
  src.keep_alive.push_back(std::shared_ptr<const OnnxModel>(std::move(onnx)));
  return src;
}

}  // namespace

StatusOr<ModelSource> OpenOnnxSource(const std::string& path) {
  try {
    return Open(path);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(path + ": out of memory loading the ONNX model");
  } catch (const std::exception& e) {
    return Internal(path + ": " + e.what());
  }
}

}  // namespace gemma

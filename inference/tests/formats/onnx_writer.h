// Test helper: writes a fixture GGUF as an ONNX model with external data, in
// the two naming styles gemma-core reads (docs/FORMATS.md): initializers
// under Hugging Face names, or the way Optimum's exporter leaves them after
// constant folding (onnx::MatMul_N transposed [in, out] weights of MatMul
// nodes, folded 1 + w norm scales of Mul nodes, raw w of Add nodes).
#pragma once

#include "writers.h"

namespace gemma::test {

struct OnnxWriteOptions {
  bool optimum_names = true;      // false: every weight under its HF name
  std::string dtype = "F32";      // F32 or F16 (ONNX FLOAT / FLOAT16)
  bool misalign_one = false;      // put one matrix at an offset that is not 4-byte aligned
  std::vector<std::string> drop;  // HF parameter names to leave out
};

class OnnxBuilder {
 public:
  // Adds an initializer; data of >= 256 bytes goes to the external file
  // unless `inline_data` (then FLOAT data goes to float_data).
  void Initializer(const std::string& name, int32_t data_type, const std::vector<uint64_t>& dims,
                   const Bytes& data, bool packed_dims = false, bool misalign = false,
                   bool inline_data = false) {
    Bytes t;
    if (packed_dims) {
      Bytes d;
      for (const uint64_t v : dims) PbVarint(d, v);
      PbMsg(t, 1, d);
    } else {
      for (const uint64_t v : dims) PbUint(t, 1, v);
    }
    PbUint(t, 2, static_cast<uint64_t>(data_type));
    PbStr(t, 8, name);
    if (data.size() >= 256 && !inline_data) {
      while (external_.size() % 64 != (misalign ? 2 : 0)) external_.push_back(0);
      Bytes kv;
      PbStr(kv, 1, "location");
      PbStr(kv, 2, "model.onnx_data");
      PbMsg(t, 13, kv);
      kv.clear();
      PbStr(kv, 1, "offset");
      PbStr(kv, 2, std::to_string(external_.size()));
      PbMsg(t, 13, kv);
      kv.clear();
      PbStr(kv, 1, "length");
      PbStr(kv, 2, std::to_string(data.size()));
      PbMsg(t, 13, kv);
      PbUint(t, 14, 1);
      external_.insert(external_.end(), data.begin(), data.end());
    } else if (data_type == 1 && data.size() % 4 == 0 && data.size() >= 8) {
      PbMsg(t, 4, data);  // packed float_data
    } else {
      PbBytes(t, 9, data.data(), data.size());
    }
    PbMsg(graph_, 5, t);
  }
  void Node(const std::string& name, const std::string& op,
            const std::vector<std::string>& inputs) {
    Bytes n;
    for (const auto& i : inputs) PbStr(n, 1, i);
    PbStr(n, 2, name + "_output_0");
    PbStr(n, 3, name);
    PbStr(n, 4, op);
    PbMsg(graph_, 1, n);
  }
  void Write(const fs::path& dir) const {
    Bytes m;
    PbUint(m, 1, 8);  // ir_version
    PbStr(m, 2, "pytorch");
    PbStr(m, 3, "2.1.0");
    Bytes opset;
    PbStr(opset, 1, "");
    PbUint(opset, 2, 14);
    PbMsg(m, 8, opset);
    Bytes g = graph_;
    PbStr(g, 2, "main_graph");
    PbMsg(m, 7, g);
    WriteFile(dir / "model.onnx", m.data(), m.size());
    WriteFile(dir / "model.onnx_data", external_.data(), external_.size());
  }

 private:
  Bytes graph_, external_;
};

inline std::string Scope(const std::string& hf_param) {  // "model.layers.0.mlp.up_proj.weight" ->
                                                         // "/model/layers.0/mlp/up_proj"
  std::string s = "/" + hf_param.substr(0, hf_param.size() - 7);
  size_t layers = s.find("layers.");
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.' && !(layers != std::string::npos && i == layers + 6)) s[i] = '/';
  }
  return s;
}

inline void WriteOnnx(const GgufFile& g, const fs::path& dir, const OnnxWriteOptions& o = {}) {
  fs::create_directories(dir);
  OnnxBuilder b;
  const int32_t type = o.dtype == "F16" ? 10 : 1;
  int counter = 1000;
  bool misaligned = false;
  const std::vector<HfParam> params = HfParams(g);
  for (const HfParam& p : params) {
    if (std::find(o.drop.begin(), o.drop.end(), p.name) != o.drop.end()) continue;
    const std::string scope = Scope(p.name);
    if (!o.optimum_names || p.name == "model.embed_tokens.weight") {
      b.Initializer(p.name, type, p.shape, Encode(p.values, o.dtype));
      if (p.name == "model.embed_tokens.weight")
        b.Node("/model/embed_tokens/Gather", "Gather", {p.name, "input_ids"});
      continue;
    }
    const std::string id = std::to_string(counter++);
    if (!p.is_norm) {
      // Folded Transpose: [in, out].
      const uint64_t rows = p.shape[0], cols = p.shape[1];
      std::vector<float> t(p.values.size());
      for (uint64_t r = 0; r < rows; ++r) {
        for (uint64_t c = 0; c < cols; ++c) t[c * rows + r] = p.values[r * cols + c];
      }
      const bool mis = o.misalign_one && !misaligned;
      misaligned = misaligned || mis;
      b.Initializer("onnx::MatMul_" + id, type, {cols, rows}, Encode(t, o.dtype), counter % 2 == 0,
                    mis);
      b.Node(scope + "/MatMul", "MatMul", {scope + "/input", "onnx::MatMul_" + id});
    } else if (p.name == "model.norm.weight") {
      // Kept under its name (raw w), stored in float_data when small.
      b.Initializer(p.name, type, p.shape, Encode(p.values, o.dtype), false, false, true);
      b.Node(scope + "/Add_1", "Add", {p.name, "one"});
    } else if (p.name.find("_norm.") != std::string::npos) {
      // q_norm / k_norm: raw w under an anonymous name, added to 1 by the graph.
      b.Initializer("onnx::Add_" + id, type, p.shape, Encode(p.values, o.dtype), true);
      b.Node(scope + "/Add_1", "Add", {"one", "onnx::Add_" + id});
      b.Node(scope + "/Mul_1", "Mul", {scope + "/x", scope + "/Add_1_output_0"});
    } else {
      // The eps constant, then the folded 1 + w consumed by Mul.
      Bytes eps(4);
      const float e = 1e-6f;
      std::memcpy(eps.data(), &e, 4);
      b.Initializer("onnx::Add_" + id + "_eps", 1, {}, eps);
      b.Node(scope + "/Add", "Add", {scope + "/Pow_output_0", "onnx::Add_" + id + "_eps"});
      std::vector<float> folded = p.values;
      for (float& v : folded) v += 1.0f;
      b.Initializer("onnx::Mul_" + id, type, p.shape, Encode(folded, o.dtype));
      b.Node(scope + "/Mul_1", "Mul", {scope + "/Mul_output_0", "onnx::Mul_" + id});
    }
  }
  if (o.optimum_names) {
    // Shape constants and the tied lm_head's folded transposed copy: ignored.
    Bytes shape(24, 0);
    b.Initializer("onnx::Reshape_7", 7, {3}, shape);
    b.Node("/model/layers.0/self_attn/Reshape", "Reshape", {"x", "onnx::Reshape_7"});
    const HfParam& emb = params.front();
    b.Initializer("onnx::MatMul_lm", type, {emb.shape[1], emb.shape[0]},
                  Encode(emb.values, o.dtype));
    b.Node("/lm_head/MatMul", "MatMul", {"h", "onnx::MatMul_lm"});
  }
  b.Write(dir);
  WriteFile(dir / "config.json", HfConfigJson(g, false).dump(2));
  WriteTokenizerFiles(g, dir);
}

}  // namespace gemma::test

#include "model/weights.h"

#include <set>
#include <unordered_map>

#include "io/gguf.h"
#include "io/mapped_file.h"

namespace gemma {
namespace {

std::string DimsString(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

class Binder {
 public:
  Binder(std::span<const SourceTensor> tensors, const std::string& source, ModelWeights* w,
         std::string arch)
      : tensors_(tensors), source_(source), w_(w), arch_(std::move(arch)) {
    for (size_t i = 0; i < tensors.size(); ++i) index_.emplace(tensors[i].name, i);
  }

  // A matrix of `rows` outputs by `cols` inputs: GGUF dims [cols, rows].
  Status Matrix(const std::string& name, size_t rows, size_t cols, kernels::MatView* out) {
    GEMMA_ASSIGN_OR_RETURN(const SourceTensor* t, Find(name, {cols, rows}));
    const DType type = t->type;
    if (type != DType::kF32 && type != DType::kF16 && type != DType::kBF16 &&
        type != DType::kQ8_0 && type != DType::kQ4_0 && !IsKQuant(type)) {
      return Unsupported(source_ + ": tensor '" + name + "'" + Origin(*t) + " has type " +
                         DTypeName(type) + ", which has no matmul kernel");
    }
    if (cols % DTypeBlockElems(type) != 0) {
      return CorruptData(source_ + ": tensor '" + name + "'" + Origin(*t) + " has rows of " +
                         std::to_string(cols) + " elements, not a multiple of " + DTypeName(type) +
                         "'s block of " + std::to_string(DTypeBlockElems(type)));
    }
    if (t->n_bytes != DTypeRowBytes(type, cols) * rows) {
      return CorruptData(source_ + ": tensor '" + name + "'" + Origin(*t) + " has " +
                         std::to_string(t->n_bytes) + " bytes, expected " +
                         std::to_string(DTypeRowBytes(type, cols) * rows));
    }
    out->type = type;
    out->data = t->data;
    out->rows = rows;
    out->cols = cols;
    out->row_bytes = DTypeRowBytes(type, cols);
    w_->total_bytes += t->n_bytes;
    return Status::Ok();
  }

  // A norm vector of n scales, returned as f32 (widened if stored narrower).
  Status Vector(const std::string& name, size_t n, const float** out) {
    GEMMA_ASSIGN_OR_RETURN(const SourceTensor* t, Find(name, {n}));
    w_->total_bytes += t->n_bytes;
    if (t->n_bytes != DTypeRowBytes(t->type, n)) {
      return CorruptData(source_ + ": tensor '" + name + "'" + Origin(*t) + " has " +
                         std::to_string(t->n_bytes) + " bytes, expected " +
                         std::to_string(DTypeRowBytes(t->type, n)));
    }
    if (t->type == DType::kF32) {
      if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
        return CorruptData(source_ + ": tensor '" + name + "' is not 4-byte aligned");
      }
      *out = reinterpret_cast<const float*>(t->data);
      return Status::Ok();
    }
    if (t->type != DType::kF16 && t->type != DType::kBF16) {
      return Unsupported(source_ + ": norm tensor '" + name + "'" + Origin(*t) + " has type " +
                         DTypeName(t->type) + " (expected F32, F16 or BF16)");
    }
    auto buf = std::make_unique<float[]>(n);
    kernels::DequantizeRow(t->type, t->data, n, buf.get());
    *out = buf.get();
    w_->owned.push_back(std::move(buf));
    return Status::Ok();
  }

  // Every tensor in the file must have been bound.
  Status CheckNoExtra() const {
    for (const SourceTensor& t : tensors_) {
      if (!bound_.count(t.name)) {
        return CorruptData(source_ + ": unexpected tensor '" + t.name + "'" + Origin(t) +
                           " for architecture " + arch_ +
                           " (wrong block count or a different model type?)");
      }
    }
    return Status::Ok();
  }

 private:
  static std::string Origin(const SourceTensor& t) {
    return t.origin.empty() ? "" : " (" + t.origin + ")";
  }

  StatusOr<const SourceTensor*> Find(const std::string& name, const std::vector<uint64_t>& dims) {
    const auto it = index_.find(name);
    if (it == index_.end()) return NotFound(source_ + ": tensor '" + name + "' is missing");
    const SourceTensor* t = &tensors_[it->second];
    if (t->dims != dims) {
      return CorruptData(source_ + ": tensor '" + name + "'" + Origin(*t) + " has shape " +
                         DimsString(t->dims) + ", expected " + DimsString(dims) +
                         " (GGUF order: columns first)");
    }
    bound_.insert(name);
    return t;
  }

  std::span<const SourceTensor> tensors_;
  const std::string& source_;
  std::unordered_map<std::string, size_t> index_;
  ModelWeights* w_;
  std::string arch_;
  std::set<std::string> bound_;
};

}  // namespace

std::vector<SourceTensor> GgufSourceTensors(const GgufFile& g) {
  std::vector<SourceTensor> out;
  out.reserve(g.tensors().size());
  for (const GgufTensor& t : g.tensors())
    out.push_back({t.name, t.type, t.dims, t.data, t.n_bytes, {}});
  return out;
}

size_t InterleaveWeights(ModelWeights* w, MappedFile* file) {
  if (file == nullptr || !kernels::PrefersInterleavedWeights()) return 0;
  std::vector<kernels::MatView*> mats;
  if (kernels::CanInterleave(w->token_embd)) mats.push_back(&w->token_embd);
  for (LayerWeights& l : w->layers) {
    for (kernels::MatView* m :
         {&l.attn_q, &l.attn_k, &l.attn_v, &l.attn_output, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) {
      if (kernels::CanInterleave(*m)) mats.push_back(m);
    }
  }
  if (mats.empty() || !file->SetWritable(true)) return 0;
  for (kernels::MatView* m : mats) {
    // The bytes belong to `file`, now writable: the view's const is the
    // model's promise not to change them after load.
    kernels::InterleaveRows(m, const_cast<uint8_t*>(m->data));
  }
  file->SetWritable(false);
  return mats.size();
}

StatusOr<ModelWeights> BindGgufWeights(const GgufFile& g, const ModelConfig& c) {
  const std::vector<SourceTensor> tensors = GgufSourceTensors(g);
  return BindWeights(tensors, c, g.path());
}

StatusOr<ModelWeights> BindWeights(std::span<const SourceTensor> tensors, const ModelConfig& c,
                                   const std::string& source) {
  ModelWeights w;
  Binder b(tensors, source, &w, ArchitectureName(c.arch));
  GEMMA_RETURN_IF_ERROR(b.Matrix("token_embd.weight", c.n_vocab, c.d_model, &w.token_embd));
  GEMMA_RETURN_IF_ERROR(b.Vector("output_norm.weight", c.d_model, &w.output_norm));
  w.layers.resize(c.n_layers);
  for (size_t il = 0; il < c.n_layers; ++il) {
    LayerWeights& l = w.layers[il];
    const std::string p = "blk." + std::to_string(il) + ".";
    GEMMA_RETURN_IF_ERROR(b.Vector(p + "attn_norm.weight", c.d_model, &l.attn_norm));
    GEMMA_RETURN_IF_ERROR(b.Matrix(p + "attn_q.weight", c.q_dim(), c.d_model, &l.attn_q));
    GEMMA_RETURN_IF_ERROR(b.Matrix(p + "attn_k.weight", c.kv_dim(), c.d_model, &l.attn_k));
    GEMMA_RETURN_IF_ERROR(b.Matrix(p + "attn_v.weight", c.kv_dim(), c.d_model, &l.attn_v));
    GEMMA_RETURN_IF_ERROR(b.Matrix(p + "attn_output.weight", c.d_model, c.q_dim(), &l.attn_output));
    GEMMA_RETURN_IF_ERROR(b.Vector(p + "ffn_norm.weight", c.d_model, &l.ffn_norm));
    GEMMA_RETURN_IF_ERROR(b.Matrix(p + "ffn_gate.weight", c.ffn_dim, c.d_model, &l.ffn_gate));
    GEMMA_RETURN_IF_ERROR(b.Matrix(p + "ffn_up.weight", c.ffn_dim, c.d_model, &l.ffn_up));
    GEMMA_RETURN_IF_ERROR(b.Matrix(p + "ffn_down.weight", c.d_model, c.ffn_dim, &l.ffn_down));
    if (c.post_norms) {
      GEMMA_RETURN_IF_ERROR(
          b.Vector(p + "post_attention_norm.weight", c.d_model, &l.post_attention_norm));
      GEMMA_RETURN_IF_ERROR(b.Vector(p + "post_ffw_norm.weight", c.d_model, &l.post_ffw_norm));
    }
    if (c.qk_norm) {
      GEMMA_RETURN_IF_ERROR(b.Vector(p + "attn_q_norm.weight", c.head_dim, &l.attn_q_norm));
      GEMMA_RETURN_IF_ERROR(b.Vector(p + "attn_k_norm.weight", c.head_dim, &l.attn_k_norm));
    }
  }
  GEMMA_RETURN_IF_ERROR(b.CheckNoExtra());
  return w;
}

}  // namespace gemma

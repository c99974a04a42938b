#include "model/export.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <new>
#include <unordered_map>

#include "io/gcore.h"
#include "io/gguf_writer.h"
#include "kernels/kernels.h"
#include "model/gcore_model.h"
#include "quant/quantize.h"

namespace gemma {
namespace {

bool IsQuantized(DType t) { return t == DType::kQ8_0 || t == DType::kQ4_0 || IsKQuant(t); }

// The type most matrices are written as (general.file_type).
DType DominantMatrixType(const ModelSource& src, const ExportOptions& o) {
  std::map<DType, size_t> count;
  for (const SourceTensor& t : src.tensors) {
    if (t.dims.size() >= 2) ++count[ExportType(t, o, false)];
  }
  DType best = DType::kF32;
  size_t n = 0;
  for (const auto& [type, c] : count) {
    if (c > n) best = type, n = c;
  }
  return best;
}

// GGUF keys from the config, for sources that are not GGUF. Errors when the
// config holds something GGUF readers (ours and llama.cpp) would not get back.
Status ConfigToGguf(const ModelSource& src, GgufWriter* w) {
  const ModelConfig& c = src.config;
  const std::string a = ArchitectureName(c.arch);
  const std::string p = a + ".";
  auto cannot = [&](const std::string& what) {
    return Unsupported(src.path + ": " + what +
                       " cannot be expressed in GGUF (convert to .gcore instead)");
  };
  // llama.cpp derives the query scale from the shape (ConfigFromGguf too).
  double qpas = static_cast<double>(c.head_dim);
  if ((c.arch == Architecture::kGemma2 && c.n_layers == 46) ||
      (c.arch == Architecture::kGemma3 && c.n_layers == 62)) {
    qpas = static_cast<double>(size_t{c.d_model / c.n_heads});  // integer, as llama.cpp
  }
  if (std::fabs(c.query_scale - static_cast<float>(1.0 / std::sqrt(qpas))) >
      1e-6f * c.query_scale) {
    return cannot("query scale " + std::to_string(c.query_scale) + " (query_pre_attn_scalar)");
  }
  if (c.arch == Architecture::kGemma3 && c.rope_base_local != 10000.0f) {
    return cannot("rope_local_base_freq " + std::to_string(c.rope_base_local));
  }
  if (c.arch != Architecture::kGemma2 && (c.attn_softcap != 0 || c.final_softcap != 0)) {
    return cannot("logit soft-capping on " + a);
  }
  if (c.arch != Architecture::kGemma3 && c.rope_linear_scale != 1.0f)
    return cannot("rope_scaling on " + a);
  w->Set("general.architecture", GgufString(a));
  w->Set("general.name", GgufString(src.name));
  w->Set(p + "context_length", GgufU32(static_cast<uint32_t>(c.context_length)));
  w->Set(p + "embedding_length", GgufU32(static_cast<uint32_t>(c.d_model)));
  w->Set(p + "block_count", GgufU32(static_cast<uint32_t>(c.n_layers)));
  w->Set(p + "feed_forward_length", GgufU32(static_cast<uint32_t>(c.ffn_dim)));
  w->Set(p + "attention.head_count", GgufU32(static_cast<uint32_t>(c.n_heads)));
  w->Set(p + "attention.head_count_kv", GgufU32(static_cast<uint32_t>(c.n_kv_heads)));
  w->Set(p + "attention.layer_norm_rms_epsilon", GgufF32(c.rms_eps));
  w->Set(p + "attention.key_length", GgufU32(static_cast<uint32_t>(c.head_dim)));
  w->Set(p + "attention.value_length", GgufU32(static_cast<uint32_t>(c.head_dim)));
  w->Set(p + "rope.freq_base", GgufF32(c.rope_base_global));
  if (c.arch == Architecture::kGemma2) {
    w->Set(p + "attn_logit_softcapping", GgufF32(c.attn_softcap));
    w->Set(p + "final_logit_softcapping", GgufF32(c.final_softcap));
  }
  if (c.arch != Architecture::kGemma1) {
    w->Set(p + "attention.sliding_window", GgufU32(static_cast<uint32_t>(c.sliding_window)));
  }
  if (c.arch == Architecture::kGemma3 && c.rope_linear_scale != 1.0f) {
    w->Set(p + "rope.scaling.type", GgufString("linear"));
    w->Set(p + "rope.scaling.factor", GgufF32(c.rope_linear_scale));
  }
  return Status::Ok();
}

Status VocabToGguf(const ModelSource& src, GgufWriter* w) {
  const VocabSpec& v = src.vocab;
  const size_t n = v.pieces.size();
  w->Set("tokenizer.ggml.model", GgufString("llama"));
  w->Set("tokenizer.ggml.tokens", GgufStringArray(v.pieces));
  if (!v.scores.empty()) w->Set("tokenizer.ggml.scores", GgufF32Array(v.scores));
  std::vector<int32_t> types(n, static_cast<int32_t>(PieceType::kNormal));
  for (size_t i = 0; i < n && i < v.types.size(); ++i) types[i] = static_cast<int32_t>(v.types[i]);
  w->Set("tokenizer.ggml.token_type", GgufI32Array(types));
  std::vector<std::string> merges = v.merges;
  if (!v.merge_ids.empty()) {
    // merge_ids give a repeated pair its last rank; "a b" strings their
    // first: keep only the last occurrence of each pair.
    std::unordered_map<uint64_t, size_t> last;
    for (size_t i = 0; i < v.merge_ids.size(); ++i) {
      const auto [l, r] = v.merge_ids[i];
      if (l < 0 || r < 0 || static_cast<size_t>(l) >= n || static_cast<size_t>(r) >= n) {
        return CorruptData(src.path + ": merge " + std::to_string(i) +
                           " refers to a piece outside the vocabulary");
      }
      last[static_cast<uint64_t>(l) << 32 | static_cast<uint32_t>(r)] = i;
    }
    merges.clear();
    for (size_t i = 0; i < v.merge_ids.size(); ++i) {
      const auto [l, r] = v.merge_ids[i];
      if (last[static_cast<uint64_t>(l) << 32 | static_cast<uint32_t>(r)] != i) continue;
      if (v.pieces[l].find(' ') != std::string::npos ||
          v.pieces[r].find(' ') != std::string::npos) {
        return Unsupported(
            src.path + ": merge " + std::to_string(i) +
            " has a piece containing a space, which GGUF's \"a b\" merges cannot hold");
      }
      merges.push_back(v.pieces[l] + " " + v.pieces[r]);
    }
  }
  // Decided before `merges` is moved from: zero scores only for a vocabulary
  // with neither scores nor merges.
  const bool has_merges = !merges.empty();
  if (has_merges) w->Set("tokenizer.ggml.merges", GgufStringArray(std::move(merges)));
  if (v.scores.empty() && !has_merges && v.merge_ids.empty()) {
    w->Set("tokenizer.ggml.scores", GgufF32Array(std::vector<float>(n, 0.0f)));
  }
  auto id = [&](const char* key, int32_t value) {
    if (value >= 0) w->Set(key, GgufU32(static_cast<uint32_t>(value)));
  };
  id("tokenizer.ggml.bos_token_id", v.bos_id);
  id("tokenizer.ggml.eos_token_id", v.eos_id);
  id("tokenizer.ggml.unknown_token_id", v.unk_id);
  id("tokenizer.ggml.padding_token_id", v.pad_id);
  w->Set("tokenizer.ggml.add_bos_token", GgufBool(true));
  w->Set("tokenizer.ggml.add_eos_token", GgufBool(false));
  w->Set("tokenizer.ggml.add_space_prefix", GgufBool(v.add_space_prefix));
  return Status::Ok();
}

template <typename Writer>
typename Writer::DataFn TensorData(const ModelSource& src, const std::vector<DType>& types) {
  return [&src, &types](size_t i, std::vector<uint8_t>* scratch) {
    return ConvertTensor(src.tensors[i], types[i], scratch);
  };
}

}  // namespace

DType ExportType(const SourceTensor& t, const ExportOptions& o, bool widen_norms) {
  if (t.dims.size() >= 2)
    return o.matrix_type_of ? o.matrix_type_of(t) : o.matrix_type.value_or(t.type);
  return widen_norms ? DType::kF32 : t.type;
}

StatusOr<std::span<const uint8_t>> ConvertTensor(const SourceTensor& t, DType type,
                                                 std::vector<uint8_t>* scratch) {
  if (t.type == type) return std::span<const uint8_t>(t.data, t.n_bytes);
  const uint64_t cols = t.dims[0];
  uint64_t rows = 1;
  for (size_t i = 1; i < t.dims.size(); ++i) rows *= t.dims[i];
  if (cols % DTypeBlockElems(type) != 0) {
    return Unsupported("tensor '" + t.name + "': rows of " + std::to_string(cols) +
                       " cannot be stored as " + DTypeName(type) + " (blocks of " +
                       std::to_string(DTypeBlockElems(type)) + ")");
  }
  try {
    const size_t in_row = DTypeRowBytes(t.type, cols), out_row = DTypeRowBytes(type, cols);
    scratch->resize(out_row * rows);
    std::vector<float> f(cols);
    for (uint64_t r = 0; r < rows; ++r) {
      kernels::DequantizeRow(t.type, t.data + r * in_row, cols, f.data());
      if (!quant::EncodeRow(type, f.data(), cols, scratch->data() + r * out_row)) {
        return Unsupported(std::string("cannot write tensors of type ") + DTypeName(type));
      }
    }
    return std::span<const uint8_t>(scratch->data(), scratch->size());
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("tensor '" + t.name + "': out of memory converting it");
  }
}

Status WriteGguf(const ModelSource& src, const std::string& path, const ExportOptions& o) {
  GgufWriter w;
  std::vector<DType> types;
  for (const SourceTensor& t : src.tensors) {
    types.push_back(ExportType(t, o, false));
    GEMMA_RETURN_IF_ERROR(w.AddTensor(t.name, types.back(), t.dims));
  }
  const DType main = DominantMatrixType(src, o);
  if (src.gguf != nullptr) {
    for (const auto& [key, value] : src.gguf->metadata()) w.Set(key, value);
  } else {
    GEMMA_RETURN_IF_ERROR(ConfigToGguf(src, &w));
    GEMMA_RETURN_IF_ERROR(VocabToGguf(src, &w));
  }
  if (src.gguf == nullptr || o.matrix_type.has_value() || o.matrix_type_of) {
    w.SetAfter("general.name", "general.file_type",
               GgufU32(o.file_type.value_or(quant::LlamaFileType(main))));
  }
  if (IsQuantized(main)) {
    if (w.metadata().end() ==
        std::find_if(w.metadata().begin(), w.metadata().end(),
                     [](const auto& kv) { return kv.first == "general.quantization_version"; })) {
      w.SetAfter("general.file_type", "general.quantization_version", GgufU32(2));
    }
  } else {
    w.Remove("general.quantization_version");
  }
  return w.Write(path, TensorData<GgufWriter>(src, types), o.progress);
}

Status WriteGcore(const ModelSource& src, const std::string& path, const ExportOptions& o) {
  GcoreWriter w;
  std::vector<DType> types;
  std::map<std::string, size_t> type_count;
  for (const SourceTensor& t : src.tensors) {
    types.push_back(ExportType(t, o, true));
    ++type_count[DTypeName(types.back())];
    GEMMA_RETURN_IF_ERROR(w.AddTensor(t.name, types.back(), t.dims));
  }
  std::string type_summary;
  for (const auto& [name, count] : type_count) {
    type_summary += (type_summary.empty() ? "" : ", ") + name + " x" + std::to_string(count);
  }
  w.SetConfig(GcoreConfigKvs(src.config));
  w.SetInfo({GcoreKv::Str("name", src.name),
             GcoreKv::Str("source_format", ModelFormatName(src.format)),
             GcoreKv::Str("source_file", std::filesystem::path(src.path).filename().string()),
             GcoreKv::Str("tensor_types", type_summary), GcoreKv::Str("writer", "gemma-core")});
  w.SetVocab(src.vocab);
  return w.Write(path, TensorData<GcoreWriter>(src, types), o.progress);
}

}  // namespace gemma

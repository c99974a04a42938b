#include "quant/kquant_mix.h"

#include <cctype>
#include <cstdio>

namespace gemma::quant {
namespace {

// llama.cpp's use_more_bits: the first and last eighth of the layers and
// every third layer in between.
bool UseMoreBits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// Layer index of "blk.N.*", or -1. llama.cpp counts attn_v / ffn_down
// tensors in file order instead; for files whose layers are in order (every
// GGUF llama.cpp writes) that is the same number.
int LayerOf(const std::string& name) {
  int layer = -1, consumed = 0;
  if (std::sscanf(name.c_str(), "blk.%d.%n", &layer, &consumed) == 1 && consumed > 0) return layer;
  return -1;
}

bool Has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

StatusOr<QuantSpec> ParseQuantSpec(std::string_view name) {
  std::string s(name);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct Entry {
    const char* name;
    DType type;
    Mixture mix;
    uint32_t ftype;
  };
  // ftypes: llama.cpp's enum llama_ftype. A single-type K-quant file is
  // labelled with the mixture that is mostly that type (Q4_K -> Q4_K_S ...).
  static constexpr Entry kSpecs[] = {
      {"f32", DType::kF32, Mixture::kNone, 0},
      {"f16", DType::kF16, Mixture::kNone, 1},
      {"q4_0", DType::kQ4_0, Mixture::kNone, 2},
      {"q8_0", DType::kQ8_0, Mixture::kNone, 7},
      {"bf16", DType::kBF16, Mixture::kNone, 32},
      {"q2_k", DType::kQ2_K, Mixture::kNone, 10},
      {"q3_k", DType::kQ3_K, Mixture::kNone, 11},
      {"q4_k", DType::kQ4_K, Mixture::kNone, 14},
      {"q5_k", DType::kQ5_K, Mixture::kNone, 16},
      {"q6_k", DType::kQ6_K, Mixture::kNone, 18},
      {"q4_k_m", DType::kQ4_K, Mixture::kQ4_K_M, 15},
      {"q5_k_m", DType::kQ5_K, Mixture::kQ5_K_M, 17},
  };
  for (const Entry& e : kSpecs) {
    if (s == e.name) return QuantSpec{e.type, e.mix, e.ftype};
  }
  const std::string supported =
      "supported: q8_0, q4_0, q2_k, q3_k, q4_k, q5_k, q6_k, q4_k_m, q5_k_m, f16, bf16, f32";
  for (const char* k : {"q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q8_k", "iq"}) {
    if (s.rfind(k, 0) == 0) {
      return Unsupported("quantization type '" + std::string(name) + "' is not supported; " +
                         supported);
    }
  }
  return InvalidArgument("unknown quantization type '" + std::string(name) + "'; " + supported);
}

TensorTypePlanner::TensorTypePlanner(const QuantSpec& spec, const std::vector<std::string>& names)
    : spec_(spec) {
  for (const std::string& n : names) {
    if (Has(n, "attn_v.weight")) ++n_attn_v_;
    if (Has(n, "ffn_down")) ++n_ffn_down_;
    if (n == "output.weight") has_output_ = true;
  }
}

DType TensorTypePlanner::TypeFor(const std::string& name, uint64_t cols) const {
  DType t = spec_.type;
  if (!IsKQuant(t)) return t;
  const bool output = name == "output.weight" || (!has_output_ && name == "token_embd.weight");
  if (spec_.mixture != Mixture::kNone) {
    if (output) {
      // llama.cpp: Q8_0 when the rows do not split into super-blocks, else Q6_K.
      return cols % kSuperBlock != 0 ? DType::kQ8_0 : DType::kQ6_K;
    }
    if (Has(name, "attn_v.weight") && UseMoreBits(LayerOf(name), n_attn_v_)) t = DType::kQ6_K;
    if (Has(name, "ffn_down") && UseMoreBits(LayerOf(name), n_ffn_down_)) t = DType::kQ6_K;
  }
  if (cols % kSuperBlock != 0) {
    // llama.cpp's fallbacks, with Q8_0 for the types we cannot run (Q5_0,
    // Q5_1, IQ4_NL), F16 when not even blocks of 32 fit.
    t = cols % kQuantBlock == 0 ? DType::kQ8_0 : DType::kF16;
  }
  return t;
}

}  // namespace gemma::quant

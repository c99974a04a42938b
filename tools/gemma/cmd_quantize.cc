// `gemma quantize IN OUT --type TYPE [--to gguf|gcore]` with the reference
// quantizers, byte-identical to llama.cpp's; norms stay F32.
//   q8_0, q4_0, f16, bf16, f32: every matrix, the embedding included (as
//     llama-quantize --pure).
//   q2_k, q3_k, q4_k, q5_k, q6_k: every matrix that type (llama-quantize
//     --pure; q6_k is also llama.cpp's Q6_K file type).
//   q4_k_m, q5_k_m: llama.cpp's mixtures (Q6_K embedding, Q6_K attn_v /
//     ffn_down in some layers).
// Rows that are not a multiple of 256 fall back as quant/kquant_mix.h says.
#include "common.h"

namespace gemma::cli {
namespace {

struct QuantizeFlags {
  std::string in, out, to, type;
  bool verify = false;
};

}  // namespace

Runner AddQuantize(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "quantize", "Quantize a model's matrices (q8_0, q4_0, K-quants; GGUF or .gcore out)");
  auto f = std::make_shared<QuantizeFlags>();
  cmd->add_option("input", f->in, "Model to read: file or checkpoint directory")->required();
  cmd->add_option("output", f->out, "File to write (*.gguf or *.gcore)")->required();
  cmd->add_option("--type", f->type,
                  "q8_0, q4_0, q4_k_m, q5_k_m, q2_k, q3_k, q4_k, q5_k, q6_k (also f16, bf16, f32)")
      ->required();
  cmd->add_option("--to", f->to, "Output format (default: from the output's extension)")
      ->check(CLI::IsMember({"gguf", "gcore"}));
  cmd->add_flag("--verify", f->verify,
                "Re-open the output (and check every .gcore tensor checksum)");
  return [f] { return ConvertModel(f->in, f->out, f->to, f->type, f->verify); };
}

}  // namespace gemma::cli

// `gemma quantize IN OUT --type q8_0|q4_0 [--to gguf|gcore]`: every matrix
// (the embedding included, as llama-quantize --pure) quantized with the
// reference quantizers, byte-identical to llama.cpp's; norms stay F32.
// K-quant types (q4_k, q5_k, q6_k, q4_k_m, ...) are refused as not yet
// supported.
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
      "quantize", "Quantize a model's matrices to q8_0 or q4_0 (GGUF or .gcore out)");
  auto f = std::make_shared<QuantizeFlags>();
  cmd->add_option("input", f->in, "Model to read: file or checkpoint directory")->required();
  cmd->add_option("output", f->out, "File to write (*.gguf or *.gcore)")->required();
  cmd->add_option("--type", f->type, "q8_0 or q4_0 (also f16, bf16, f32)")->required();
  cmd->add_option("--to", f->to, "Output format (default: from the output's extension)")
      ->check(CLI::IsMember({"gguf", "gcore"}));
  cmd->add_flag("--verify", f->verify,
                "Re-open the output (and check every .gcore tensor checksum)");
  return [f] { return ConvertModel(f->in, f->out, f->to, f->type, f->verify); };
}

}  // namespace gemma::cli

// `gemma convert IN OUT [--to gguf|gcore] [--type T] [--verify]`: any model
// format gemma-core reads (GGUF, .gcore, a Hugging Face checkpoint
// directory, ONNX) to GGUF or .gcore, with a progress bar. `gemma quantize`
// (cmd_quantize.cc) is the same with a required --type.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#ifdef _WIN32
#include <io.h>
#define GEMMA_ISATTY(fd) _isatty(fd)
#else
#include <unistd.h>
#define GEMMA_ISATTY(fd) isatty(fd)
#endif

#include "common.h"
#include "io/gcore.h"
#include "model/export.h"
#include "model/source.h"
#include "quant/kquant_mix.h"
#include "quant/quantize.h"

namespace gemma::cli {
namespace {

struct ConvertFlags {
  std::string in, out, to, type;
  bool verify = false;
};

// A progress bar on stderr when it is a terminal; otherwise silent.
std::function<void(float)> ProgressBar(std::string label) {
  if (!GEMMA_ISATTY(2)) return nullptr;
  return [label = std::move(label), last = -1](float f) mutable {
    const int pct = static_cast<int>(f * 100.0f);
    if (pct == last) return;
    last = pct;
    const int width = 30, filled = static_cast<int>(f * width);
    std::fprintf(stderr, "\r%-10s [%.*s%*s] %3d%%", label.c_str(), filled,
                 "##############################", width - filled, "", pct);
    if (f >= 1.0f) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  };
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int ConvertModel(const std::string& in, const std::string& out, std::string to,
                 const std::string& type, bool verify) {
  if (to.empty()) {
    if (EndsWith(out, ".gguf")) {
      to = "gguf";
    } else if (EndsWith(out, ".gcore")) {
      to = "gcore";
    } else {
      return Fail(InvalidArgument("cannot tell the output format from '" + out +
                                  "': name it *.gguf or *.gcore, or pass --to gguf|gcore"));
    }
  }
  ExportOptions options;
  std::optional<quant::QuantSpec> spec;
  if (!type.empty()) {
    StatusOr<quant::QuantSpec> t = quant::ParseQuantSpec(type);
    if (!t.ok()) return Fail(t.status());
    spec = *t;
    options.matrix_type = t->type;
  }
  const auto t0 = std::chrono::steady_clock::now();
  StatusOr<ModelSource> src = OpenModelSource(in);
  if (!src.ok()) return Fail(src.status());
  if (spec && IsKQuant(spec->type)) {
    // K-quants: llama.cpp's per-tensor choices (Q6_K embedding, mixtures,
    // fallbacks for rows that are not a multiple of 256).
    std::vector<std::string> names;
    for (const SourceTensor& t : src->tensors) names.push_back(t.name);
    auto planner = std::make_shared<quant::TensorTypePlanner>(*spec, names);
    options.matrix_type_of = [planner](const SourceTensor& t) {
      return planner->TypeFor(t.name, t.dims[0]);
    };
    options.file_type = spec->llama_ftype;
  }
  std::fprintf(stderr, "gemma: %s (%s, %s, %zu tensors) -> %s (%s%s%s)\n", in.c_str(),
               ModelFormatName(src->format), ArchitectureName(src->config.arch),
               src->tensors.size(), out.c_str(), to.c_str(), type.empty() ? "" : ", ",
               type.c_str());
  options.progress = ProgressBar(type.empty() ? "converting" : "quantizing");
  const Status s = to == "gguf" ? WriteGguf(*src, out, options) : WriteGcore(*src, out, options);
  if (!s.ok()) return Fail(s);
  if (verify) {
    if (to == "gcore") {
      StatusOr<std::unique_ptr<GcoreFile>> f = GcoreFile::Open(out);
      if (!f.ok()) return Fail(f.status());
      const Status v = (*f)->VerifyTensors(ProgressBar("verifying"));
      if (!v.ok()) return Fail(v);
    }
    StatusOr<std::shared_ptr<const Model>> m = Model::Load(out);
    if (!m.ok()) return Fail(m.status());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::error_code ec;
  const auto size = std::filesystem::file_size(out, ec);
  std::fprintf(stderr, "gemma: wrote %s (%.1f MiB) in %.2f s%s\n", out.c_str(),
               static_cast<double>(ec ? 0 : size) / (1 << 20), secs, verify ? ", verified" : "");
  return 0;
}

Runner AddConvert(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "convert", "Convert a model (GGUF, .gcore, Hugging Face directory, ONNX) to GGUF or .gcore");
  auto f = std::make_shared<ConvertFlags>();
  cmd->add_option("input", f->in, "Model to read: file or checkpoint directory")->required();
  cmd->add_option("output", f->out, "File to write")->required();
  cmd->add_option("--to", f->to, "Output format (default: from the output's extension)")
      ->check(CLI::IsMember({"gguf", "gcore"}));
  cmd->add_option("--type", f->type, "Also convert every matrix to q8_0, q4_0, f16, bf16 or f32");
  cmd->add_flag("--verify", f->verify,
                "Re-open the output (and check every .gcore tensor checksum)");
  return [f] { return ConvertModel(f->in, f->out, f->to, f->type, f->verify); };
}

}  // namespace gemma::cli

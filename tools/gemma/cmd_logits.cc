// `gemma logits`: the prompt as one batch (logits at every position), then N
// greedy tokens one at a time through the KV cache. The JSON is what the
// golden tests and cross-target comparisons read.
#include <charconv>
#include <cstdio>
#include <sstream>
#include <vector>

#include "common.h"

namespace gemma::cli {
namespace {

struct LogitsFlags {
  ModelFlags model;
  std::string tokens;
  size_t generate = 0;
};

StatusOr<std::vector<int32_t>> ParseIds(const std::string& s) {
  std::vector<int32_t> ids;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    int32_t v = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || p != item.data() + item.size()) {
      return InvalidArgument("--tokens: '" + item + "' is not a token id");
    }
    ids.push_back(v);
  }
  if (ids.empty()) return InvalidArgument("--tokens: no ids given");
  return ids;
}

// Lowest id wins ties, as in the goldens.
int32_t Argmax(const float* row, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (row[i] > row[best]) best = i;
  }
  return static_cast<int32_t>(best);
}

void WriteRow(std::string* out, const float* row, size_t n) {
  char buf[32];
  out->push_back('[');
  for (size_t i = 0; i < n; ++i) {
    if (i) out->push_back(',');
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, row[i]);  // shortest round-trip form
    out->append(buf, end);
  }
  out->push_back(']');
}

void WriteIds(std::string* out, const std::vector<int32_t>& ids) {
  out->push_back('[');
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out->push_back(',');
    out->append(std::to_string(ids[i]));
  }
  out->push_back(']');
}

int RunLogits(const LogitsFlags& f) {
  auto ids = ParseIds(f.tokens);
  if (!ids.ok()) return Fail(ids.status());
  auto model = LoadModel(f.model);
  if (!model.ok()) return Fail(model.status());
  auto options = ToEngineOptions(f.model);
  const size_t n_prompt = ids->size();
  // The whole prompt must be one batch, and everything must fit the context.
  options.max_batch_tokens = std::max(options.max_batch_tokens, n_prompt);
  if (options.context_length == 0)
    options.context_length =
        std::min((*model)->info().context_length, std::max<size_t>(n_prompt + f.generate, 64));
  auto engine = Engine::Create(*model, options);
  if (!engine.ok()) return Fail(engine.status());
  const size_t nv = (*model)->info().n_vocab;

  std::vector<BatchToken> batch;
  for (size_t i = 0; i < n_prompt; ++i)
    batch.push_back({(*ids)[i], static_cast<int32_t>(i), 0, true});
  std::vector<float> prompt_logits(n_prompt * nv);
  if (Status s = (*engine)->Forward(batch, prompt_logits.data()); !s.ok()) return Fail(s);

  std::vector<int32_t> generated;
  std::vector<float> gen_logits;
  if (f.generate > 0) {
    gen_logits.resize(f.generate * nv);
    std::copy_n(prompt_logits.data() + (n_prompt - 1) * nv, nv, gen_logits.data());
    generated.push_back(Argmax(gen_logits.data(), nv));
    for (size_t k = 1; k < f.generate; ++k) {
      const BatchToken one{generated.back(), static_cast<int32_t>(n_prompt + k - 1), 0, true};
      float* row = gen_logits.data() + k * nv;
      if (Status s = (*engine)->Forward({&one, 1}, row); !s.ok()) return Fail(s);
      generated.push_back(Argmax(row, nv));
    }
  }

  std::string out;
  out.reserve((n_prompt + f.generate) * nv * 12 + 256);
  out += "{\"n_vocab\":" + std::to_string(nv) + ",\"tokens\":";
  WriteIds(&out, *ids);
  out += ",\"logits\":[";
  for (size_t i = 0; i < n_prompt; ++i) {
    if (i) out.push_back(',');
    WriteRow(&out, prompt_logits.data() + i * nv, nv);
  }
  out += "],\"generated\":";
  WriteIds(&out, generated);
  out += ",\"generated_logits\":[";
  for (size_t k = 0; k < generated.size(); ++k) {
    if (k) out.push_back(',');
    WriteRow(&out, gen_logits.data() + k * nv, nv);
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

Runner AddLogits(CLI::App& app) {
  auto* cmd = app.add_subcommand("logits", "Print prompt and greedy-generation logits as JSON");
  auto f = std::make_shared<LogitsFlags>();
  AddModelFlags(cmd, &f->model);
  cmd->add_option("--tokens", f->tokens, "Comma-separated prompt token ids, e.g. 2,300,301")
      ->required();
  cmd->add_option("--generate", f->generate, "Greedy tokens to generate one at a time");
  return [f] { return RunLogits(*f); };
}

}  // namespace gemma::cli

// `gemma run`: generate from a prompt, streaming text, then report speed.
#include <cstdio>

#include "common.h"

namespace gemma::cli {
namespace {

struct RunFlags {
  ModelFlags model;
  std::string prompt;
  size_t n = 128;
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repeat_penalty = 1.0f;
  uint64_t seed = 0;
  bool chat = false;
  std::vector<std::string> stop;
};

int RunRun(const RunFlags& f) {
  auto model = LoadModel(f.model);
  if (!model.ok()) return Fail(model.status());
  auto options = ToEngineOptions(f.model);
  auto session = Session::Create(*model, options);
  if (!session.ok()) return Fail(session.status());
  const Tokenizer& tok = (*model)->tokenizer();

  std::string text = f.prompt;
  if (f.chat) {
    const ChatMessage msg{"user", f.prompt};
    auto rendered = RenderChat({&msg, 1}, /*add_generation_prompt=*/true);
    if (!rendered.ok()) return Fail(rendered.status());
    text = *rendered;
  }
  const std::vector<int32_t> prompt = tok.Encode(text, {.add_bos = true, .parse_special = f.chat});

  GenerateOptions g;
  g.max_tokens = f.n;
  g.stop = f.stop;
  g.sampling.temperature = f.temperature;
  g.sampling.top_k = f.top_k;
  g.sampling.top_p = f.top_p;
  g.sampling.min_p = f.min_p;
  g.sampling.repetition_penalty = f.repeat_penalty;
  g.sampling.seed = f.seed;
  auto result = (*session)->Generate(prompt, g, [](std::string_view delta) {
    std::fwrite(delta.data(), 1, delta.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::printf("\n");
  if (!result.ok()) return Fail(result.status());
  const GenerateResult& r = *result;
  const size_t decoded =
      !r.tokens.empty() ? r.tokens.size() - 1 : 0;  // the first comes from prefill
  std::fprintf(stderr, "prefill: %zu tokens in %.3f s (%.2f tok/s)\n", r.prompt_tokens,
               r.prefill_seconds,
               r.prefill_seconds > 0 ? r.prompt_tokens / r.prefill_seconds : 0.0);
  std::fprintf(stderr, "decode:  %zu tokens in %.3f s (%.2f tok/s), finish: %s\n", decoded,
               r.decode_seconds, r.decode_seconds > 0 ? decoded / r.decode_seconds : 0.0,
               FinishReasonName(r.finish_reason));
  return 0;
}

}  // namespace

Runner AddRun(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Generate text from a prompt");
  auto f = std::make_shared<RunFlags>();
  AddModelFlags(cmd, &f->model);
  cmd->add_option("-p,--prompt", f->prompt, "Prompt text")->required();
  cmd->add_option("-n,--n-predict", f->n, "Maximum tokens to generate");
  cmd->add_option("--temp", f->temperature, "Temperature (0 = greedy)");
  cmd->add_option("--top-k", f->top_k, "Top-k (0 = off)");
  cmd->add_option("--top-p", f->top_p, "Top-p (1 = off)");
  cmd->add_option("--min-p", f->min_p, "Min-p (0 = off)");
  cmd->add_option("--repeat-penalty", f->repeat_penalty, "Repetition penalty (1 = off)");
  cmd->add_option("--seed", f->seed, "Sampling seed");
  cmd->add_option("--stop", f->stop, "Stop string (repeatable)");
  cmd->add_flag("--chat", f->chat, "Wrap the prompt in the Gemma chat template");
  return [f] { return RunRun(*f); };
}

}  // namespace gemma::cli

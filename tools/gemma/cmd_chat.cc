// `gemma chat`: an interactive multi-turn conversation. The whole
// conversation is re-rendered every turn and SetContext() reuses the cached
// prefix, so only the new turn is prefilled.
#include <cstdio>
#include <iostream>

#include "common.h"

namespace gemma::cli {
namespace {

struct ChatFlags {
  ModelFlags model;
  std::string system;
  size_t n = 512;
  float temperature = 0.7f;
  float top_p = 0.95f;
  uint64_t seed = 0;
};

int RunChat(const ChatFlags& f) {
  auto model = LoadModel(f.model);
  if (!model.ok()) return Fail(model.status());
  auto options = ToEngineOptions(f.model);
  auto session = Session::Create(*model, options);
  if (!session.ok()) return Fail(session.status());
  const Tokenizer& tok = (*model)->tokenizer();

  std::vector<ChatMessage> messages;
  if (!f.system.empty()) messages.push_back({"system", f.system});
  GenerateOptions g;
  g.max_tokens = f.n;
  g.sampling.temperature = f.temperature;
  g.sampling.top_p = f.top_p;
  g.sampling.seed = f.seed;
  std::fprintf(stderr, "gemma chat: type a message, an empty line or Ctrl-D to quit.\n");
  std::string line;
  while (true) {
    std::fprintf(stdout, "> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line) || line.empty()) break;
    messages.push_back({"user", line});
    auto rendered = RenderChat(messages, /*add_generation_prompt=*/true);
    if (!rendered.ok()) return Fail(rendered.status());
    const std::vector<int32_t> tokens =
        tok.Encode(*rendered, {.add_bos = true, .parse_special = true});
    if (Status s = (*session)->SetContext(tokens); !s.ok()) return Fail(s);
    auto result = (*session)->Generate({}, g, [](std::string_view delta) {
      std::fwrite(delta.data(), 1, delta.size(), stdout);
      std::fflush(stdout);
      return true;
    });
    std::printf("\n");
    if (!result.ok()) return Fail(result.status());
    messages.push_back({"model", result->text});
    ++g.sampling.seed;
  }
  return 0;
}

}  // namespace

Runner AddChat(CLI::App& app) {
  auto* cmd = app.add_subcommand("chat", "Interactive multi-turn chat");
  auto f = std::make_shared<ChatFlags>();
  AddModelFlags(cmd, &f->model);
  cmd->add_option("--system", f->system, "System message");
  cmd->add_option("-n,--n-predict", f->n, "Maximum tokens per answer");
  cmd->add_option("--temp", f->temperature, "Temperature (0 = greedy)");
  cmd->add_option("--top-p", f->top_p, "Top-p");
  cmd->add_option("--seed", f->seed, "Sampling seed");
  return [f] { return RunChat(*f); };
}

}  // namespace gemma::cli

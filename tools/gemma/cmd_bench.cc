// `gemma bench`: prefill (pp) and decode (tg) throughput, measured like
// llama.cpp's llama-bench so the two can be compared on the same file: pp
// runs p tokens as one batch from an empty cache, tg decodes n tokens one at
// a time from an empty cache; each test runs once to warm up, then r times.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "common.h"
#include "nlohmann/json.hpp"

namespace gemma::cli {
namespace {

struct BenchFlags {
  ModelFlags model;
  size_t prompt = 128;
  size_t generate = 64;
  size_t reps = 5;
  bool json = false;
};

struct Stat {
  double mean = 0, stddev = 0;
};

Stat Summarize(const std::vector<double>& v) {
  Stat s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.stddev += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(s.stddev / static_cast<double>(v.size() - 1)) : 0.0;
  return s;
}

// Deterministic pseudo-random token ids (BOS first), as llama-bench uses
// random tokens: results must not depend on a prompt's content.
std::vector<int32_t> BenchTokens(size_t n, size_t n_vocab) {
  std::vector<int32_t> t(n);
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < n; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    t[i] = i == 0 ? 2 : static_cast<int32_t>((state >> 33) % n_vocab);
  }
  return t;
}

int RunBench(const BenchFlags& f) {
  auto model = LoadModel(f.model);
  if (!model.ok()) return Fail(model.status());
  auto options = ToEngineOptions(f.model);
  options.max_batch_tokens = std::max(options.max_batch_tokens, f.prompt);
  if (options.context_length == 0) {
    options.context_length =
        std::min((*model)->info().context_length, std::max<size_t>(f.prompt, f.generate) + 16);
  }
  auto engine_or = Engine::Create(*model, options);
  if (!engine_or.ok()) return Fail(engine_or.status());
  Engine& engine = **engine_or;
  const size_t nv = (*model)->info().n_vocab;
  std::vector<float> logits(nv);
  using Clock = std::chrono::steady_clock;

  auto run_pp = [&]() -> StatusOr<double> {
    engine.Clear(0);
    const std::vector<int32_t> toks = BenchTokens(f.prompt, nv);
    std::vector<BatchToken> batch;
    for (size_t i = 0; i < toks.size(); ++i)
      batch.push_back({toks[i], static_cast<int32_t>(i), 0, i + 1 == toks.size()});
    const auto t0 = Clock::now();
    GEMMA_RETURN_IF_ERROR(engine.Forward(batch, logits.data()));
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  auto run_tg = [&]() -> StatusOr<double> {
    engine.Clear(0);
    const std::vector<int32_t> toks = BenchTokens(f.generate, nv);
    const auto t0 = Clock::now();
    for (size_t i = 0; i < toks.size(); ++i) {
      const BatchToken one{toks[i], static_cast<int32_t>(i), 0, true};
      GEMMA_RETURN_IF_ERROR(engine.Forward({&one, 1}, logits.data()));
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };

  nlohmann::json results = nlohmann::json::array();
  const ModelInfo& info = (*model)->info();
  if (!f.json) {
    std::printf("| model | size | threads | target | test | t/s |\n|---|---|---|---|---|---|\n");
  }
  auto measure = [&](const char* name, size_t n_tokens, auto&& fn) -> Status {
    if (n_tokens == 0) return Status::Ok();
    GEMMA_RETURN_IF_ERROR(fn().status());  // warm-up
    std::vector<double> tps;
    for (size_t r = 0; r < f.reps; ++r) {
      GEMMA_ASSIGN_OR_RETURN(double secs, fn());
      tps.push_back(static_cast<double>(n_tokens) / secs);
    }
    const Stat s = Summarize(tps);
    const std::string test = std::string(name) + std::to_string(n_tokens);
    if (f.json) {
      results.push_back({{"model", info.path},
                         {"model_size", info.weight_bytes},
                         {"threads", engine.options().num_threads},
                         {"simd_target", engine.simd_target()},
                         {"test", test},
                         {"n_tokens", n_tokens},
                         {"avg_ts", s.mean},
                         {"stddev_ts", s.stddev},
                         {"samples_ts", tps}});
    } else {
      std::printf("| %s | %.2f GiB | %zu | %s | %s | %.2f ± %.2f |\n", info.name.c_str(),
                  static_cast<double>(info.weight_bytes) / (1 << 30), engine.options().num_threads,
                  engine.simd_target().c_str(), test.c_str(), s.mean, s.stddev);
      std::fflush(stdout);
    }
    return Status::Ok();
  };
  if (Status s = measure("pp", f.prompt, run_pp); !s.ok()) return Fail(s);
  if (Status s = measure("tg", f.generate, run_tg); !s.ok()) return Fail(s);
  if (f.json) std::printf("%s\n", results.dump(2).c_str());
  return 0;
}

}  // namespace

Runner AddBench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure prefill and decode tokens/s");
  auto f = std::make_shared<BenchFlags>();
  AddModelFlags(cmd, &f->model);
  cmd->add_option("-p,--n-prompt", f->prompt, "Prompt tokens for the prefill test (0 = skip)");
  cmd->add_option("-n,--n-gen", f->generate, "Tokens for the decode test (0 = skip)");
  cmd->add_option("-r,--repetitions", f->reps, "Repetitions per test")->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", f->json, "Print results as JSON");
  return [f] { return RunBench(*f); };
}

}  // namespace gemma::cli

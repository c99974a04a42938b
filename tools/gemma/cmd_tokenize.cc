// `gemma tokenize` and `gemma detokenize`: text <-> ids with a tokenizer.json,
// tokenizer.model or GGUF file, and `gemma tokenize --bench FILE`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifdef _WIN32
#include <io.h>
#define GEMMA_ISATTY(fd) _isatty(fd)
#define popen _popen
#define pclose _pclose
#else
#include <unistd.h>
#define GEMMA_ISATTY(fd) isatty(fd)
#endif

#include "common.h"
#include "gemma/tokenizer.h"
#include "runtime/thread_pool.h"
#include "tokenizer/batch.h"

namespace gemma::cli {
namespace {

struct TokenizeFlags {
  std::string tokenizer;
  bool bos = false;
  bool split_special = false;
  std::string text;
  std::string jsonl;
  std::string bench;
  size_t threads = 0;
  int reps = 5;
  std::string hf_script;            // --bench: also time HF tokenizers (hf_bench.js)
  CLI::Option* text_opt = nullptr;  // --text "" is a valid (empty) text
};

struct DetokenizeFlags {
  std::string tokenizer;
  std::string ids;
  bool skip_special = false;
};

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void AppendIds(const std::vector<int32_t>& ids, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out->push_back(',');
    out->append(std::to_string(ids[i]));
  }
  out->append("]\n");
}

size_t Threads(size_t requested) {
  return requested ? requested : std::max(1u, std::thread::hardware_concurrency());
}

bool ReadFile(const std::string& path, std::string* out) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    *out = ss.str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Resident memory in bytes (Linux), or 0.
size_t ResidentBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

int RunJsonl(const Tokenizer& tok, const TokenizeFlags& f, const EncodeOptions& opt) {
  std::string data;
  if (!ReadFile(f.jsonl, &data)) return Fail(NotFound(f.jsonl + ": cannot read"));
  std::vector<std::string> texts;
  size_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string_view line(data.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_string()) {
      return Fail(
          InvalidArgument(f.jsonl + ": line " + std::to_string(line_no) + ": not a JSON string"));
    }
    texts.push_back(j.get<std::string>());
  }
  std::vector<std::string_view> views(texts.begin(), texts.end());
  ThreadPool pool(std::min(Threads(f.threads), std::max<size_t>(1, views.size())));
  const auto ids = tok::EncodeBatch(tok, views, opt, pool);
  std::string out;
  for (const auto& v : ids) AppendIds(v, &out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int RunBench(const Tokenizer& tok, const TokenizeFlags& f, double load_s, size_t rss_before) {
  std::string text;
  if (!ReadFile(f.bench, &text)) return Fail(NotFound(f.bench + ": cannot read"));
  EncodeOptions opt;
  opt.parse_special = !f.split_special;
  std::printf("tokenizer:  %s\n", f.tokenizer.c_str());
  std::printf("load:       %.1f ms, %zu pieces, resident +%.1f MiB\n", load_s * 1e3,
              tok.vocab_size(), static_cast<double>(ResidentBytes() - rss_before) / (1 << 20));
  std::printf("text:       %s, %zu bytes\n", f.bench.c_str(), text.size());
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  double best = 1e30;
  for (int r = 0; r < std::max(1, f.reps); ++r) {
    ids.clear();
    auto t0 = std::chrono::steady_clock::now();
    tok.EncodeInto(text, opt, &ids);
    best = std::min(best, Seconds(t0, std::chrono::steady_clock::now()));
  }
  std::printf(
      "encode, 1 thread, whole text (best of %d): %zu tokens in %.2f ms = %.3f M tokens/s, "
      "%.1f MB/s\n",
      std::max(1, f.reps), ids.size(), best * 1e3, static_cast<double>(ids.size()) / best / 1e6,
      static_cast<double>(text.size()) / best / 1e6);
  const double ours = static_cast<double>(ids.size()) / best;
  if (!f.hf_script.empty()) {
    // Hugging Face tokenizers (node) on the same file, same run.
    for (const char* mode : {"whole", "lines"}) {
      const std::string cmd = "RAYON_NUM_THREADS=1 node '" + f.hf_script + "' '" + f.tokenizer +
                              "' '" + f.bench + "' " + std::to_string(std::max(1, f.reps)) + " " +
                              mode + " 2>&1";
      std::string out;
      if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
        pclose(p);
      }
      const auto j = nlohmann::json::parse(out, nullptr, false);
      if (!j.is_object() || !j.contains("seconds")) {
        std::printf("hf tokenizers (%s): failed: %s\n", mode, out.c_str());
        continue;
      }
      const auto secs = j["seconds"].get<std::vector<double>>();
      const double hf_best = *std::min_element(secs.begin(), secs.end());
      const double hf = j["tokens"].get<double>() / hf_best;
      std::printf(
          "hf tokenizers, 1 thread, %s (best of %zu): %.2f ms = %.3f M tokens/s; ours x%.2f\n",
          std::string(mode) == "whole" ? "encode(text)" : "encodeBatch(lines)", secs.size(),
          hf_best * 1e3, hf / 1e6, ours / hf);
    }
  }
  // Batch: the lines of the text, encoded in parallel.
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.emplace_back(text.data() + pos, end - pos);
    pos = end;
  }
  const size_t max_threads = Threads(f.threads);
  double base = 0;
  std::printf("batch encode of %zu lines:\n", lines.size());
  for (size_t t = 1; t <= max_threads; t *= 2) {
    ThreadPool pool(t);
    double tb = 1e30;
    size_t count = 0;
    for (int r = 0; r < std::max(1, f.reps); ++r) {
      auto t0 = std::chrono::steady_clock::now();
      const auto out = tok::EncodeBatch(tok, lines, opt, pool);
      tb = std::min(tb, Seconds(t0, std::chrono::steady_clock::now()));
      count = 0;
      for (const auto& v : out) count += v.size();
    }
    if (t == 1) base = tb;
    std::printf("  %2zu threads: %.2f ms = %.3f M tokens/s (x%.2f)\n", t, tb * 1e3,
                static_cast<double>(count) / tb / 1e6, base / tb);
    if (t < max_threads && t * 2 > max_threads) t = max_threads / 2;  // end on max_threads
  }
  return 0;
}

int RunTokenize(const TokenizeFlags& f) {
  const int modes = (f.text_opt->count() > 0) + !f.jsonl.empty() + !f.bench.empty();
  if (modes != 1) {
    return Fail(InvalidArgument("tokenize: give exactly one of --text, --jsonl or --bench"));
  }
  const size_t rss0 = ResidentBytes();
  auto t0 = std::chrono::steady_clock::now();
  auto tok = LoadTokenizer(f.tokenizer);
  if (!tok.ok()) return Fail(tok.status());
  const double load_s = Seconds(t0, std::chrono::steady_clock::now());
  EncodeOptions opt;
  opt.add_bos = f.bos;
  opt.parse_special = !f.split_special;
  if (!f.bench.empty()) return RunBench(**tok, f, load_s, rss0);
  if (!f.jsonl.empty()) return RunJsonl(**tok, f, opt);
  std::string out;
  AppendIds((*tok)->Encode(f.text, opt), &out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int RunDetokenize(const DetokenizeFlags& f) {
  std::vector<int32_t> ids;
  std::string s = f.ids;
  // Accepts "2,10,20", "2 10 20" and "[2, 10, 20]".
  for (char& c : s) {
    if (c == ',' || c == '[' || c == ']' || c == '\n' || c == '\t') c = ' ';
  }
  std::istringstream in(s);
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(word, &used);
    } catch (...) {
      used = 0;
    }
    if (used != word.size() || v < 0 || v > INT32_MAX) {
      return Fail(InvalidArgument("detokenize: --ids: '" + word + "' is not a token id"));
    }
    ids.push_back(static_cast<int32_t>(v));
  }
  auto tok = LoadTokenizer(f.tokenizer);
  if (!tok.ok()) return Fail(tok.status());
  for (int32_t id : ids) {
    if (!(*tok)->IsValid(id)) {
      return Fail(OutOfRange("detokenize: id " + std::to_string(id) +
                             " is outside the vocabulary of " +
                             std::to_string((*tok)->vocab_size())));
    }
  }
  const std::string text = (*tok)->Decode(ids, f.skip_special);
  std::fwrite(text.data(), 1, text.size(), stdout);
  // The text exactly; a newline only for a human at a terminal.
  if (GEMMA_ISATTY(1)) std::fputc('\n', stdout);
  return 0;
}

}  // namespace

Runner AddTokenize(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("tokenize", "Text to token ids (tokenizer.json, tokenizer.model or GGUF)");
  auto f = std::make_shared<TokenizeFlags>();
  cmd->add_option("--tokenizer", f->tokenizer,
                  "tokenizer.json, tokenizer.model, a .gguf, or a directory holding one")
      ->required();
  cmd->add_flag("--bos", f->bos, "Prepend BOS");
  cmd->add_flag("--split-special", f->split_special,
                "Do not parse special-token text such as <bos> (HF split_special_tokens)");
  f->text_opt = cmd->add_option("--text", f->text, "Text to encode; prints a JSON array of ids");
  cmd->add_option(
      "--jsonl", f->jsonl,
      "File ('-' = stdin) with one JSON string per line; prints one JSON array per line");
  cmd->add_option("--bench", f->bench,
                  "Benchmark encoding of this text file (1 thread, then batch)");
  cmd->add_option("--threads", f->threads, "Threads for --jsonl / --bench (default: all)");
  cmd->add_option("--reps", f->reps, "Repetitions for --bench (best is reported)");
  cmd->add_option(
      "--hf-script", f->hf_script,
      "--bench: also time Hugging Face tokenizers with this hf_bench.js "
      "(inference/tests/tokenizer/parity/hf_bench.js; needs node and its npm packages)");
  return [f] { return RunTokenize(*f); };
}

Runner AddDetokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("detokenize", "Token ids to text");
  auto f = std::make_shared<DetokenizeFlags>();
  cmd->add_option("--tokenizer", f->tokenizer,
                  "tokenizer.json, tokenizer.model, a .gguf, or a directory holding one")
      ->required();
  cmd->add_option("--ids", f->ids, "Comma-separated ids, e.g. 2,10,20")->required();
  cmd->add_flag("--skip-special", f->skip_special, "Drop control tokens");
  return [f] { return RunDetokenize(*f); };
}

}  // namespace gemma::cli

// Server metrics and their Prometheus text exposition (format 0.0.4), written
// by hand: counters end in _total, every family has HELP and TYPE, histogram
// buckets are cumulative and end with le="+Inf". Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemma::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  // Appends _bucket/_sum/_count lines for `name` (HELP/TYPE not included).
  void Render(std::string_view name, std::string* out) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last = +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Values read at scrape time (scheduler stats, connections).
struct GaugeSnapshot {
  bool model_ready = false;
  bool draining = false;
  size_t open_connections = 0;
  size_t queue_depth = 0;
  size_t active_sequences = 0;
  size_t kv_tokens_used = 0;
  size_t kv_tokens_capacity = 0;
  uint64_t scheduler_steps = 0;
};

class Metrics {
 public:
  Metrics();

  void CountRequest(std::string_view route, int status);
  void CountFinish(std::string_view reason);
  void AddPromptTokens(uint64_t n) { prompt_tokens_ += n; }
  void AddGeneratedTokens(uint64_t n) { generated_tokens_ += n; }
  void ObserveTimeToFirstToken(double seconds) { ttft_.Observe(seconds); }
  void ObserveInterTokenLatency(double seconds) { itl_.Observe(seconds); }
  void ObserveRequestDuration(double seconds) { duration_.Observe(seconds); }

  std::string Render(const GaugeSnapshot& gauges) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, uint64_t> finishes_;
  std::atomic<uint64_t> prompt_tokens_{0};
  std::atomic<uint64_t> generated_tokens_{0};
  Histogram ttft_;
  Histogram itl_;
  Histogram duration_;
};

// Prometheus number formatting: shortest round-trip form, +Inf/-Inf/NaN.
std::string FormatMetricValue(double v);
// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view v);

}  // namespace gemma::server

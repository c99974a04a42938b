#include "metrics.h"

#include <charconv>
#include <cmath>

namespace gemma::server {

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::Render(std::string_view name, std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? FormatMetricValue(bounds_[i]) : "+Inf";
    *out += std::string(name) + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += std::string(name) + "_sum " + FormatMetricValue(sum_) + "\n";
  *out += std::string(name) + "_count " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : ttft_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}),
      itl_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}),
      duration_({0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}) {}

void Metrics::CountRequest(std::string_view route, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{std::string(route), status}];
}

void Metrics::CountFinish(std::string_view reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++finishes_[std::string(reason)];
}

namespace {

void Family(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void Sample(std::string* out, const char* name, double value) {
  *out += name;
  *out += ' ';
  *out += FormatMetricValue(value);
  *out += '\n';
}

}  // namespace

std::string Metrics::Render(const GaugeSnapshot& g) const {
  std::string out;
  out.reserve(8192);
  Family(&out, "gemma_http_requests_total", "counter",
         "HTTP requests answered, by route and status.");
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, n] : requests_) {
      out += "gemma_http_requests_total{route=\"" + EscapeLabelValue(key.first) + "\",status=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
    }
  }
  Family(&out, "gemma_requests_finished_total", "counter",
         "Generations finished, by reason (stop, length, cancelled, error).");
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [reason, n] : finishes_) {
      out += "gemma_requests_finished_total{reason=\"" + EscapeLabelValue(reason) + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  Family(&out, "gemma_prompt_tokens_total", "counter", "Prompt tokens processed.");
  Sample(&out, "gemma_prompt_tokens_total", static_cast<double>(prompt_tokens_.load()));
  Family(&out, "gemma_generation_tokens_total", "counter", "Tokens generated.");
  Sample(&out, "gemma_generation_tokens_total", static_cast<double>(generated_tokens_.load()));

  Family(&out, "gemma_time_to_first_token_seconds", "histogram",
         "Time from accepting a generation request to its first token.");
  ttft_.Render("gemma_time_to_first_token_seconds", &out);
  Family(&out, "gemma_inter_token_latency_seconds", "histogram",
         "Time between consecutive tokens of one generation.");
  itl_.Render("gemma_inter_token_latency_seconds", &out);
  Family(&out, "gemma_request_duration_seconds", "histogram",
         "Time from accepting a generation request to its last token.");
  duration_.Render("gemma_request_duration_seconds", &out);

  Family(&out, "gemma_model_ready", "gauge", "1 when the model is loaded and serving.");
  Sample(&out, "gemma_model_ready", g.model_ready ? 1 : 0);
  Family(&out, "gemma_draining", "gauge", "1 while the server drains before exiting.");
  Sample(&out, "gemma_draining", g.draining ? 1 : 0);
  Family(&out, "gemma_http_open_connections", "gauge", "Open HTTP and WebSocket connections.");
  Sample(&out, "gemma_http_open_connections", static_cast<double>(g.open_connections));
  Family(&out, "gemma_scheduler_queue_depth", "gauge", "Requests waiting for a batch slot.");
  Sample(&out, "gemma_scheduler_queue_depth", static_cast<double>(g.queue_depth));
  Family(&out, "gemma_scheduler_active_sequences", "gauge",
         "Sequences in the running batch (active batch size).");
  Sample(&out, "gemma_scheduler_active_sequences", static_cast<double>(g.active_sequences));
  Family(&out, "gemma_scheduler_steps_total", "counter", "Batched forward passes run.");
  Sample(&out, "gemma_scheduler_steps_total", static_cast<double>(g.scheduler_steps));
  Family(&out, "gemma_kv_cache_used_tokens", "gauge", "KV cache positions in use.");
  Sample(&out, "gemma_kv_cache_used_tokens", static_cast<double>(g.kv_tokens_used));
  Family(&out, "gemma_kv_cache_capacity_tokens", "gauge", "KV cache positions in all slots.");
  Sample(&out, "gemma_kv_cache_capacity_tokens", static_cast<double>(g.kv_tokens_capacity));
  Family(&out, "gemma_kv_cache_usage_ratio", "gauge", "KV cache positions in use / capacity.");
  Sample(&out, "gemma_kv_cache_usage_ratio",
         g.kv_tokens_capacity ? static_cast<double>(g.kv_tokens_used) / g.kv_tokens_capacity : 0.0);
  return out;
}

}  // namespace gemma::server

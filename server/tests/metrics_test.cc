// Prometheus exposition: HELP/TYPE for every family, _total counters,
// cumulative histogram buckets ending in +Inf with matching _count, label
// escaping, number formatting.
#include "metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace gemma::server {
namespace {

std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

TEST(Metrics, FormatValue) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(0.005), "0.005");
  EXPECT_EQ(FormatMetricValue(1e21), "1e+21");
  EXPECT_EQ(FormatMetricValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatMetricValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatMetricValue(0.0 / 0.0), "NaN");
}

TEST(Metrics, EscapeLabel) { EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd"); }

TEST(Metrics, HistogramCumulative) {
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // le is inclusive
  h.Observe(0.5);
  h.Observe(7);
  std::string out;
  h.Render("x_seconds", &out);
  auto s = Samples(out);
  EXPECT_EQ(s["x_seconds_bucket{le=\"0.1\"}"], "2");
  EXPECT_EQ(s["x_seconds_bucket{le=\"1\"}"], "3");
  EXPECT_EQ(s["x_seconds_bucket{le=\"+Inf\"}"], "4");
  EXPECT_EQ(s["x_seconds_count"], "4");
  EXPECT_NEAR(std::stod(s["x_seconds_sum"]), 7.65, 1e-12);
}

TEST(Metrics, RenderFamilies) {
  Metrics m;
  m.CountRequest("/v1/chat/completions", 200);
  m.CountRequest("/v1/chat/completions", 200);
  m.CountRequest("/v1/chat/completions", 429);
  m.CountFinish("length");
  m.AddPromptTokens(12);
  m.AddGeneratedTokens(34);
  m.ObserveTimeToFirstToken(0.02);
  m.ObserveInterTokenLatency(0.003);
  GaugeSnapshot g;
  g.model_ready = true;
  g.queue_depth = 2;
  g.active_sequences = 3;
  g.kv_tokens_used = 100;
  g.kv_tokens_capacity = 400;
  const std::string text = m.Render(g);
  auto s = Samples(text);
  EXPECT_EQ(s["gemma_http_requests_total{route=\"/v1/chat/completions\",status=\"200\"}"], "2");
  EXPECT_EQ(s["gemma_http_requests_total{route=\"/v1/chat/completions\",status=\"429\"}"], "1");
  EXPECT_EQ(s["gemma_requests_finished_total{reason=\"length\"}"], "1");
  EXPECT_EQ(s["gemma_prompt_tokens_total"], "12");
  EXPECT_EQ(s["gemma_generation_tokens_total"], "34");
  EXPECT_EQ(s["gemma_time_to_first_token_seconds_count"], "1");
  EXPECT_EQ(s["gemma_inter_token_latency_seconds_bucket{le=\"0.005\"}"], "1");
  EXPECT_EQ(s["gemma_scheduler_queue_depth"], "2");
  EXPECT_EQ(s["gemma_scheduler_active_sequences"], "3");
  EXPECT_EQ(s["gemma_kv_cache_usage_ratio"], "0.25");
  EXPECT_EQ(s["gemma_model_ready"], "1");

  // Every sample belongs to a family announced with HELP and TYPE first, and
  // the text ends with a newline.
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::istringstream in(text);
  std::string line, help, type;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      help = line.substr(7, line.find(' ', 7) - 7);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      type = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_EQ(type, help);
      const std::string kind = line.substr(line.rfind(' ') + 1);
      if (kind == "counter") {
        EXPECT_TRUE(type.size() > 6 && type.substr(type.size() - 6) == "_total") << type;
      }
    } else {
      EXPECT_EQ(line.rfind(type, 0), 0u) << line << " outside family " << type;
    }
  }
}

}  // namespace
}  // namespace gemma::server

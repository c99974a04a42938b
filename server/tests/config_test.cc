// Config parsing: the seed keys, every extra key, unknown keys and bad values
// named in errors, key files, cross-key rules, and the shipped example.
#include "config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace gemma::server {
namespace {

StatusOr<ServerConfig> Parse(const std::string& text) {
  return ParseConfig(text, "test.toml", "/base");
}

TEST(Config, DefaultsWhenEmpty) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->max_batch_size, 8u);
  EXPECT_FALSE(c->rate_limit_enabled);
  EXPECT_FALSE(c->auth_enabled());
}

TEST(Config, SeedKeys) {
  auto c = Parse(R"(
[server]
host = "0.0.0.0"
port = 9000
timeout_seconds = 30
max_connections = 100
[model]
path = "models/gemma.gguf"
format = "gguf"
[inference]
max_batch_size = 4
max_sequence_length = 2048
[security]
rate_limit_enabled = true
max_requests_per_minute = 120
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_EQ(c->port, 9000);
  EXPECT_EQ(c->timeout_seconds, 30);
  EXPECT_EQ(c->max_connections, 100u);
  EXPECT_EQ(c->model_path, "/base/models/gemma.gguf");  // relative to the config file
  EXPECT_EQ(c->max_batch_size, 4u);
  EXPECT_EQ(c->max_sequence_length, 2048u);
  EXPECT_TRUE(c->rate_limit_enabled);
  EXPECT_EQ(c->max_requests_per_minute, 120);
  ASSERT_TRUE(FinalizeConfig(&*c).ok());
  EXPECT_EQ(c->rate_limit_burst, 120);  // defaults to the per-minute rate
}

TEST(Config, ExtraKeys) {
  auto c = Parse(R"(
[server]
max_body_bytes = 2048
cors_origins = ["https://a.example", "*"]
drain_timeout_seconds = 2.5
io_threads = 3
log_requests = true
[inference]
kv_cache_type = "f16"
default_max_tokens = 64
[security]
api_keys = ["sk-test-12345678"]
auth_health = true
auth_metrics = true
rate_limit_burst = 5
[security.jwt]
hs256_secret = "0123456789abcdef0123456789abcdef"
issuer = "https://issuer.example"
audience = "gemma"
leeway_seconds = 5
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_body_bytes, 2048u);
  EXPECT_EQ(c->cors_origins.size(), 2u);
  EXPECT_DOUBLE_EQ(c->drain_timeout_seconds, 2.5);
  EXPECT_EQ(c->io_threads, 3u);
  EXPECT_EQ(c->kv_cache_type, "f16");
  EXPECT_EQ(c->default_max_tokens, 64u);
  EXPECT_TRUE(c->auth_health && c->auth_metrics);
  EXPECT_EQ(c->rate_limit_burst, 5);
  EXPECT_EQ(c->jwt.audience, "gemma");
  EXPECT_EQ(c->jwt.leeway_seconds, 5);
  ASSERT_TRUE(FinalizeConfig(&*c).ok());
  EXPECT_TRUE(c->auth_enabled());
}

void ExpectError(const std::string& text, const std::string& needle) {
  auto c = Parse(text);
  Status s = c.ok() ? FinalizeConfig(&*c) : c.status();
  ASSERT_FALSE(s.ok()) << "accepted: " << text;
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(Config, UnknownKeysAreNamed) {
  ExpectError("[server]\nprot = 1\n", "'server.prot'");
  ExpectError("[bogus]\nx = 1\n", "'bogus'");
  ExpectError("top = 1\n", "'top'");
  ExpectError("[security.jwt]\nsecret = \"x\"\n", "'security.jwt.secret'");
  ExpectError("[inference]\nbatch = 2\n", "'inference.batch'");
}

TEST(Config, BadValuesAreNamed) {
  ExpectError("[server]\nport = 70000\n", "port");
  ExpectError("[server]\nport = \"80\"\n", "port");
  ExpectError("[server]\ntimeout_seconds = 0\n", "timeout_seconds");
  ExpectError("[server]\ncors_origins = \"*\"\n", "cors_origins");
  ExpectError("[server]\ncors_origins = [\"example.com\"]\n", "cors_origins");
  ExpectError("[inference]\nmax_batch_size = -1\n", "max_batch_size");
  ExpectError("[inference]\nkv_cache_type = \"q4\"\n", "kv_cache_type");
  ExpectError("[model]\nformat = \"pickle\"\n", "format");
  ExpectError("[model]\nmmap = \"yes\"\n", "mmap");
  ExpectError("[security]\nrate_limit_enabled = 1\n", "rate_limit_enabled");
  ExpectError("[security]\napi_keys = [\"short\"]\n", "api_keys");
  ExpectError("[server]\nport = 1\nport = 2\n", "test.toml");  // TOML syntax error
  ExpectError("server = 3\n", "'server' must be a table");
}

TEST(Config, EveryModelFormatAndMmap) {
  for (const char* f : {"auto", "gguf", "gcore", "safetensors", "onnx"}) {
    auto c = Parse(std::string("[model]\nformat = \"") + f + "\"\nmmap = true\n");
    ASSERT_TRUE(c.ok()) << f << ": " << c.status().ToString();
    EXPECT_EQ(c->model_format, f);
    EXPECT_TRUE(c->model_mmap);
  }
  auto d = Parse("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->model_format, "auto");
  EXPECT_FALSE(d->model_mmap);
}

TEST(Config, LineNumbersInErrors) {
  auto c = Parse("\n\n[server]\nport = 99999\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("test.toml:4"), std::string::npos) << c.status().message();
}

TEST(Config, JwtNeedsIssuerAndAudience) {
  ExpectError("[security.jwt]\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\n", "issuer");
  ExpectError("[security.jwt]\nhs256_secret = \"short\"\nissuer = \"i\"\naudience = \"a\"\n",
              "32 bytes");
}

TEST(Config, KeyFiles) {
  const auto dir = std::filesystem::temp_directory_path() / "gemma_server_config_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "keys.txt") << "# comment\nsk-file-key-1\n\n  sk-file-key-2  \n";
  std::ofstream(dir / "secret") << "0123456789abcdef0123456789abcdef\n";
  std::ofstream(dir / "c.toml")
      << "[security]\napi_keys = [\"sk-inline-key\"]\n"
         "api_keys_file = \"keys.txt\"\n[security.jwt]\n"
         "hs256_secret_file = \"secret\"\nissuer = \"i\"\naudience = \"a\"\n";
  auto c = LoadConfigFile((dir / "c.toml").string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(FinalizeConfig(&*c).ok());
  ASSERT_EQ(c->api_keys.size(), 3u);
  EXPECT_EQ(c->api_keys[1], "sk-file-key-1");
  EXPECT_EQ(c->api_keys[2], "sk-file-key-2");
  EXPECT_EQ(c->jwt.hs256_secret, "0123456789abcdef0123456789abcdef");

  std::ofstream(dir / "bad.toml") << "[security]\napi_keys_file = \"missing.txt\"\n";
  auto bad = LoadConfigFile((dir / "bad.toml").string());
  ASSERT_TRUE(bad.ok());
  Status s = FinalizeConfig(&*bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("api_keys_file"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Config, MissingFile) {
  auto c = LoadConfigFile("/nonexistent/server_config.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/server_config.toml"), std::string::npos);
}

TEST(Config, ShippedExampleParses) {
  auto c = LoadConfigFile(std::string(GEMMA_SERVER_SOURCE_DIR) + "/server_config.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(FinalizeConfig(&*c).ok());
  EXPECT_EQ(c->port, 8080);
}

}  // namespace
}  // namespace gemma::server

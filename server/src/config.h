// gemma-server configuration: a TOML file (server_config.toml documents every
// key) with command-line overrides. Unknown keys and bad values are errors
// that name the key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gemma/status.h"

namespace gemma::server {

struct JwtConfig {
  std::string hs256_secret;      // shared secret for HS256 tokens
  std::string rs256_public_key;  // PEM public key for RS256 tokens
  std::string issuer;            // required "iss"
  std::string audience;          // required in "aud"
  int64_t leeway_seconds = 0;    // clock skew allowed for exp / nbf
  bool enabled() const { return !hs256_secret.empty() || !rs256_public_key.empty(); }
};

struct ServerConfig {
  // [server]
  std::string host = "127.0.0.1";
  int port = 8080;                        // 0 = any free port (printed at start-up)
  int timeout_seconds = 60;               // reading a request, writing a response, idle keep-alive
  size_t max_connections = 4096;          // open connections; more are answered 503 and closed
  size_t io_threads = 2;                  // Asio threads (never run inference)
  size_t max_body_bytes = 1 << 20;        // request body limit (413 beyond)
  std::vector<std::string> cors_origins;  // allowed Origins; "*" = any; empty = no CORS
  double drain_timeout_seconds = 30;      // SIGTERM: time in-flight requests get to finish
  size_t max_pending_stream_bytes = 4 << 20;  // unsent stream bytes before a slow client is dropped
  bool log_requests = false;                  // one line per request on stderr

  // [model]
  std::string model_path;  // empty = the bundled demo model
  // "auto" (detected from the path), or the format the path must have:
  // "gguf", "gcore", "safetensors" (Hugging Face checkpoint directory), "onnx".
  std::string model_format = "auto";
  bool model_mmap = false;  // true: map weights in place (see gemma::LoadOptions)

  // [inference]
  size_t max_batch_size = 8;       // concurrent sequences
  size_t max_sequence_length = 0;  // per sequence; 0 = min(model, 4096)
  size_t max_queue = 64;           // waiting requests; beyond: 503
  size_t max_batch_tokens = 512;
  size_t prefill_chunk = 128;
  size_t threads = 0;                 // engine threads; 0 = all cores
  std::string kv_cache_type = "f32";  // "f32" or "f16"
  size_t default_max_tokens = 256;    // when a request gives no max_tokens
  size_t max_n = 16;                  // largest "n" a request may ask for

  // [security]
  bool rate_limit_enabled = false;
  int max_requests_per_minute = 60;   // token bucket refill rate
  int rate_limit_burst = 0;           // bucket size; 0 = max_requests_per_minute
  std::vector<std::string> api_keys;  // inline keys, plus those of api_keys_file
  std::string api_keys_file;          // one key per line, '#' comments
  bool auth_health = false;           // /health needs credentials
  bool auth_metrics = false;          // /metrics needs credentials
  JwtConfig jwt;                      // [security.jwt]
  std::string jwt_hs256_secret_file;
  std::string jwt_rs256_public_key_file;

  bool auth_enabled() const { return !api_keys.empty() || jwt.enabled(); }
};

// Parses TOML text. `source` names the file in messages; relative file paths
// inside it resolve against `base_dir`.
StatusOr<ServerConfig> ParseConfig(std::string_view toml_text, const std::string& source,
                                   const std::string& base_dir);
// Reads and parses a TOML file.
StatusOr<ServerConfig> LoadConfigFile(const std::string& path);
// After command-line overrides: reads the key files named by the config and
// checks rules that span keys (JWT needs issuer and audience, ...).
Status FinalizeConfig(ServerConfig* config);

}  // namespace gemma::server

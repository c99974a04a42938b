#include "config.h"

#include <toml++/toml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace gemma::server {
namespace {

std::string Where(const std::string& source, const toml::node& node) {
  const auto& begin = node.source().begin;
  if (begin.line == 0) return source;
  return source + ":" + std::to_string(begin.line);
}

// Reads the keys of one TOML table into fields, remembering which keys it
// consumed so that anything left over is reported as unknown.
class Section {
 public:
  Section(const toml::table& table, std::string name, const std::string& source)
      : table_(table), name_(std::move(name)), source_(source) {}

  Status Int(const char* key, int64_t min, int64_t max, int64_t* out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value_exact<int64_t>();
    if (!v || *v < min || *v > max) {
      return Bad(*n, key,
                 "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    *out = *v;
    return Status::Ok();
  }
  template <typename T>
  Status Integer(const char* key, int64_t min, int64_t max, T* out) {
    int64_t v = static_cast<int64_t>(*out);
    GEMMA_RETURN_IF_ERROR(Int(key, min, max, &v));
    *out = static_cast<T>(v);
    return Status::Ok();
  }
  Status Double(const char* key, double min, double max, double* out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return Status::Ok();
    std::optional<double> v;
    if (n->is_floating_point()) v = n->value_exact<double>();
    if (n->is_integer()) v = static_cast<double>(*n->value_exact<int64_t>());
    if (!v || !std::isfinite(*v) || *v < min || *v > max) {
      std::ostringstream rule;
      rule << "a number in [" << min << ", " << max << "]";
      return Bad(*n, key, rule.str());
    }
    *out = *v;
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value_exact<bool>();
    if (!v) return Bad(*n, key, "true or false");
    *out = *v;
    return Status::Ok();
  }
  Status String(const char* key, std::string* out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value_exact<std::string>();
    if (!v) return Bad(*n, key, "a string");
    *out = *v;
    return Status::Ok();
  }
  Status StringArray(const char* key, std::vector<std::string>* out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return Status::Ok();
    const toml::array* arr = n->as_array();
    if (arr == nullptr) return Bad(*n, key, "an array of strings");
    out->clear();
    for (const toml::node& el : *arr) {
      auto v = el.value_exact<std::string>();
      if (!v || v->empty()) return Bad(*n, key, "an array of non-empty strings");
      out->push_back(*v);
    }
    return Status::Ok();
  }
  const toml::table* SubTable(const char* key) {
    const toml::node* n = Find(key);
    return n == nullptr ? nullptr : n->as_table();
  }
  // Every key not read above is an error.
  Status CheckUnknown() const {
    for (auto&& [k, v] : table_) {
      if (!seen_.count(std::string(k.str()))) {
        return InvalidArgument(Where(source_, v) + ": unknown key '" + name_ + "." +
                               std::string(k.str()) + "'");
      }
    }
    return Status::Ok();
  }

 private:
  const toml::node* Find(const char* key) {
    seen_.insert(key);
    return table_.get(key);
  }
  Status Bad(const toml::node& n, const char* key, const std::string& rule) const {
    return InvalidArgument(Where(source_, n) + ": [" + name_ + "] " + key + " must be " + rule);
  }

  const toml::table& table_;
  std::string name_;
  const std::string& source_;
  std::set<std::string> seen_;
};

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(std::string(what) + ": cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status ParseSections(const toml::table& root, const std::string& src, const std::string& base,
                     ServerConfig* c) {
  for (auto&& [k, v] : root) {
    const std::string key(k.str());
    if (key != "server" && key != "model" && key != "inference" && key != "security") {
      return InvalidArgument(Where(src, v) + ": unknown key '" + key + "'");
    }
    if (!v.is_table()) return InvalidArgument(Where(src, v) + ": '" + key + "' must be a table");
  }
  auto table = [&](const char* name) -> const toml::table& {
    static const toml::table kEmpty;
    const toml::table* t = root.get_as<toml::table>(name);
    return t ? *t : kEmpty;
  };
  constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();

  Section s(table("server"), "server", src);
  GEMMA_RETURN_IF_ERROR(s.String("host", &c->host));
  GEMMA_RETURN_IF_ERROR(s.Integer("port", 0, 65535, &c->port));
  GEMMA_RETURN_IF_ERROR(s.Integer("timeout_seconds", 1, 86400, &c->timeout_seconds));
  GEMMA_RETURN_IF_ERROR(s.Integer("max_connections", 1, 1000000, &c->max_connections));
  GEMMA_RETURN_IF_ERROR(s.Integer("io_threads", 1, 256, &c->io_threads));
  GEMMA_RETURN_IF_ERROR(s.Integer("max_body_bytes", 1, int64_t{1} << 32, &c->max_body_bytes));
  GEMMA_RETURN_IF_ERROR(s.StringArray("cors_origins", &c->cors_origins));
  GEMMA_RETURN_IF_ERROR(s.Double("drain_timeout_seconds", 0, 86400, &c->drain_timeout_seconds));
  GEMMA_RETURN_IF_ERROR(
      s.Integer("max_pending_stream_bytes", 1024, int64_t{1} << 32, &c->max_pending_stream_bytes));
  GEMMA_RETURN_IF_ERROR(s.Bool("log_requests", &c->log_requests));
  GEMMA_RETURN_IF_ERROR(s.CheckUnknown());

  Section m(table("model"), "model", src);
  GEMMA_RETURN_IF_ERROR(m.String("path", &c->model_path));
  GEMMA_RETURN_IF_ERROR(m.String("format", &c->model_format));
  GEMMA_RETURN_IF_ERROR(m.Bool("mmap", &c->model_mmap));
  GEMMA_RETURN_IF_ERROR(m.CheckUnknown());
  c->model_path = Resolve(base, c->model_path);

  Section i(table("inference"), "inference", src);
  GEMMA_RETURN_IF_ERROR(i.Integer("max_batch_size", 1, 1024, &c->max_batch_size));
  GEMMA_RETURN_IF_ERROR(i.Integer("max_sequence_length", 0, kMaxInt, &c->max_sequence_length));
  GEMMA_RETURN_IF_ERROR(i.Integer("max_queue", 0, 1000000, &c->max_queue));
  GEMMA_RETURN_IF_ERROR(i.Integer("max_batch_tokens", 1, 1 << 20, &c->max_batch_tokens));
  GEMMA_RETURN_IF_ERROR(i.Integer("prefill_chunk", 1, 1 << 20, &c->prefill_chunk));
  GEMMA_RETURN_IF_ERROR(i.Integer("threads", 0, 1024, &c->threads));
  GEMMA_RETURN_IF_ERROR(i.String("kv_cache_type", &c->kv_cache_type));
  GEMMA_RETURN_IF_ERROR(i.Integer("default_max_tokens", 1, kMaxInt, &c->default_max_tokens));
  GEMMA_RETURN_IF_ERROR(i.Integer("max_n", 1, 128, &c->max_n));
  GEMMA_RETURN_IF_ERROR(i.CheckUnknown());

  Section sec(table("security"), "security", src);
  GEMMA_RETURN_IF_ERROR(sec.Bool("rate_limit_enabled", &c->rate_limit_enabled));
  GEMMA_RETURN_IF_ERROR(
      sec.Integer("max_requests_per_minute", 1, 100000000, &c->max_requests_per_minute));
  GEMMA_RETURN_IF_ERROR(sec.Integer("rate_limit_burst", 0, 100000000, &c->rate_limit_burst));
  GEMMA_RETURN_IF_ERROR(sec.StringArray("api_keys", &c->api_keys));
  GEMMA_RETURN_IF_ERROR(sec.String("api_keys_file", &c->api_keys_file));
  GEMMA_RETURN_IF_ERROR(sec.Bool("auth_health", &c->auth_health));
  GEMMA_RETURN_IF_ERROR(sec.Bool("auth_metrics", &c->auth_metrics));
  c->api_keys_file = Resolve(base, c->api_keys_file);
  if (const toml::node* jn = table("security").get("jwt"); jn != nullptr && !jn->is_table()) {
    return InvalidArgument(Where(src, *jn) + ": 'security.jwt' must be a table");
  }
  if (const toml::table* jt = sec.SubTable("jwt")) {
    Section j(*jt, "security.jwt", src);
    GEMMA_RETURN_IF_ERROR(j.String("hs256_secret", &c->jwt.hs256_secret));
    GEMMA_RETURN_IF_ERROR(j.String("hs256_secret_file", &c->jwt_hs256_secret_file));
    GEMMA_RETURN_IF_ERROR(j.String("rs256_public_key", &c->jwt.rs256_public_key));
    GEMMA_RETURN_IF_ERROR(j.String("rs256_public_key_file", &c->jwt_rs256_public_key_file));
    GEMMA_RETURN_IF_ERROR(j.String("issuer", &c->jwt.issuer));
    GEMMA_RETURN_IF_ERROR(j.String("audience", &c->jwt.audience));
    GEMMA_RETURN_IF_ERROR(j.Int("leeway_seconds", 0, 86400, &c->jwt.leeway_seconds));
    GEMMA_RETURN_IF_ERROR(j.CheckUnknown());
    c->jwt_hs256_secret_file = Resolve(base, c->jwt_hs256_secret_file);
    c->jwt_rs256_public_key_file = Resolve(base, c->jwt_rs256_public_key_file);
  }
  return sec.CheckUnknown();
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

}  // namespace

StatusOr<ServerConfig> ParseConfig(std::string_view toml_text, const std::string& source,
                                   const std::string& base_dir) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return InvalidArgument(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                           ": " + std::string(e.description()));
  }
  ServerConfig config;
  GEMMA_RETURN_IF_ERROR(ParseSections(root, source, base_dir, &config));
  return config;
}

StatusOr<ServerConfig> LoadConfigFile(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(std::string text, ReadFile(path, "config"));
  std::string base = std::filesystem::path(path).parent_path().string();
  return ParseConfig(text, path, base);
}

Status FinalizeConfig(ServerConfig* c) {
  if (c->model_format != "auto" && c->model_format != "gguf" && c->model_format != "gcore" &&
      c->model_format != "safetensors" && c->model_format != "onnx") {
    return InvalidArgument(
        "[model] format must be \"auto\", \"gguf\", \"gcore\", \"safetensors\" or \"onnx\" (got "
        "\"" +
        c->model_format + "\")");
  }
  if (c->kv_cache_type != "f32" && c->kv_cache_type != "f16") {
    return InvalidArgument("[inference] kv_cache_type must be \"f32\" or \"f16\" (got \"" +
                           c->kv_cache_type + "\")");
  }
  if (c->host.empty()) return InvalidArgument("[server] host must not be empty");
  for (const std::string& o : c->cors_origins) {
    if (o != "*" && o.find("://") == std::string::npos) {
      return InvalidArgument("[server] cors_origins: '" + o +
                             "' must be \"*\" or an origin like \"https://example.com\"");
    }
  }
  if (!c->api_keys_file.empty()) {
    GEMMA_ASSIGN_OR_RETURN(std::string text,
                           ReadFile(c->api_keys_file, "[security] api_keys_file"));
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      line = Trim(line);
      if (!line.empty() && line[0] != '#') c->api_keys.push_back(line);
    }
    c->api_keys_file.clear();
  }
  for (const std::string& k : c->api_keys) {
    if (k.size() < 8 || k.find_first_of(" \t\r\n") != std::string::npos) {
      return InvalidArgument(
          "[security] api_keys: every key must be at least 8 characters, "
          "without spaces");
    }
  }
  if (!c->jwt_hs256_secret_file.empty()) {
    GEMMA_ASSIGN_OR_RETURN(std::string s,
                           ReadFile(c->jwt_hs256_secret_file, "[security.jwt] hs256_secret_file"));
    c->jwt.hs256_secret = Trim(s);
    c->jwt_hs256_secret_file.clear();
  }
  if (!c->jwt_rs256_public_key_file.empty()) {
    GEMMA_ASSIGN_OR_RETURN(
        c->jwt.rs256_public_key,
        ReadFile(c->jwt_rs256_public_key_file, "[security.jwt] rs256_public_key_file"));
    c->jwt_rs256_public_key_file.clear();
  }
  if (!c->jwt.hs256_secret.empty() && c->jwt.hs256_secret.size() < 32) {
    return InvalidArgument("[security.jwt] hs256_secret must be at least 32 bytes");
  }
  if (c->jwt.enabled() && (c->jwt.issuer.empty() || c->jwt.audience.empty())) {
    return InvalidArgument("[security.jwt] issuer and audience are required when JWT is enabled");
  }
  if (c->rate_limit_burst == 0) c->rate_limit_burst = c->max_requests_per_minute;
  if (c->max_batch_tokens < c->max_batch_size) {
    return InvalidArgument("[inference] max_batch_tokens must be >= max_batch_size");
  }
  return Status::Ok();
}

}  // namespace gemma::server

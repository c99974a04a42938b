// Bearer-token authentication: static API keys and JWTs (HS256 with a shared
// secret, RS256 with a public key; exp, nbf, iss and aud checked). The
// principal it returns ("key:<hash prefix>", "jwt:<sub>") keys the rate limiter.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "gemma/status.h"

namespace gemma::server {

struct AuthResult {
  bool ok = false;
  std::string principal;  // when ok
  std::string error;      // when not ok: why (for the 401 message)
};

class Authenticator {
 public:
  // Validates the keys (PEM parses, secrets long enough).
  static StatusOr<std::unique_ptr<Authenticator>> Create(const ServerConfig& config);

  // False when no API key and no JWT key is configured: every request passes.
  bool enabled() const { return !key_hashes_.empty() || jwt_enabled_; }

  // `authorization` is the raw Authorization header ("" when absent);
  // `now` is Unix seconds.
  AuthResult Check(std::string_view authorization, int64_t now) const;
  AuthResult VerifyJwt(const std::string& token, int64_t now) const;

 private:
  Authenticator() = default;

  std::vector<std::array<unsigned char, 32>> key_hashes_;  // SHA-256 of each API key
  bool jwt_enabled_ = false;
  JwtConfig jwt_;
};

// Helpers shared with tests.
std::string Base64UrlEncode(std::string_view data);
bool Base64UrlDecode(std::string_view in, std::string* out);

}  // namespace gemma::server

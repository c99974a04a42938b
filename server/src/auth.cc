#include "auth.h"

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace gemma::server {
namespace {

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::array<unsigned char, 32> Sha256(std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

AuthResult Fail(std::string why) { return {false, "", std::move(why)}; }

// A numeric claim (JSON integer or float) as whole seconds.
bool NumericClaim(const nlohmann::json& claims, const char* name, int64_t* out) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return false;
  *out = it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
  return true;
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : data) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64Url[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64Url[(acc << (6 - bits)) & 63];
  return out;
}

bool Base64UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = c == '\0' ? nullptr : std::strchr(kB64Url, c);
    if (p == nullptr) return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return bits < 6;  // a single leftover character is not valid base64
}

StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(const ServerConfig& config) {
  std::unique_ptr<Authenticator> a(new Authenticator());
  for (const std::string& key : config.api_keys) a->key_hashes_.push_back(Sha256(key));
  a->jwt_ = config.jwt;
  a->jwt_enabled_ = config.jwt.enabled();
  if (!config.jwt.rs256_public_key.empty()) {
    BIO* bio = BIO_new_mem_buf(config.jwt.rs256_public_key.data(),
                               static_cast<int>(config.jwt.rs256_public_key.size()));
    EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    const bool rsa = key != nullptr && EVP_PKEY_base_id(key) == EVP_PKEY_RSA;
    EVP_PKEY_free(key);
    BIO_free(bio);
    if (!rsa) {
      return InvalidArgument("[security.jwt] rs256_public_key is not a PEM RSA public key");
    }
  }
  if (a->jwt_enabled_ && (a->jwt_.issuer.empty() || a->jwt_.audience.empty())) {
    return InvalidArgument("[security.jwt] issuer and audience are required when JWT is enabled");
  }
  return a;
}

AuthResult Authenticator::Check(std::string_view authorization, int64_t now) const {
  if (!enabled()) return {true, "", ""};
  if (authorization.empty()) return Fail("Missing credentials: send 'Authorization: Bearer KEY'");
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size() ||
      strncasecmp(authorization.data(), kBearer.data(), kBearer.size()) != 0) {
    return Fail("The Authorization header must be 'Bearer <token>'");
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return Fail("Empty bearer token");

  const auto hash = Sha256(token);
  bool matched = false;
  for (const auto& h : key_hashes_) {
    // Compare every key in constant time; no early exit.
    matched |= CRYPTO_memcmp(h.data(), hash.data(), h.size()) == 0;
  }
  if (matched) return {true, "key:" + Hex(hash.data(), 6), ""};
  if (jwt_enabled_ && std::count(token.begin(), token.end(), '.') == 2) {
    return VerifyJwt(std::string(token), now);
  }
  return Fail("Incorrect API key provided");
}

AuthResult Authenticator::VerifyJwt(const std::string& token, int64_t now) const {
  if (!jwt_enabled_) return Fail("JWT authentication is not enabled");
  const size_t d1 = token.find('.');
  const size_t d2 = token.find('.', d1 + 1);
  if (d1 == std::string::npos || d2 == std::string::npos ||
      token.find('.', d2 + 1) != std::string::npos) {
    return Fail("Malformed JWT");
  }
  std::string header_text, payload_text;
  if (!Base64UrlDecode(std::string_view(token).substr(0, d1), &header_text) ||
      !Base64UrlDecode(std::string_view(token).substr(d1 + 1, d2 - d1 - 1), &payload_text)) {
    return Fail("Malformed JWT: bad base64url");
  }
  nlohmann::json header = nlohmann::json::parse(header_text, nullptr, false);
  nlohmann::json claims = nlohmann::json::parse(payload_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return Fail("Malformed JWT: bad JSON");
  auto alg_it = header.find("alg");
  const std::string alg =
      alg_it != header.end() && alg_it->is_string() ? alg_it->get<std::string>() : "";

  // The key is chosen by the configured algorithm, never by the token alone:
  // an RS256 public key is never used as an HMAC secret, and "none" never passes.
  const std::string* key = nullptr;
  jwt_alg_t expected = JWT_ALG_NONE;
  if (alg == "HS256" && !jwt_.hs256_secret.empty()) {
    key = &jwt_.hs256_secret;
    expected = JWT_ALG_HS256;
  } else if (alg == "RS256" && !jwt_.rs256_public_key.empty()) {
    key = &jwt_.rs256_public_key;
    expected = JWT_ALG_RS256;
  } else {
    return Fail("JWT algorithm '" + alg + "' is not accepted");
  }
  jwt_t* jwt = nullptr;
  const int rc =
      jwt_decode(&jwt, token.c_str(), reinterpret_cast<const unsigned char*>(key->data()),
                 static_cast<int>(key->size()));
  const bool alg_ok = rc == 0 && jwt != nullptr && jwt_get_alg(jwt) == expected;
  if (jwt != nullptr) jwt_free(jwt);
  if (!alg_ok) return Fail("Invalid JWT signature");

  int64_t exp = 0, nbf = 0;
  if (!NumericClaim(claims, "exp", &exp)) return Fail("JWT has no numeric 'exp' claim");
  if (now > exp + jwt_.leeway_seconds) return Fail("JWT has expired");
  if (claims.contains("nbf")) {
    if (!NumericClaim(claims, "nbf", &nbf)) return Fail("JWT 'nbf' claim is not a number");
    if (now + jwt_.leeway_seconds < nbf) return Fail("JWT is not valid yet (nbf)");
  }
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != jwt_.issuer) {
    return Fail("JWT issuer is not accepted");
  }
  bool aud_ok = false;
  if (auto aud = claims.find("aud"); aud != claims.end()) {
    if (aud->is_string()) aud_ok = aud->get<std::string>() == jwt_.audience;
    if (aud->is_array()) {
      for (const auto& a : *aud) aud_ok |= a.is_string() && a.get<std::string>() == jwt_.audience;
    }
  }
  if (!aud_ok) return Fail("JWT audience is not accepted");
  std::string sub = "anonymous";
  if (auto s = claims.find("sub"); s != claims.end() && s->is_string()) sub = s->get<std::string>();
  if (sub.size() > 256) sub.resize(256);
  return {true, "jwt:" + sub, ""};
}

}  // namespace gemma::server

// API keys and JWTs (HS256, RS256): valid tokens pass with the right
// principal; missing, wrong, expired, not-yet-valid, wrong-issuer,
// wrong-audience, alg "none", tampered and algorithm-confused tokens fail.
#include "auth.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace gemma::server {
namespace {

constexpr int64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-secret";

std::string HmacSha256(const std::string& key, const std::string& data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

struct RsaKey {
  EVP_PKEY* key = nullptr;
  RsaKey() {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr);
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048);
    EVP_PKEY_keygen(ctx, &key);
    EVP_PKEY_CTX_free(ctx);
  }
  ~RsaKey() { EVP_PKEY_free(key); }
  std::string PublicPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, n);
    BIO_free(bio);
    return pem;
  }
  std::string Sign(const std::string& data) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                   data.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(data.data()), data.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return sig;
  }
};

const RsaKey& Rsa() {
  static RsaKey* k = new RsaKey();
  return *k;
}

nlohmann::json Claims(int64_t exp_delta = 600) {
  return {{"iss", "https://issuer.test"},
          {"aud", "gemma-api"},
          {"sub", "alice"},
          {"exp", kNow + exp_delta},
          {"iat", kNow}};
}

std::string MakeJwt(const std::string& alg, const nlohmann::json& claims,
                    const std::string& hs_key = kSecret) {
  const std::string signing_input =
      Base64UrlEncode(nlohmann::json{{"alg", alg}, {"typ", "JWT"}}.dump()) + "." +
      Base64UrlEncode(claims.dump());
  std::string sig;
  if (alg == "HS256") sig = HmacSha256(hs_key, signing_input);
  if (alg == "RS256") sig = Rsa().Sign(signing_input);
  return signing_input + "." + Base64UrlEncode(sig);
}

std::unique_ptr<Authenticator> Make(bool hs, bool rs, std::vector<std::string> keys = {}) {
  ServerConfig c;
  c.api_keys = std::move(keys);
  if (hs) c.jwt.hs256_secret = kSecret;
  if (rs) c.jwt.rs256_public_key = Rsa().PublicPem();
  c.jwt.issuer = "https://issuer.test";
  c.jwt.audience = "gemma-api";
  auto a = Authenticator::Create(c);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return std::move(*a);
}

TEST(Base64Url, RoundTrip) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00x"}) {
    std::string out;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(s), &out));
    EXPECT_EQ(out, s);
  }
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("a+b/", &out));  // standard alphabet is not base64url
  EXPECT_FALSE(Base64UrlDecode("a", &out));
}

TEST(Auth, DisabledPassesEverything) {
  auto a = Make(false, false);
  EXPECT_FALSE(a->enabled());
  EXPECT_TRUE(a->Check("", kNow).ok);
}

TEST(Auth, ApiKeys) {
  auto a = Make(false, false, {"sk-first-key-123", "sk-second-key-456"});
  EXPECT_TRUE(a->Check("Bearer sk-first-key-123", kNow).ok);
  auto second = a->Check("bearer   sk-second-key-456 ", kNow);
  EXPECT_TRUE(second.ok);
  EXPECT_EQ(second.principal.rfind("key:", 0), 0u);
  EXPECT_EQ(second.principal.find("sk-second"), std::string::npos);  // never the key itself
  EXPECT_NE(a->Check("Bearer sk-first-key-123", kNow).principal, second.principal);
  EXPECT_FALSE(a->Check("", kNow).ok);
  EXPECT_FALSE(a->Check("Bearer ", kNow).ok);
  EXPECT_FALSE(a->Check("Bearer sk-first-key-12", kNow).ok);
  EXPECT_FALSE(a->Check("Basic c2stZmlyc3Q=", kNow).ok);
  EXPECT_FALSE(a->Check("sk-first-key-123", kNow).ok);
}

TEST(Auth, Hs256) {
  auto a = Make(true, false);
  auto r = a->Check("Bearer " + MakeJwt("HS256", Claims()), kNow);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.principal, "jwt:alice");
  // Wrong secret, tampered payload.
  EXPECT_FALSE(a->Check("Bearer " + MakeJwt("HS256", Claims(), kSecret + "x"), kNow).ok);
  std::string t = MakeJwt("HS256", Claims());
  const size_t d1 = t.find('.'), d2 = t.rfind('.');
  nlohmann::json evil = Claims();
  evil["sub"] = "mallory";
  std::string tampered = t.substr(0, d1 + 1) + Base64UrlEncode(evil.dump()) + t.substr(d2);
  EXPECT_FALSE(a->Check("Bearer " + tampered, kNow).ok);
  // RS256 is not configured.
  EXPECT_FALSE(a->Check("Bearer " + MakeJwt("RS256", Claims()), kNow).ok);
}

TEST(Auth, Rs256) {
  auto a = Make(false, true);
  auto r = a->Check("Bearer " + MakeJwt("RS256", Claims()), kNow);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.principal, "jwt:alice");
  // Algorithm confusion: an HS256 token "signed" with the public key as secret.
  EXPECT_FALSE(a->Check("Bearer " + MakeJwt("HS256", Claims(), Rsa().PublicPem()), kNow).ok);
}

TEST(Auth, BothAlgorithms) {
  auto a = Make(true, true, {"sk-a-static-key"});
  EXPECT_TRUE(a->Check("Bearer " + MakeJwt("HS256", Claims()), kNow).ok);
  EXPECT_TRUE(a->Check("Bearer " + MakeJwt("RS256", Claims()), kNow).ok);
  EXPECT_TRUE(a->Check("Bearer sk-a-static-key", kNow).ok);
}

TEST(Auth, AlgNoneRejected) {
  auto a = Make(true, true);
  const std::string unsigned_token = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                                     Base64UrlEncode(Claims().dump()) + ".";
  auto r = a->Check("Bearer " + unsigned_token, kNow);
  EXPECT_FALSE(r.ok);
}

TEST(Auth, ClaimsChecked) {
  auto a = Make(true, false);
  auto check = [&](const nlohmann::json& claims) {
    return a->Check("Bearer " + MakeJwt("HS256", claims), kNow);
  };
  auto expired = check(Claims(-1));
  EXPECT_FALSE(expired.ok);
  EXPECT_NE(expired.error.find("expired"), std::string::npos);
  nlohmann::json c = Claims();
  c.erase("exp");
  EXPECT_FALSE(check(c).ok);
  c = Claims();
  c["nbf"] = kNow + 60;
  EXPECT_NE(check(c).error.find("nbf"), std::string::npos);
  c["nbf"] = kNow - 60;
  EXPECT_TRUE(check(c).ok);
  c = Claims();
  c["iss"] = "https://other.test";
  EXPECT_NE(check(c).error.find("issuer"), std::string::npos);
  c = Claims();
  c["aud"] = "other-api";
  EXPECT_NE(check(c).error.find("audience"), std::string::npos);
  c["aud"] = nlohmann::json::array({"x", "gemma-api"});
  EXPECT_TRUE(check(c).ok);
  c.erase("aud");
  EXPECT_FALSE(check(c).ok);
  c = Claims();
  c.erase("sub");
  EXPECT_EQ(check(c).principal, "jwt:anonymous");
}

TEST(Auth, Leeway) {
  ServerConfig cfg;
  cfg.jwt.hs256_secret = kSecret;
  cfg.jwt.issuer = "https://issuer.test";
  cfg.jwt.audience = "gemma-api";
  cfg.jwt.leeway_seconds = 30;
  auto a = Authenticator::Create(cfg);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE((*a)->Check("Bearer " + MakeJwt("HS256", Claims(-10)), kNow).ok);
  EXPECT_FALSE((*a)->Check("Bearer " + MakeJwt("HS256", Claims(-31)), kNow).ok);
}

TEST(Auth, MalformedTokens) {
  auto a = Make(true, false);
  for (std::string t : {"a.b.c", "..", "x.y", "eyJ.eyJ.", "!!!.???.***"}) {
    EXPECT_FALSE(a->Check("Bearer " + t, kNow).ok) << t;
  }
}

TEST(Auth, BadRsaKeyRejectedAtStart) {
  ServerConfig c;
  c.jwt.rs256_public_key = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n";
  c.jwt.issuer = "i";
  c.jwt.audience = "a";
  auto a = Authenticator::Create(c);
  EXPECT_FALSE(a.ok());
}

}  // namespace
}  // namespace gemma::server

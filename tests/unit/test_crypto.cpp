#include <doctest/doctest.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/jwt.hpp"
#include "crypto/keys.hpp"
#include "util/base64.hpp"

using namespace portico;

TEST_CASE("base64: standard and URL alphabets round-trip") {
  CHECK(base64::encode("admin:admin") == "YWRtaW46YWRtaW4=");
  CHECK(base64::decode("YWRtaW46YWRtaW4=") == "admin:admin");
  std::string bin("\xfb\xff\x00\x01", 4);
  CHECK(base64::encode_url(bin) == "-_8AAQ");
  CHECK(base64::decode("-_8AAQ") == bin);
  CHECK_FALSE(base64::decode("a$b="));
}

TEST_CASE("jwt: a signed token verifies until it expires, and not once tampered with") {
  auto key = crypto::generate_rsa(2048);
  nlohmann::json claims{{"username", "admin"}, {"scope", "admin"}, {"exp", 1000}};
  std::string token = crypto::jwt_sign_rs256(claims, key.get());
  auto ok = crypto::jwt_verify_rs256(token, key.get(), 999);
  REQUIRE(ok);
  CHECK((*ok)["username"] == "admin");
  CHECK_FALSE(crypto::jwt_verify_rs256(token, key.get(), 1000));  // expired
  std::string tampered = token;
  tampered[tampered.find('.') + 5] ^= 1;
  CHECK_FALSE(crypto::jwt_verify_rs256(tampered, key.get(), 0));
  auto other = crypto::generate_rsa(2048);
  CHECK_FALSE(crypto::jwt_verify_rs256(token, other.get(), 0));
  CHECK_FALSE(crypto::jwt_verify_rs256("a.b", key.get(), 0));
}

// Found by fuzz/jwt: value("alg", "") threw for a non-string alg, before
// any signature check, so one bearer token killed the gateway's worker.
TEST_CASE("jwt: a header whose alg is not a string is refused, not thrown") {
  auto key = crypto::generate_rsa(2048);
  for (const char* header : {R"({"alg":5})", R"({"alg":null})", R"({"alg":["RS256"]})", R"({"alg":{}})"}) {
    std::string token = base64::encode_url(header) + "." + base64::encode_url("{}") + "." + base64::encode_url("x");
    CHECK_NOTHROW(CHECK_FALSE(crypto::jwt_verify_rs256(token, key.get(), 0)));
  }
}

// Found by fuzz/jwt: exp was read as long long, so 2^64-1 wrapped to -1
// (expired) and 1e300 overflowed (undefined behaviour).
TEST_CASE("jwt: an exp beyond long long or a float exp is compared as a number") {
  auto key = crypto::generate_rsa(2048);
  auto verifies = [&](nlohmann::json exp, long long now) {
    return crypto::jwt_verify_rs256(crypto::jwt_sign_rs256({{"exp", exp}}, key.get()), key.get(), now).has_value();
  };
  CHECK(verifies(18446744073709551615ull, 1'700'000'000));
  CHECK(verifies(1e300, 1'700'000'000));
  CHECK_FALSE(verifies(-1e300, 0));
  CHECK(verifies(1000.5, 1000));
  CHECK_FALSE(verifies(999.5, 1000));
}

TEST_CASE("keys: a self-signed certificate names localhost and 127.0.0.1") {
  auto key = crypto::generate_rsa(2048);
  std::string pem = crypto::self_signed_certificate_pem(key.get(), {"localhost", "127.0.0.1"}, 30);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  REQUIRE(cert);
  CHECK(X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(cert.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_host(cert.get(), "example.com", 0, 0, nullptr) == 0);
  CHECK(X509_verify(cert.get(), key.get()) == 1);
  auto reread = crypto::load_private_key_pem(crypto::private_key_pem(key.get()));
  CHECK(reread);
}

// JWT parsing and verification: crypto::jwt_verify_rs256 on a fuzzed token
// (split, base64url, header, RS256 signature, claims, exp), with a key made
// once per process. An input starting with '!' is a claims payload instead:
// when it is a JSON value it is signed with the key and the token must then
// verify exactly when the claims hold a future numeric exp.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "crypto/jwt.hpp"
#include "crypto/keys.hpp"
#include "fuzz_input.hpp"
#include "util/base64.hpp"

using namespace portico;

namespace {
constexpr long long kNow = 1'700'000'000;
EVP_PKEY* key() {
  static crypto::Pkey k = crypto::generate_rsa(2048);
  return k.get();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string in(fuzz::as_view(data, size));
  if (!in.empty() && in[0] == '!') {
    auto claims = nlohmann::json::parse(in.substr(1), nullptr, false);
    if (claims.is_discarded()) return 0;
    std::string token = crypto::jwt_sign_rs256(claims, key());
    auto verified = crypto::jwt_verify_rs256(token, key(), kNow);
    bool expected = claims.is_object() && claims.contains("exp") && claims["exp"].is_number() &&
                    claims["exp"].get<double>() > static_cast<double>(kNow);
    if (verified.has_value() != expected) std::abort();
    return 0;
  }
  (void)crypto::jwt_verify_rs256(in, key(), kNow);
  (void)base64::decode(in);
  if (auto d = base64::decode(in); d && base64::encode(*d).empty() != d->empty()) std::abort();
  return 0;
}

// JSON Web Tokens signed with RS256 (RFC 7519 / 7515), for the gateway's
// bearer tokens.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

typedef struct evp_pkey_st EVP_PKEY;

namespace portico::crypto {

std::string jwt_sign_rs256(const nlohmann::json& claims, EVP_PKEY* key);

// The claims when the signature verifies and `exp` is in the future (at
// `now`, seconds since the epoch); nullopt otherwise.
std::optional<nlohmann::json> jwt_verify_rs256(const std::string& token, EVP_PKEY* key, long long now);

}  // namespace portico::crypto

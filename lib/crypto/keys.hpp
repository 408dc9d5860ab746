// Keys and certificates with OpenSSL, created by the program itself (no
// shelling out): an RSA key, a self-signed certificate for local use, and
// PEM files written with safe permissions.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace portico::crypto {

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const;
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

Pkey generate_rsa(int bits = 2048);
std::string private_key_pem(EVP_PKEY* key);
Pkey load_private_key_pem(const std::string& pem);  // throws Error(Input) when malformed

// A self-signed X.509 certificate (PEM) for `names` (DNS names or IPv4
// literals, all in the subject alternative name; the first is the CN).
std::string self_signed_certificate_pem(EVP_PKEY* key, const std::vector<std::string>& names,
                                        int days);

// The key at `path` (created with mode 0600 when absent).
Pkey load_or_create_key(const std::filesystem::path& path);

}  // namespace portico::crypto

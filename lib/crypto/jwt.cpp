#include "crypto/jwt.hpp"

#include <openssl/evp.h>

#include <memory>

#include "util/base64.hpp"
#include "util/error.hpp"

namespace portico::crypto {

namespace {
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
}

std::string jwt_sign_rs256(const nlohmann::json& claims, EVP_PKEY* key) {
  std::string header = base64::encode_url(R"({"alg":"RS256","typ":"JWT"})");
  std::string payload = base64::encode_url(claims.dump());
  std::string input = header + "." + payload;
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    throw Error(ExitCode::Input, "cannot sign a token");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw Error(ExitCode::Input, "cannot sign a token");
  sig.resize(len);
  return input + "." + base64::encode_url(sig);
}

std::optional<nlohmann::json> jwt_verify_rs256(const std::string& token, EVP_PKEY* key, long long now) {
  auto d1 = token.find('.');
  auto d2 = d1 == std::string::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string::npos || token.find('.', d2 + 1) != std::string::npos) return std::nullopt;
  auto header = base64::decode(std::string_view(token).substr(0, d1));
  auto payload = base64::decode(std::string_view(token).substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64::decode(std::string_view(token).substr(d2 + 1));
  if (!header || !payload || !sig) return std::nullopt;
  auto h = nlohmann::json::parse(*header, nullptr, false);
  // Not value("alg", ""): it throws when alg is there but not a string.
  if (!h.is_object() || !h.contains("alg") || h["alg"] != "RS256") return std::nullopt;
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string input = token.substr(0, d2);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return std::nullopt;
  auto claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!claims.is_object() || !claims.contains("exp") || !claims["exp"].is_number()) return std::nullopt;
  // Compared as a double: an exp beyond long long (or a float) must not wrap or overflow.
  if (!(claims["exp"].get<double>() > static_cast<double>(now))) return std::nullopt;
  return claims;
}

}  // namespace portico::crypto

// Base64 (RFC 4648), standard and URL-safe alphabets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace portico::base64 {

std::string encode(std::string_view bytes);
std::string encode_url(std::string_view bytes);  // no padding
// Accepts either alphabet, with or without padding; nullopt when malformed.
std::optional<std::string> decode(std::string_view text);

}  // namespace portico::base64

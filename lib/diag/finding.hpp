// A validation finding: what rules, parsers and project checks produce and
// what reporters print. Plain data, no behaviour beyond ordering.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portico {

enum class Severity : std::uint8_t { Info = 0, Warning = 1, Error = 2 };

std::string_view to_string(Severity s);
// "error", "warning", "info"; nullopt for anything else.
std::optional<Severity> severity_from_string(std::string_view s);

struct Finding {
  std::string rule;
  Severity severity = Severity::Error;
  std::string message;
  std::string file;  // as shown to the user
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  std::string pointer;  // RFC 6901
  std::string hint;
};

// file, then line, then column, then rule id.
bool finding_less(const Finding& a, const Finding& b);

}  // namespace portico

// Helpers shared by the fuzz targets: how a target cuts its input into
// parts. Harness code only: no portico logic lives here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "serve/http.hpp"

namespace portico::fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input cut at each "\n#@@\n" (at most `max_parts` parts; the last one
// keeps any further separators).
inline std::vector<std::string> split_parts(std::string_view in, std::size_t max_parts) {
  static constexpr std::string_view kSep = "\n#@@\n";
  std::vector<std::string> parts;
  while (parts.size() + 1 < max_parts) {
    auto at = in.find(kSep);
    if (at == std::string_view::npos) break;
    parts.emplace_back(in.substr(0, at));
    in.remove_prefix(at + kSep.size());
  }
  parts.emplace_back(in);
  return parts;
}

// An HTTP/1.1 request as text: "METHOD TARGET VERSION", header lines
// "Name: value", an empty line, the body. Lines end with "\n" or "\r\n".
// Lenient on purpose: whatever the bytes are, a request comes out.
inline serve::Request parse_http(std::string_view in) {
  serve::Request r;
  auto next_line = [&in]() {
    auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  std::string_view first = next_line();
  auto sp = first.find(' ');
  r.method = std::string(first.substr(0, sp));
  if (sp != std::string_view::npos) {
    first.remove_prefix(sp + 1);
    r.target = std::string(first.substr(0, first.find(' ')));
  }
  while (!in.empty()) {
    std::string_view line = next_line();
    if (line.empty()) break;
    auto colon = line.find(':');
    std::string_view name = line.substr(0, colon), value;
    if (colon != std::string_view::npos) value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    r.headers.push_back({std::string(name), std::string(value)});
  }
  r.body = std::string(in);
  return r;
}

}  // namespace portico::fuzz

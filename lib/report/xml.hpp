// Escaping for XML attributes and text.
#pragma once

#include <string>
#include <string_view>

namespace portico::report {

// In attributes, line breaks and tabs are written as character references so
// that parsers keep them.
inline std::string xml_escape(std::string_view s, bool attribute = false) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      case '\n': o += attribute ? "&#10;" : "\n"; break;
      case '\r': o += attribute ? "&#13;" : "\r"; break;
      case '\t': o += attribute ? "&#9;" : "\t"; break;
      default:
        // XML 1.0 forbids most control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') o += ' ';
        else o += c;
    }
  }
  return o;
}

}  // namespace portico::report

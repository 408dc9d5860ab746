#include <atomic>
#include <string_view>

#include "doc/document.hpp"
#include "doc/parsers.hpp"
#include "doc/tree_builder.hpp"
#include "util/text.hpp"

namespace portico::doc {

Format sniff_format(std::string_view source) {
  for (char c : source) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return (c == '{' || c == '[') ? Format::Json : Format::Yaml;
  }
  return Format::Yaml;
}

namespace {

std::pair<std::uint32_t, std::uint32_t> line_col(std::string_view s, std::size_t off) {
  std::uint32_t line = 1, col = 1;
  for (std::size_t i = 0; i < off && i < s.size(); ++i) {
    if (s[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

void syntax(Document& doc, std::string message, std::uint32_t line, std::uint32_t col,
            std::string hint = {}) {
  Finding f;
  f.rule = "syntax";
  f.severity = Severity::Error;
  f.message = std::move(message);
  f.hint = std::move(hint);
  f.file = doc.file;
  f.line = line == 0 ? 1 : line;
  f.column = col == 0 ? 1 : col;
  doc.findings.push_back(std::move(f));
}

std::atomic<std::uint64_t> g_bytes_parsed{0};

}  // namespace

std::uint64_t bytes_parsed() { return g_bytes_parsed.load(std::memory_order_relaxed); }

Document parse(std::string file, std::string source, const Limits& limits) {
  g_bytes_parsed.fetch_add(source.size(), std::memory_order_relaxed);
  Document doc;
  doc.file = std::move(file);
  doc.source = std::move(source);

  std::string_view s = doc.source;
  std::size_t bom = s.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  if (auto nul = s.find('\0'); nul != std::string_view::npos) {
    auto [l, c] = line_col(s, nul);
    syntax(doc, "binary file: a NUL byte at offset " + std::to_string(nul) +
                    " (this is not a YAML or JSON text)", l, c);
    return doc;
  }
  if (auto bad = text::invalid_utf8_offset(s); bad != std::string_view::npos) {
    auto [l, c] = line_col(s, bad);
    syntax(doc, "invalid UTF-8 at byte offset " + std::to_string(bad), l, c,
           "save the file as UTF-8");
    return doc;
  }
  if (text::trim(s.substr(bom)).empty()) {
    doc.root = doc.make(Kind::Null, 1, 1);
    return doc;
  }
  if (bom) {
    // Keep offsets and columns relative to what a reader sees.
    doc.source.replace(0, 3, "");
  }
  doc.format = sniff_format(doc.source);
  try {
    doc.root = doc.format == Format::Json ? detail::parse_json(doc, limits)
                                          : detail::parse_yaml(doc, limits);
  } catch (const detail::StopParse& e) {
    // A file with a syntax error gets that finding and nothing else.
    doc.root = nullptr;
    doc.findings.clear();
    syntax(doc, e.what(), e.line, e.column);
  }
  return doc;
}

}  // namespace portico::doc

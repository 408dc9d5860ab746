// gcc-style lines, an excerpt with a caret on a terminal, a summary last.
#include <fmt/format.h>

#include <map>

#include "report/formats.hpp"

namespace portico::report {

namespace {

const char* colour_of(Severity s) {
  switch (s) {
    case Severity::Error: return "\x1b[1;31m";
    case Severity::Warning: return "\x1b[1;35m";
    case Severity::Info: return "\x1b[1;36m";
  }
  return "";
}

std::string_view line_of(std::string_view src, std::uint32_t line) {
  std::size_t start = 0;
  for (std::uint32_t l = 1; l < line; ++l) {
    start = src.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  auto end = src.find('\n', start);
  auto s = src.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

// One line per finding, whatever a quoted value holds.
std::string one_line(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\n') o += "\\n";
    else if (c == '\r') o += "\\r";
    else if (c == '\t') o += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20) o += '?';
    else o += c;
  }
  return o;
}

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

class Human : public Reporter {
 public:
  explicit Human(const Style& s) : style_(s) {}

  void write(const ValidationReport& r, std::ostream& out) override {
    std::map<std::string_view, std::string_view> sources;
    for (const auto& d : r.documents) sources[d->file] = d->source;
    const char* bold = style_.color ? "\x1b[1m" : "";
    const char* reset = style_.color ? "\x1b[0m" : "";
    for (const auto& f : r.findings) {
      out << bold << f.file << ':' << f.line << ':' << f.column << ":" << reset << ' '
          << (style_.color ? colour_of(f.severity) : "") << to_string(f.severity) << ':' << reset << ' '
          << one_line(f.message) << " [" << f.rule << "]\n";
      if (!style_.excerpts) continue;
      auto it = sources.find(f.file);
      if (it != sources.end()) {
        std::string_view text = line_of(it->second, f.line);
        if (!text.empty() || f.line == 1) {
          std::string num = std::to_string(f.line);
          std::string pad(num.size(), ' ');
          out << ' ' << num << " | " << text << '\n';
          std::string caret_pad;
          for (std::size_t i = 0; i + 1 < f.column && i < text.size(); ++i)
            caret_pad += text[i] == '\t' ? '\t' : ' ';
          out << ' ' << pad << " | " << caret_pad << (style_.color ? "\x1b[1;32m" : "") << '^' << reset
              << '\n';
        }
      }
      if (!f.hint.empty()) out << "   = hint: " << one_line(f.hint) << '\n';
    }
    Summary s = count(r.findings);
    if (r.findings.empty()) {
      out << fmt::format("no problems found in {}\n", plural(r.files, "file"));
    } else {
      out << fmt::format("{}, {}, {} in {}{}\n", plural(s.errors, "error"), plural(s.warnings, "warning"),
                         plural(s.infos, "info"), plural(r.files, "file"),
                         r.ok ? "" : "");
    }
  }

 private:
  Style style_;
};

}  // namespace

std::unique_ptr<Reporter> make_human_reporter(const Style& style) { return std::make_unique<Human>(style); }

}  // namespace portico::report

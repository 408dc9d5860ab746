// Test support: a small, strict XML 1.0 reader for checking JUnit reports.
// It rejects what a conforming parser rejects in such files (unbalanced or
// mismatched tags, unquoted or duplicate attributes, `<` in an attribute, a
// bare `&` or an unknown entity, forbidden control characters, text or a
// second element outside the root) and builds a tree of elements with
// attributes and text (entities decoded). No DTDs, no namespaces, ASCII
// names only: enough for JUnit, not a general parser. Header-only.
//
// python3_wellformed() cross-checks with Python's expat-based minidom when a
// python3 is on PATH.
#pragma once

#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process.hpp"

namespace portico::test::xml {

struct Element {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<Element> children;
  std::string text;  // all character data directly inside, concatenated

  std::optional<std::string> attr(std::string_view n) const {
    for (const auto& [k, v] : attributes)
      if (k == n) return v;
    return std::nullopt;
  }
  std::string attr_or(std::string_view n, std::string dflt = "") const { return attr(n).value_or(std::move(dflt)); }
  std::vector<const Element*> all(std::string_view n) const {
    std::vector<const Element*> out;
    for (const auto& c : children)
      if (c.name == n) out.push_back(&c);
    return out;
  }
  const Element* first(std::string_view n) const {
    for (const auto& c : children)
      if (c.name == n) return &c;
    return nullptr;
  }
};

struct ParseResult {
  bool ok = false;
  std::string error;  // with the byte offset
  Element root;
};

namespace detail {

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  ParseResult run() {
    ParseResult r;
    try {
      if (s_.substr(0, 3) == "\xEF\xBB\xBF") p_ = 3;
      if (s_.substr(p_, 5) == "<?xml") pi();
      misc();
      if (p_ >= s_.size() || s_[p_] != '<') fail("expected the root element");
      r.root = element(0);
      misc();
      if (p_ != s_.size()) fail("content after the root element");
      r.ok = true;
    } catch (const std::string& e) {
      r.error = e;
    }
    return r;
  }

 private:
  [[noreturn]] void fail(const std::string& what) { throw what + " at byte " + std::to_string(p_); }

  static bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           static_cast<unsigned char>(c) >= 0x80;
  }
  static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
  static bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  void check_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') fail("forbidden control character " + std::to_string(u));
  }

  void skip_space() {
    while (p_ < s_.size() && space(s_[p_])) ++p_;
  }

  std::string name() {
    if (p_ >= s_.size() || !name_start(s_[p_])) fail("expected a name");
    std::size_t b = p_;
    while (p_ < s_.size() && name_char(s_[p_])) ++p_;
    return std::string(s_.substr(b, p_ - b));
  }

  static void put_utf8(std::string& o, std::uint32_t cp) {
    if (cp < 0x80) {
      o += static_cast<char>(cp);
    } else if (cp < 0x800) {
      o += static_cast<char>(0xC0 | (cp >> 6));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      o += static_cast<char>(0xE0 | (cp >> 12));
      o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      o += static_cast<char>(0xF0 | (cp >> 18));
      o += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // At '&': decodes one reference into `o`.
  void reference(std::string& o) {
    std::size_t semi = s_.find(';', p_);
    if (semi == std::string_view::npos || semi - p_ > 12) fail("bare '&'");
    std::string_view ref = s_.substr(p_ + 1, semi - p_ - 1);
    if (ref == "lt") o += '<';
    else if (ref == "gt") o += '>';
    else if (ref == "amp") o += '&';
    else if (ref == "quot") o += '"';
    else if (ref == "apos") o += '\'';
    else if (ref.size() > 1 && ref[0] == '#') {
      bool hex = ref[1] == 'x';
      std::string digits(ref.substr(hex ? 2 : 1));
      if (digits.empty()) fail("empty character reference");
      for (char c : digits)
        if (!(hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c))))
          fail("bad character reference");
      unsigned long cp = std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10);
      bool valid = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                   (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
      if (!valid) fail("character reference to a character XML forbids");
      put_utf8(o, static_cast<std::uint32_t>(cp));
    } else {
      fail("unknown entity '&" + std::string(ref) + ";'");
    }
    p_ = semi + 1;
  }

  void comment() {  // at "<!--"
    std::size_t end = s_.find("--", p_ + 4);
    if (end == std::string_view::npos) fail("unterminated comment");
    if (s_.substr(end, 3) != "-->") fail("'--' inside a comment");
    for (std::size_t i = p_; i < end; ++i) check_char(s_[i]);
    p_ = end + 3;
  }

  void pi() {  // at "<?"
    std::size_t end = s_.find("?>", p_ + 2);
    if (end == std::string_view::npos) fail("unterminated processing instruction");
    p_ = end + 2;
  }

  void misc() {
    for (;;) {
      skip_space();
      if (s_.substr(p_, 4) == "<!--") comment();
      else if (s_.substr(p_, 2) == "<?") pi();
      else return;
    }
  }

  Element element(int depth) {  // at '<'
    if (depth > 200) fail("nesting too deep");
    Element e;
    ++p_;
    e.name = name();
    for (;;) {
      bool had_space = p_ < s_.size() && space(s_[p_]);
      skip_space();
      if (p_ >= s_.size()) fail("unterminated start tag");
      if (s_[p_] == '/') {
        if (s_.substr(p_, 2) != "/>") fail("expected '/>'");
        p_ += 2;
        return e;
      }
      if (s_[p_] == '>') {
        ++p_;
        break;
      }
      if (!had_space) fail("attributes must be separated by white space");
      std::string an = name();
      skip_space();
      if (p_ >= s_.size() || s_[p_] != '=') fail("expected '=' after attribute " + an);
      ++p_;
      skip_space();
      if (p_ >= s_.size() || (s_[p_] != '"' && s_[p_] != '\'')) fail("unquoted attribute value");
      char q = s_[p_++];
      std::string v;
      for (;;) {
        if (p_ >= s_.size()) fail("unterminated attribute value");
        char c = s_[p_];
        if (c == q) {
          ++p_;
          break;
        }
        if (c == '<') fail("'<' in an attribute value");
        if (c == '&') {
          reference(v);
          continue;
        }
        check_char(c);
        // Attribute-value normalisation: white space characters become spaces.
        v += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
        ++p_;
      }
      if (e.attr(an)) fail("duplicate attribute " + an);
      e.attributes.emplace_back(an, v);
    }
    // Content.
    for (;;) {
      if (p_ >= s_.size()) fail("unterminated element <" + e.name + ">");
      char c = s_[p_];
      if (c == '<') {
        if (s_.substr(p_, 2) == "</") {
          p_ += 2;
          std::string end = name();
          if (end != e.name) fail("</" + end + "> closes <" + e.name + ">");
          skip_space();
          if (p_ >= s_.size() || s_[p_] != '>') fail("expected '>'");
          ++p_;
          return e;
        }
        if (s_.substr(p_, 4) == "<!--") {
          comment();
        } else if (s_.substr(p_, 9) == "<![CDATA[") {
          std::size_t end = s_.find("]]>", p_ + 9);
          if (end == std::string_view::npos) fail("unterminated CDATA");
          for (std::size_t i = p_ + 9; i < end; ++i) check_char(s_[i]);
          e.text += s_.substr(p_ + 9, end - p_ - 9);
          p_ = end + 3;
        } else if (s_.substr(p_, 2) == "<?") {
          pi();
        } else if (s_.substr(p_, 2) == "<!") {
          fail("markup declaration inside an element");
        } else {
          e.children.push_back(element(depth + 1));
        }
      } else if (c == '&') {
        reference(e.text);
      } else {
        if (s_.substr(p_, 3) == "]]>") fail("']]>' in text");
        check_char(c);
        e.text += c;
        ++p_;
      }
    }
  }

  std::string_view s_;
  std::size_t p_ = 0;
};

}  // namespace detail

inline ParseResult parse(std::string_view text) { return detail::Reader(text).run(); }

// nullopt when no python3 is available; otherwise "" when Python's minidom
// parses `text`, else its error.
inline std::optional<std::string> python3_wellformed(const std::string& text) {
  static const std::string py = find_program("python3");
  if (py.empty()) return std::nullopt;
  auto r = run({py, "-c",
                "import sys, xml.dom.minidom\n"
                "try:\n"
                "    xml.dom.minidom.parseString(sys.stdin.buffer.read())\n"
                "except Exception as e:\n"
                "    print(e); sys.exit(1)\n"},
               text.empty() ? std::string(" ") : text);
  if (r.exit_code == 0) return std::string();
  return "python3 minidom: " + r.out + r.err;
}

}  // namespace portico::test::xml

// YAML input through yaml-cpp's event parser (faster than YAML::Load, and it
// gives a mark for every event).
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <istream>
#include <streambuf>

#include "doc/parsers.hpp"
#include "doc/tree_builder.hpp"

namespace portico::doc::detail {

namespace {

bool match_int(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    for (char c : s.substr(2))
      if (!(std::isxdigit(static_cast<unsigned char>(c)) && (s[1] == 'x' || (c >= '0' && c <= '7'))))
        return false;
    return true;
  }
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool match_float(std::string_view s) {
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
  // [0-9]* ( . [0-9]* )? ( [eE] [-+]? [0-9]+ )?  with at least one digit
  std::size_t i = 0, digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

// YAML 1.2 core schema resolution of a plain scalar.
Kind resolve_plain(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE")
    return Kind::Bool;
  if (match_int(s)) return Kind::Int;
  if (match_float(s)) return Kind::Float;
  return Kind::String;
}

Kind resolve(const std::string& tag, const std::string& value) {
  if (tag == "!") return Kind::String;  // quoted, or an explicit non-specific tag
  static const std::string core = "tag:yaml.org,2002:";
  if (tag.rfind(core, 0) == 0) {
    auto t = std::string_view(tag).substr(core.size());
    if (t == "str") return Kind::String;
    if (t == "int") return Kind::Int;
    if (t == "float") return Kind::Float;
    if (t == "bool") return Kind::Bool;
    if (t == "null") return Kind::Null;
  }
  return resolve_plain(value);
}

class Handler : public YAML::EventHandler {
 public:
  Handler(TreeBuilder& b, std::string_view src) : b_(b), src_(src) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    // An explicit null (~, null) keeps its text; an empty value has none.
    std::string text;
    if (m.pos >= 0 && static_cast<std::size_t>(m.pos) < src_.size()) {
      char c = src_[static_cast<std::size_t>(m.pos)];
      if (c == '~')
        text = "~";
      else if (c == 'n' || c == 'N')
        text = std::string(src_.substr(static_cast<std::size_t>(m.pos), 4));
    }
    remember(anchor, b_.scalar(Kind::Null, std::move(text), line(m), col(m)));
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw StopParse("unknown alias", line(m), col(m));
    b_.alias(it->second, line(m), col(m));
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node* n = b_.scalar(resolve(tag, value), value, line(m), col(m));
    n->quoted = tag == "!";
    remember(anchor, n);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    remember(anchor, b_.begin_container(Kind::Seq, line(m), col(m)));
  }
  void OnSequenceEnd() override { b_.end_container(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    remember(anchor, b_.begin_container(Kind::Map, line(m), col(m)));
  }
  void OnMapEnd() override { b_.end_container(); }

 private:
  static std::uint32_t line(const YAML::Mark& m) { return static_cast<std::uint32_t>(m.line + 1); }
  static std::uint32_t col(const YAML::Mark& m) { return static_cast<std::uint32_t>(m.column + 1); }
  void remember(YAML::anchor_t anchor, Node* n) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = n;
  }

  TreeBuilder& b_;
  std::string_view src_;
  std::map<YAML::anchor_t, Node*> anchors_;
};

// Stops at the start of a second document.
class SecondDocument : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& m) override {
    throw StopParse("more than one YAML document in the file (a second '---')",
                    static_cast<std::uint32_t>(m.line + 1), static_cast<std::uint32_t>(m.column + 1));
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// A read-only stream buffer over bytes that outlive it.
class SourceBuf : public std::streambuf {
 public:
  explicit SourceBuf(std::string_view s) {
    char* p = const_cast<char*>(s.data());  // never written: no put area, putback only of the same byte
    setg(p, p, p + s.size());
  }
};

}  // namespace

const Node* parse_yaml(Document& doc, const Limits& limits) {
  TreeBuilder builder(doc, limits);
  // yaml-cpp reads from a stream: one over the source itself, not a copy of it
  // (an istringstream would hold a second copy of a 37 MB definition).
  SourceBuf buf(doc.source);
  std::istream in(&buf);
  try {
    YAML::Parser parser(in);
    Handler handler(builder, doc.source);
    if (!parser.HandleNextDocument(handler)) return doc.make(Kind::Null, 1, 1);
    SecondDocument second;
    parser.HandleNextDocument(second);
  } catch (const YAML::DeepRecursion& e) {
    throw StopParse("nesting deeper than the parser allows", static_cast<std::uint32_t>(e.mark.line + 1),
                    static_cast<std::uint32_t>(e.mark.column + 1));
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports tab indentation as "illegal block entry" or "illegal
    // map value": find the tab that indents a line up to the error, and say it.
    std::size_t err_line = e.mark.line < 0 ? 0 : static_cast<std::size_t>(e.mark.line);
    std::size_t line = 0, start = 0;
    std::uint32_t tab_line = 0, tab_col = 0;
    while (start <= doc.source.size() && line <= err_line) {
      std::size_t end = doc.source.find('\n', start);
      if (end == std::string::npos) end = doc.source.size();
      for (std::size_t i = start; i < end && (doc.source[i] == ' ' || doc.source[i] == '\t'); ++i)
        if (doc.source[i] == '\t') {
          tab_line = static_cast<std::uint32_t>(line + 1);
          tab_col = static_cast<std::uint32_t>(i - start + 1);
          break;
        }
      start = end + 1;
      ++line;
    }
    if (tab_line)
      throw StopParse("a tab indents this line: YAML cannot be indented with tabs, use spaces (the parser says: " +
                          e.msg + ")",
                      tab_line, tab_col);
    throw StopParse(e.msg, static_cast<std::uint32_t>(e.mark.line + 1),
                    static_cast<std::uint32_t>(e.mark.column + 1));
  }
  return builder.root() ? builder.root() : doc.make(Kind::Null, 1, 1);
}

}  // namespace portico::doc::detail

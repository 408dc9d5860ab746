// JSON input through nlohmann/json's SAX interface. nlohmann reports no
// positions for events, so the input iterator records how far the lexer has
// read; each event's start is found from there in the source buffer.
#include <cctype>
#include <iterator>
#include <nlohmann/json.hpp>

#include "doc/parsers.hpp"
#include "doc/tree_builder.hpp"

namespace portico::doc::detail {

namespace {

// An input iterator over the source that publishes its position.
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* p, const char** sink) : p_(p), sink_(sink) {}
  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    ++p_;
    *sink_ = p_;
    return *this;
  }
  TrackingIterator operator++(int) {
    auto t = *this;
    ++*this;
    return t;
  }
  bool operator==(const TrackingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const TrackingIterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  const char** sink_;
};

// Maps byte offsets to 1-based line and column; offsets arrive almost in
// order, so a cursor over the line starts is cheaper than a search.
class LineIndex {
 public:
  explicit LineIndex(std::string_view s) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < s.size(); ++i)
      if (s[i] == '\n') starts_.push_back(i + 1);
  }
  std::pair<std::uint32_t, std::uint32_t> at(std::size_t off) {
    while (cur_ + 1 < starts_.size() && starts_[cur_ + 1] <= off) ++cur_;
    while (cur_ > 0 && starts_[cur_] > off) --cur_;
    return {static_cast<std::uint32_t>(cur_ + 1), static_cast<std::uint32_t>(off - starts_[cur_] + 1)};
  }

 private:
  std::vector<std::size_t> starts_;
  std::size_t cur_ = 0;
};

class Sax {
 public:
  Sax(TreeBuilder& b, std::string_view src, const char** consumed)
      : b_(b), src_(src), consumed_(consumed), lines_(src) {}

  bool null() { return literal(Kind::Null, 4); }
  bool boolean(bool v) { return literal(Kind::Bool, v ? 4 : 5); }
  bool number_integer(long long) { return number(Kind::Int); }
  bool number_unsigned(unsigned long long) { return number(Kind::Int); }
  bool number_float(double, const std::string&) { return number(Kind::Float); }
  bool string(std::string& s) {
    auto [l, c] = lines_.at(string_start());
    Node* n = b_.scalar(Kind::String, std::move(s), l, c);
    n->quoted = true;
    return true;
  }
  bool binary(nlohmann::json::binary_t&) { return true; }
  bool start_object(std::size_t) {
    auto [l, c] = lines_.at(offset() - 1);
    b_.begin_container(Kind::Map, l, c);
    return true;
  }
  bool key(std::string& s) { return string(s); }
  bool end_object() {
    b_.end_container();
    return true;
  }
  bool start_array(std::size_t) {
    auto [l, c] = lines_.at(offset() - 1);
    b_.begin_container(Kind::Seq, l, c);
    return true;
  }
  bool end_array() {
    b_.end_container();
    return true;
  }
  bool parse_error(std::size_t pos, const std::string& last_token,
                   const nlohmann::detail::exception& ex) {
    // nlohmann's position counts characters read, up to the end of the
    // offending token: report where that token starts.
    (void)last_token;
    std::size_t off = std::min(pos > 0 ? pos - 1 : 0, src_.empty() ? 0 : src_.size() - 1);
    if (!src_.empty()) {
      char ch = src_[off];
      if (ch == '"' && off > 0) {
        off = quote_start(off);
      } else if (std::isalnum(static_cast<unsigned char>(ch)) || numchar(ch)) {
        while (off > 0 && (std::isalnum(static_cast<unsigned char>(src_[off - 1])) || numchar(src_[off - 1])))
          --off;
      }
    }
    auto [l, c] = lines_.at(std::min(off, src_.size()));
    std::string msg = ex.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error while
    // parsing object - unexpected '}'; expected string literal" -> keep what follows "- ".
    auto dash = msg.find(" - ");
    if (dash != std::string::npos) msg = msg.substr(dash + 3);
    throw StopParse("invalid JSON: " + msg, l, c);
  }

 private:
  std::size_t offset() const { return static_cast<std::size_t>(*consumed_ - src_.data()); }

  bool literal(Kind k, std::size_t len) {
    std::size_t end = offset();
    auto [l, c] = lines_.at(end >= len ? end - len : 0);
    b_.scalar(k, std::string(src_.substr(end - len, len)), l, c);
    return true;
  }

  static bool numchar(char ch) {
    return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E';
  }

  bool number(Kind k) {
    // The lexer has read one character past the number, unless it hit the end.
    std::size_t end = offset();
    if (end > 0 && !numchar(src_[end - 1])) --end;
    std::size_t start = end;
    while (start > 0 && numchar(src_[start - 1])) --start;
    auto [l, c] = lines_.at(start);
    b_.scalar(k, std::string(src_.substr(start, end - start)), l, c);
    return true;
  }

  // The lexer stopped just after the closing quote.
  std::size_t string_start() const { return quote_start(offset() - 1); }

  // From a closing quote, back to its opening quote, skipping escaped quotes.
  std::size_t quote_start(std::size_t closing) const {
    std::size_t i = closing;
    while (i > 0) {
      --i;
      if (src_[i] != '"') continue;
      std::size_t bs = 0;
      while (i > bs && src_[i - 1 - bs] == '\\') ++bs;
      if (bs % 2 == 0) return i;
    }
    return 0;
  }

  TreeBuilder& b_;
  std::string_view src_;
  const char** consumed_;
  LineIndex lines_;
};

}  // namespace

const Node* parse_json(Document& doc, const Limits& limits) {
  TreeBuilder builder(doc, limits);
  const char* begin = doc.source.data();
  const char* consumed = begin;
  Sax sax(builder, doc.source, &consumed);
  TrackingIterator first(begin, &consumed), last(begin + doc.source.size(), &consumed);
  nlohmann::json::sax_parse(first, last, &sax);
  return builder.root();
}

}  // namespace portico::doc::detail

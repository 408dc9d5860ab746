// The in-memory document tree shared by YAML and JSON input. Every node
// knows its 1-based line and column. Nodes live in the Document's arena;
// YAML aliases share the anchored node, so the tree may be a DAG, whose
// expanded size the parser bounds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace portico::doc {

enum class Kind : std::uint8_t { Null, Bool, Int, Float, String, Seq, Map };

std::string_view to_string(Kind k);  // "null", "boolean", "integer", ...

// 72 bytes (the small fields first, packed): a 37 MB definition has about
// four million nodes, so every 8 bytes here are 32 MB.
struct Node {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  // Number of nodes in the subtree once aliases are expanded (1 for scalars);
  // saturates at 2^32-1, far above the expansion budget (Limits).
  std::uint32_t weight = 1;
  Kind kind = Kind::Null;
  // A quoted scalar (YAML single/double quoted, any JSON string).
  bool quoted = false;
  // Scalars: the value (strings unescaped, numbers and booleans as written).
  std::string text;
  // Seq: the items. Map: key, value, key, value... in document order.
  std::vector<Node*> kids;

  bool is_map() const { return kind == Kind::Map; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_string() const { return kind == Kind::String; }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float; }
  bool is_scalar() const { return kind != Kind::Seq && kind != Kind::Map; }
  bool is_null() const { return kind == Kind::Null; }

  // Map entries / sequence items.
  std::size_t size() const { return is_map() ? kids.size() / 2 : kids.size(); }
  const Node* key(std::size_t i) const { return kids[2 * i]; }
  const Node* value(std::size_t i) const { return kids[2 * i + 1]; }
  const Node* item(std::size_t i) const { return kids[i]; }

  // The last entry whose key is the string `k` (the gateway keeps the last
  // of duplicate keys), as its index, or -1.
  long find_index(std::string_view k) const;
  const Node* get(std::string_view k) const;
  const Node* get_key(std::string_view k) const;
  // Same, comparing keys without regard to ASCII case.
  long find_index_icase(std::string_view k) const;

  double number() const;  // for Int and Float
};

// Builds RFC 6901 pointers incrementally: push/pop a segment as a walk
// descends, str() to render.
class Pointer {
 public:
  void push(std::string_view key);
  void push(std::size_t index);
  void pop();
  const std::string& str() const { return text_; }
  static std::string escape(std::string_view segment);

 private:
  std::string text_;
  std::vector<std::size_t> marks_;
};

// Guard that pops on scope exit.
class PointerScope {
 public:
  template <class T>
  PointerScope(Pointer& p, T seg) : p_(p) { p_.push(seg); }
  ~PointerScope() { p_.pop(); }
  PointerScope(const PointerScope&) = delete;
  PointerScope& operator=(const PointerScope&) = delete;

 private:
  Pointer& p_;
};

}  // namespace portico::doc

namespace portico::doc {
// The pointer of `target` within `root`, found by a depth-first search
// (for the few findings whose node was found without a walk); "" if absent.
std::string pointer_of(const Node* root, const Node* target);
// The pointers of many nodes with one walk (linear, where pointer_of per node
// would be quadratic): each target maps to its pointer, "" when absent.
std::unordered_map<const Node*, std::string> pointers_of(const Node* root, const std::vector<const Node*>& targets);
}  // namespace portico::doc

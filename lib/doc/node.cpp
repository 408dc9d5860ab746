#include "doc/node.hpp"

#include <unordered_map>

#include <cstdlib>

#include "util/text.hpp"

namespace portico::doc {

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::Null: return "null";
    case Kind::Bool: return "boolean";
    case Kind::Int: return "integer";
    case Kind::Float: return "number";
    case Kind::String: return "string";
    case Kind::Seq: return "sequence";
    case Kind::Map: return "mapping";
  }
  return "?";
}

long Node::find_index(std::string_view k) const {
  if (!is_map()) return -1;
  for (std::size_t i = size(); i-- > 0;) {
    const Node* key = kids[2 * i];
    if (key->is_scalar() && key->text == k) return static_cast<long>(i);
  }
  return -1;
}

long Node::find_index_icase(std::string_view k) const {
  if (!is_map()) return -1;
  for (std::size_t i = size(); i-- > 0;) {
    const Node* key = kids[2 * i];
    if (key->is_scalar() && text::iequals(key->text, k)) return static_cast<long>(i);
  }
  return -1;
}

const Node* Node::get(std::string_view k) const {
  long i = find_index(k);
  return i < 0 ? nullptr : value(static_cast<std::size_t>(i));
}

const Node* Node::get_key(std::string_view k) const {
  long i = find_index(k);
  return i < 0 ? nullptr : key(static_cast<std::size_t>(i));
}

double Node::number() const {
  std::string t = text;
  if (kind == Kind::Int) {
    if (t.rfind("0o", 0) == 0) return static_cast<double>(std::strtoll(t.c_str() + 2, nullptr, 8));
    if (t.rfind("0x", 0) == 0) return static_cast<double>(std::strtoll(t.c_str() + 2, nullptr, 16));
  }
  auto lower = text::to_lower(t);
  if (lower == ".inf" || lower == "+.inf") return 1e308 * 10;
  if (lower == "-.inf") return -1e308 * 10;
  return std::strtod(t.c_str(), nullptr);
}

std::string Pointer::escape(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (char c : segment) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

void Pointer::push(std::string_view key) {
  marks_.push_back(text_.size());
  text_ += '/';
  text_ += escape(key);
}

void Pointer::push(std::size_t index) {
  marks_.push_back(text_.size());
  text_ += '/';
  text_ += std::to_string(index);
}

void Pointer::pop() {
  text_.resize(marks_.back());
  marks_.pop_back();
}

}  // namespace portico::doc

namespace portico::doc {
namespace {
bool search(const Node* n, const Node* target, Pointer& p) {
  if (n == target) return true;
  if (n->is_map()) {
    for (std::size_t i = 0; i < n->size(); ++i) {
      p.push(std::string_view(n->key(i)->text));
      if (n->key(i) == target || search(n->value(i), target, p)) return true;
      p.pop();
    }
  } else if (n->is_seq()) {
    for (std::size_t i = 0; i < n->kids.size(); ++i) {
      p.push(i);
      if (search(n->kids[i], target, p)) return true;
      p.pop();
    }
  }
  return false;
}
}  // namespace

std::string pointer_of(const Node* root, const Node* target) {
  Pointer p;
  if (root && target && search(root, target, p)) return p.str();
  return "";
}

namespace {
struct ManySearch {
  std::unordered_map<const Node*, std::string>& out;
  std::size_t wanted;
  Pointer p;
  void found(const Node* n) {
    auto it = out.find(n);
    if (it != out.end() && it->second.empty() && !p.str().empty()) {
      it->second = p.str();
      --wanted;
    }
  }
  void walk(const Node* n) {
    if (wanted == 0) return;
    found(n);
    if (n->is_map()) {
      for (std::size_t i = 0; i < n->size() && wanted; ++i) {
        PointerScope s(p, std::string_view(n->key(i)->text));
        found(n->key(i));
        walk(n->value(i));
      }
    } else if (n->is_seq()) {
      for (std::size_t i = 0; i < n->kids.size() && wanted; ++i) {
        PointerScope s(p, i);
        walk(n->kids[i]);
      }
    }
  }
};
}  // namespace

std::unordered_map<const Node*, std::string> pointers_of(const Node* root, const std::vector<const Node*>& targets) {
  std::unordered_map<const Node*, std::string> out;
  for (const Node* t : targets)
    if (t) out.emplace(t, std::string());
  if (!root) return out;
  ManySearch m{out, out.size(), {}};
  if (out.count(root)) --m.wanted;  // the root's pointer is ""
  m.walk(root);
  return out;
}
}  // namespace portico::doc

#include "doc/tree_builder.hpp"

#include <algorithm>

namespace portico::doc::detail {

namespace {
constexpr std::size_t kHashThreshold = 16;  // map size past which keys are hashed
}

bool TreeBuilder::is_open(const Node* n) const {
  return std::any_of(stack_.begin(), stack_.end(), [n](const Frame& f) { return f.node == n; });
}

void TreeBuilder::attach(Node* n) {
  if (++expanded_ > limits_.max_expanded_nodes)
    throw StopParse("document too large: more than " + std::to_string(limits_.max_expanded_nodes) +
                        " nodes",
                    n->line, n->column);
  if (stack_.empty()) {
    root_ = n;
    return;
  }
  Frame& f = stack_.back();
  Node* parent = f.node;
  bool is_key = parent->is_map() && parent->kids.size() % 2 == 0;
  parent->kids.push_back(n);
  if (is_key) check_duplicate(f, n);
}

void TreeBuilder::check_duplicate(Frame& f, const Node* key) {
  if (!key->is_scalar()) return;
  Node* map = f.node;
  std::string_view k = key->text;
  bool dup = false;
  std::size_t entries = map->kids.size() / 2;  // keys before this one
  if (f.keys) {
    dup = !f.keys->insert(k).second;
  } else {
    for (std::size_t i = 0; i < entries && !dup; ++i) {
      const Node* other = map->kids[2 * i];
      dup = other->is_scalar() && other->text == k;
    }
    if (entries + 1 > kHashThreshold) {
      f.keys = std::make_unique<std::unordered_set<std::string_view>>();
      for (std::size_t i = 0; i <= entries; ++i) {
        const Node* other = map->kids[2 * i];
        if (other->is_scalar()) f.keys->insert(other->text);
      }
    }
  }
  if (!dup) return;
  Finding fd;
  fd.rule = "duplicate-key";
  fd.severity = Severity::Error;
  fd.message = "duplicate key '" + key->text +
               "': the gateway keeps only the last value, earlier ones are lost";
  fd.hint = "remove or merge the earlier '" + key->text + "'";
  fd.file = doc_.file;
  fd.line = key->line;
  fd.column = key->column;
  fd.pointer = pointer_of_pending_key(key);
  doc_.findings.push_back(std::move(fd));
}

std::string TreeBuilder::pointer_of_pending_key(const Node* key) const {
  // Rebuilds the path from the stack: each frame's last child is on the path.
  Pointer p;
  for (std::size_t i = 0; i < stack_.size(); ++i) {
    const Node* n = stack_[i].node;
    if (i + 1 == stack_.size()) break;
    if (n->is_map()) {
      // The open child is a key (a map or sequence used as a key): no
      // pointer reaches into a key, so the map holding it is the place.
      if (n->kids.size() % 2 == 1) return p.str();
      // The open child is the value of the map's last key.
      p.push(n->kids[n->kids.size() - 2]->text);
    } else {
      p.push(n->kids.size() - 1);
    }
  }
  p.push(key->text);
  return p.str();
}

Node* TreeBuilder::begin_container(Kind kind, std::uint32_t line, std::uint32_t column) {
  if (stack_.size() >= limits_.max_depth)
    throw StopParse("nesting deeper than " + std::to_string(limits_.max_depth) + " levels", line,
                    column);
  Node* n = doc_.make(kind, line, column);
  attach(n);
  stack_.push_back(Frame{n, nullptr});
  return n;
}

void TreeBuilder::end_container() {
  Node* n = stack_.back().node;
  stack_.pop_back();
  std::uint64_t w = 1;
  for (const Node* k : n->kids) w += k->weight;
  n->weight = static_cast<std::uint32_t>(std::min<std::uint64_t>(w, UINT32_MAX));
  if (n->is_map()) apply_merge_keys(n);
}

Node* TreeBuilder::scalar(Kind kind, std::string text, std::uint32_t line, std::uint32_t column) {
  Node* n = doc_.make(kind, line, column);
  n->text = std::move(text);
  attach(n);
  return n;
}

void TreeBuilder::alias(Node* target, std::uint32_t line, std::uint32_t column) {
  if (is_open(target))
    throw StopParse("recursive alias: an alias refers to a node that contains it", line, column);
  // The alias expands to the whole target subtree: charge it to the budget.
  expanded_ += target->weight - 1;
  if (expanded_ > limits_.max_expanded_nodes)
    throw StopParse("aliases expand to more than " + std::to_string(limits_.max_expanded_nodes) +
                        " nodes (a YAML alias bomb?)",
                    line, column);
  --expanded_;  // attach() counts the node itself
  attach(target);
}

void TreeBuilder::apply_merge_keys(Node* map) {
  // YAML merge keys (`<<: *base`): entries of the merged maps that the map
  // does not set itself are appended after its own entries.
  std::vector<Node*> merged;
  std::vector<Node*> own;
  bool any = false;
  for (std::size_t i = 0; i + 1 < map->kids.size(); i += 2) {
    Node* k = map->kids[i];
    if (k->is_string() && !k->quoted && k->text == "<<") {
      Node* v = map->kids[i + 1];
      if (v->is_map()) {
        merged.push_back(v);
        any = true;
        continue;
      }
      if (v->is_seq() && std::all_of(v->kids.begin(), v->kids.end(),
                                     [](const Node* x) { return x->is_map(); })) {
        for (Node* x : v->kids) merged.push_back(x);
        any = true;
        continue;
      }
    }
    own.push_back(k);
    own.push_back(map->kids[i + 1]);
  }
  if (!any) return;
  // Keys already set, hashed: a linear scan per merged key was quadratic.
  std::vector<Node*> result = own;
  std::unordered_set<std::string_view> seen;
  seen.reserve(own.size() / 2 + 16);
  for (std::size_t i = 0; i < own.size(); i += 2)
    if (own[i]->is_scalar()) seen.insert(own[i]->text);
  for (Node* m : merged)
    for (std::size_t i = 0; i + 1 < m->kids.size(); i += 2) {
      const Node* k = m->kids[i];
      // A non-scalar key never matched (the old scan compared scalar keys only).
      if (k->is_scalar() ? seen.insert(k->text).second : true) {
        result.push_back(m->kids[i]);
        result.push_back(m->kids[i + 1]);
      }
    }
  map->kids = std::move(result);
}

}  // namespace portico::doc::detail

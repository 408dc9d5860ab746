// Internal to doc/: turns a stream of parser events (from yaml-cpp or
// nlohmann's SAX interface) into Nodes, detecting duplicate keys and
// enforcing the depth limit and the alias expansion budget.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "doc/document.hpp"

namespace portico::doc::detail {

// Thrown by the builder to stop a parser; becomes a `syntax` finding.
struct StopParse : std::runtime_error {
  StopParse(std::string msg, std::uint32_t l, std::uint32_t c)
      : std::runtime_error(std::move(msg)), line(l), column(c) {}
  std::uint32_t line, column;
};

class TreeBuilder {
 public:
  TreeBuilder(Document& doc, const Limits& limits) : doc_(doc), limits_(limits) {}

  Node* begin_container(Kind kind, std::uint32_t line, std::uint32_t column);
  void end_container();
  Node* scalar(Kind kind, std::string text, std::uint32_t line, std::uint32_t column);
  // Adds an existing node (a YAML alias target) at the current place.
  void alias(Node* target, std::uint32_t line, std::uint32_t column);
  // True while `n` is still being built (an alias to it would be a cycle).
  bool is_open(const Node* n) const;

  const Node* root() const { return root_; }

 private:
  struct Frame {
    Node* node;
    std::unique_ptr<std::unordered_set<std::string_view>> keys;  // big maps only
  };
  void attach(Node* n);
  void check_duplicate(Frame& f, const Node* key);
  std::string pointer_of_pending_key(const Node* key) const;
  void apply_merge_keys(Node* map);

  Document& doc_;
  const Limits& limits_;
  std::vector<Frame> stack_;
  Node* root_ = nullptr;
  std::uint64_t expanded_ = 0;
};

}  // namespace portico::doc::detail

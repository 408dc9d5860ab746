// A parsed input file: its bytes, its tree, and what the parser found wrong
// with it (`syntax` and `duplicate-key` findings).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "diag/finding.hpp"
#include "doc/node.hpp"

namespace portico::doc {

enum class Format : std::uint8_t { Yaml, Json };

struct Limits {
  // Deeper nesting is a `syntax` finding, never a stack overflow.
  std::uint32_t max_depth = 256;
  // Upper bound on the node count once YAML aliases are expanded; an alias
  // bomb stops here with a `syntax` finding instead of eating memory.
  std::uint64_t max_expanded_nodes = 5'000'000;
};

struct Document {
  std::string file;    // the path as shown to the user
  std::string source;  // the bytes as read
  Format format = Format::Yaml;
  const Node* root = nullptr;  // null when the file could not be parsed
  std::vector<Finding> findings;
  std::deque<Node> arena;

  Node* make(Kind k, std::uint32_t line, std::uint32_t column) {
    Node& n = arena.emplace_back();
    n.kind = k;
    n.line = line;
    n.column = column;
    return &n;
  }
};

// JSON when the first non-space character is `{` (or `[`), else YAML 1.2.
Format sniff_format(std::string_view source);

// Parses `source` (already read from `file`). Never throws for bad input:
// problems become findings and `root` stays null on a syntax error.
Document parse(std::string file, std::string source, const Limits& limits = {});

// Bytes given to parse() so far in this process (all threads): what tests
// use to check that a command parses each input once.
std::uint64_t bytes_parsed();

}  // namespace portico::doc

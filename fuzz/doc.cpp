// The document loader: doc::parse() on any bytes, with the real limits
// (depth, alias expansion). parse() sniffs JSON or YAML as it does for a
// file; the first byte also picks the file name's extension.
#include <cstdint>
#include <cstdlib>

#include "doc/document.hpp"
#include "fuzz_input.hpp"

using namespace portico;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string source(fuzz::as_view(data, size));
  const char* name = size > 0 && (data[0] & 1) ? "swagger.json" : "swagger.yaml";
  doc::Document d = doc::parse(name, std::move(source));
  // A syntax error leaves no tree, and is said.
  if (!d.root && d.findings.empty()) std::abort();
  if (d.root) {
    // Walk part of the tree (aliases share subtrees, so the walk is capped):
    // maps hold key/value pairs, and every child is a node.
    std::vector<const doc::Node*> stack{d.root}, some;
    for (std::size_t seen = 0; !stack.empty() && seen < 100'000; ++seen) {
      const doc::Node* n = stack.back();
      stack.pop_back();
      if (n->is_map() && n->kids.size() % 2 != 0) std::abort();
      if (!n->is_map() && !n->is_seq() && !n->kids.empty()) std::abort();
      if (seen % 97 == 0) some.push_back(n);
      for (const doc::Node* c : n->kids) stack.push_back(c);
    }
    // RFC 6901 pointers of a few nodes, as findings get them.
    (void)doc::pointers_of(d.root, some);
  }
  return 0;
}

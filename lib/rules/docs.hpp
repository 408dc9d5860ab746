// RULES.md, the rule catalogue's documentation, embedded at build time:
// one section per rule (what fires it, why the gateway cares, a wrong and a
// right snippet, the fix). `portico explain` and SARIF's rule help read it;
// a test keeps it equal to the catalogue.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace portico::rules {

struct RuleDoc {
  std::string_view id;
  std::string_view severity;  // as the section's "Severity:" line says
  std::string_view body;      // everything after the heading line, trimmed
};

std::string_view rules_document();
// The sections, in document order.
std::vector<RuleDoc> rule_docs();
std::optional<RuleDoc> rule_doc(std::string_view id);

}  // namespace portico::rules

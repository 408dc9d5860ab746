// The rule catalogue (rules.md): ids are a public contract.
#pragma once

#include <span>
#include <string_view>

#include "diag/finding.hpp"

namespace portico::rules {

struct RuleInfo {
  std::string_view id;
  Severity severity;  // default severity
  std::string_view summary;  // one line: what it checks
  // The adapter refuses a deploy (500) over an error of this rule; other
  // errors are accepted and then routed differently or dropped.
  bool adapter_rejects = false;
};

std::span<const RuleInfo> catalog();
const RuleInfo* find_rule(std::string_view id);
// The known id nearest to `id`, for "did you mean".
std::string_view nearest_rule(std::string_view id);

}  // namespace portico::rules

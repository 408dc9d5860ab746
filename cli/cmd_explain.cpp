#include <fmt/format.h>

#include <iostream>

#include "handlers.hpp"
#include "rules/catalog.hpp"
#include "rules/docs.hpp"
#include "util/error.hpp"
#include "util/table.hpp"
#include "util/text.hpp"

namespace portico::cli {

// `portico explain`: every rule, one line each; `portico explain RULE...`:
// the RULES.md section of each.
int run_explain(const Invocation& inv) {
  const auto& ids = inv.all("RULE");
  if (ids.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : rules::catalog())
      rows.push_back({std::string(r.id), std::string(to_string(r.severity)), std::string(r.summary)});
    std::cout << text::render_table({"RULE", "SEVERITY", "CHECKS THAT"}, rows)
              << "\n'portico explain RULE' shows what fires a rule, what the gateway does, and the fix.\n";
    return 0;
  }
  for (const auto& id : ids)
    if (!rules::find_rule(id))
      throw Error(ExitCode::Usage, "unknown rule '" + id + "'",
                  "did you mean '" + std::string(rules::nearest_rule(id)) + "'? 'portico explain' lists every rule");
  bool first = true;
  for (const auto& id : ids) {
    const rules::RuleInfo* info = rules::find_rule(id);
    auto doc = rules::rule_doc(id);
    if (!first) std::cout << "\n";
    first = false;
    std::cout << id << " (" << to_string(info->severity)
              << (info->adapter_rejects ? "; the adapter refuses the deploy" : "") << ")\n\n";
    if (doc) {
      std::string_view body = doc->body;
      // The severity is in the title line already.
      if (body.rfind("Severity:", 0) == 0) body = text::trim(body.substr(body.find('\n') + 1));
      std::cout << body << "\n";
    } else {
      std::cout << info->summary << "\n";
    }
  }
  return 0;
}

}  // namespace portico::cli

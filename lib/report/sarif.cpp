// SARIF 2.1.0: the rules with their descriptions and help, one result per
// finding with its physical location.
#include <nlohmann/json.hpp>

#include "portico/version.hpp"
#include "report/formats.hpp"
#include "rules/catalog.hpp"
#include "rules/docs.hpp"
#include "util/text.hpp"

namespace portico::report {

namespace {

const char* level(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Info: return "note";
  }
  return "error";
}

// The rule's RULES.md section (the same text `portico explain RULE` prints).
nlohmann::ordered_json help(const rules::RuleInfo& info) {
  auto doc = rules::rule_doc(info.id);
  std::string body = doc ? std::string(doc->body) : std::string(info.summary) + ".";
  return {{"text", body + "\n\n(portico explain " + std::string(info.id) + ")"}, {"markdown", body}};
}

class Sarif : public Reporter {
 public:
  void write(const ValidationReport& r, std::ostream& out) override {
    using nlohmann::ordered_json;
    ordered_json rules = ordered_json::array();
    std::map<std::string_view, std::size_t> index;
    for (const auto& info : rules::catalog()) {
      index[info.id] = rules.size();
      rules.push_back({{"id", info.id},
                       {"name", info.id},
                       {"shortDescription", {{"text", info.summary}}},
                       {"fullDescription", {{"text", std::string(info.summary) + "."}}},
                       {"help", help(info)},
                       {"defaultConfiguration", {{"level", level(info.severity)}}}});
    }
    ordered_json results = ordered_json::array();
    for (const auto& f : r.findings) {
      ordered_json res{{"ruleId", f.rule},
                       {"level", level(f.severity)},
                       {"message", {{"text", f.hint.empty() ? f.message : f.message + " (hint: " + f.hint + ")"}}},
                       {"locations",
                        ordered_json::array({{{"physicalLocation",
                                               {{"artifactLocation", {{"uri", text::percent_encode(f.file, "/")}}},
                                                {"region", {{"startLine", f.line}, {"startColumn", f.column}}}}}}})}};
      if (auto it = index.find(f.rule); it != index.end()) res["ruleIndex"] = it->second;
      if (!f.pointer.empty())
        res["locations"][0]["logicalLocations"] = ordered_json::array({{{"fullyQualifiedName", f.pointer}}});
      results.push_back(std::move(res));
    }
    ordered_json log{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                     {"version", "2.1.0"},
                     {"runs", ordered_json::array({{{"tool", {{"driver", {{"name", "portico"},
                                                                         {"version", PORTICO_VERSION},
                                                                         {"semanticVersion", PORTICO_VERSION},
                                                                         {"rules", rules}}}}},
                                                    {"results", results}}})}};
    out << log.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
};

}  // namespace

std::unique_ptr<Reporter> make_sarif_reporter() { return std::make_unique<Sarif>(); }

}  // namespace portico::report

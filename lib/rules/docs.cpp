#include "rules/docs.hpp"

#include "util/text.hpp"

namespace portico::rules {

extern const std::string_view kRulesDocument;

namespace {
constexpr std::string_view kHeading = "\n## ";
constexpr std::string_view kSeverity = "Severity: ";
}  // namespace

std::string_view rules_document() { return kRulesDocument; }

std::vector<RuleDoc> rule_docs() {
  std::vector<RuleDoc> out;
  std::string_view doc = kRulesDocument;
  std::size_t at = doc.find(kHeading);
  while (at != std::string_view::npos) {
    std::size_t id_start = at + kHeading.size();
    std::size_t line_end = doc.find('\n', id_start);
    if (line_end == std::string_view::npos) line_end = doc.size();
    std::size_t next = doc.find(kHeading, line_end);
    RuleDoc d;
    d.id = text::trim(doc.substr(id_start, line_end - id_start));
    d.body = text::trim(doc.substr(line_end, (next == std::string_view::npos ? doc.size() : next) - line_end));
    if (d.body.substr(0, kSeverity.size()) == kSeverity) {
      std::string_view rest = d.body.substr(kSeverity.size());
      d.severity = text::trim(rest.substr(0, rest.find('\n')));
    }
    out.push_back(d);
    at = next;
  }
  return out;
}

std::optional<RuleDoc> rule_doc(std::string_view id) {
  for (const auto& d : rule_docs())
    if (d.id == id) return d;
  return std::nullopt;
}

}  // namespace portico::rules

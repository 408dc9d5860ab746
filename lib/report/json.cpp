// The JSON output contract of rules.md (schemas/validate-report.schema.json).
#include <nlohmann/json.hpp>

#include "portico/version.hpp"
#include "report/formats.hpp"

namespace portico::report {

namespace {

class Json : public Reporter {
 public:
  void write(const ValidationReport& r, std::ostream& out) override {
    nlohmann::ordered_json j;
    j["tool"] = "portico";
    j["version"] = PORTICO_VERSION;
    j["ok"] = r.ok;
    Summary s = count(r.findings);
    j["summary"] = {{"errors", s.errors}, {"warnings", s.warnings}, {"infos", s.infos}};
    auto& list = j["diagnostics"] = nlohmann::ordered_json::array();
    for (const auto& f : r.findings) {
      nlohmann::ordered_json d;
      d["rule"] = f.rule;
      d["severity"] = to_string(f.severity);
      d["message"] = f.message;
      d["file"] = f.file;
      d["line"] = f.line;
      d["column"] = f.column;
      d["pointer"] = f.pointer;
      if (!f.hint.empty()) d["hint"] = f.hint;
      list.push_back(std::move(d));
    }
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter() { return std::make_unique<Json>(); }

}  // namespace portico::report

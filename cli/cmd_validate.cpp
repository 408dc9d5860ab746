#include <iostream>
#include <set>
#include <sstream>

#include "handlers.hpp"
#include "report/reporter.hpp"
#include "rules/catalog.hpp"
#include "rules/validate.hpp"
#include "terminal.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace portico::cli {

int run_validate(const Invocation& inv) {
  rules::Options opts;
  for (const auto& id : inv.all("rule-off")) {
    if (!rules::find_rule(id))
      throw Error(ExitCode::Usage, "--rule-off: unknown rule '" + id + "'",
                  "did you mean '" + std::string(rules::nearest_rule(id)) + "'? (rule ids are listed in the README)");
    opts.disabled.insert(id);
  }
  std::vector<std::string> paths = inv.all("PATH");
  if (paths.empty()) paths.push_back(".");

  rules::Result result = rules::validate(paths, opts);

  std::string fail_on = inv.get("fail-on", "error");
  bool ok = true;
  if (fail_on != "never") {
    Severity threshold = *severity_from_string(fail_on);
    for (const auto& f : result.findings)
      if (f.severity >= threshold) ok = false;
  }

  std::string out_file = inv.get("output");
  bool to_stdout = out_file.empty() || out_file == "-";
  report::Style style;
  style.color = to_stdout && use_color(stdout, inv.no_color);
  style.excerpts = to_stdout && is_terminal(stdout);
  auto reporter = report::make_reporter(inv.get("format", "human"), style);
  report::ValidationReport rep{result.findings, result.documents, result.files, ok};
  if (to_stdout) {
    reporter->write(rep, std::cout);
    std::cout.flush();
  } else {
    std::ostringstream buf;
    reporter->write(rep, buf);
    file::write_atomic(out_file, buf.str());
    if (!inv.quiet) {
      auto s = report::count(result.findings);
      std::cerr << "portico: wrote " << out_file << " (" << s.errors << " errors, " << s.warnings
                << " warnings, " << s.infos << " infos)\n";
    }
  }
  return ok ? 0 : static_cast<int>(ExitCode::Findings);
}

}  // namespace portico::cli

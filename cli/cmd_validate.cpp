#include <cstdlib>
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

namespace {

struct ExtraReport {
  std::string format, file;
};

std::vector<ExtraReport> parse_reports(const std::vector<std::string>& specs) {
  std::vector<ExtraReport> out;
  for (const auto& s : specs) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw Error(ExitCode::Usage, "--report " + s + ": expected FORMAT=FILE", "for example --report sarif=portico.sarif");
    std::string format = s.substr(0, eq);
    bool known = false;
    for (auto f : report::formats()) known |= f == format;
    if (!known) throw Error(ExitCode::Usage, "--report: unknown format '" + format + "'", "use human, json, sarif, junit or github");
    out.push_back({format, s.substr(eq + 1)});
  }
  return out;
}

}  // namespace

int run_validate(const Invocation& inv) {
  rules::Options opts;
  for (const auto& id : inv.all("rule-off")) {
    if (!rules::find_rule(id))
      throw Error(ExitCode::Usage, "--rule-off: unknown rule '" + id + "'",
                  "did you mean '" + std::string(rules::nearest_rule(id)) + "'? (rule ids are listed in the README)");
    opts.disabled.insert(id);
  }
  auto extra = parse_reports(inv.all("report"));
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
  report::ValidationReport rep{result.findings, result.documents, result.files, ok};

  std::string out_file = inv.get("output");
  bool to_stdout = out_file.empty() || out_file == "-";
  report::Style style;
  style.color = to_stdout && use_color(stdout, inv.no_color);
  style.excerpts = to_stdout && is_terminal(stdout);
  auto reporter = report::make_reporter(inv.get("format", "human"), style);
  if (to_stdout) {
    reporter->write(rep, std::cout);
    std::cout.flush();
  } else {
    std::ostringstream buf;
    reporter->write(rep, buf);
    file::write_atomic(out_file, buf.str());
  }
  for (const auto& e : extra) {
    std::ostringstream buf;
    report::make_reporter(e.format, {})->write(rep, buf);
    file::write_atomic(e.file, buf.str());
  }
  // In GitHub Actions, annotations on the pull request besides the chosen
  // format (on stderr: stdout keeps the format's contract; the runner reads both).
  const char* gha = std::getenv("GITHUB_ACTIONS");
  if (gha && std::string(gha) == "true" && !inv.flag("no-annotations") && inv.get("format", "human") != "github") {
    for (const auto& f : result.findings) std::cerr << report::github_annotation(f) << "\n";
  }
  if (!inv.quiet && (!to_stdout || !extra.empty())) {
    auto s = report::count(result.findings);
    std::cerr << "portico: " << s.errors << " errors, " << s.warnings << " warnings, " << s.infos << " infos; wrote";
    if (!to_stdout) std::cerr << " " << out_file;
    for (const auto& e : extra) std::cerr << " " << e.file;
    std::cerr << "\n";
  }
  return ok ? 0 : static_cast<int>(ExitCode::Findings);
}

}  // namespace portico::cli

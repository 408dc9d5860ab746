#include <algorithm>
#include <cstdlib>
#include <filesystem>
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

namespace fs = std::filesystem;

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

// A report file whose directory does not exist fails now, before validating.
void require_parent_dir(const std::string& file, const std::string& what) {
  fs::path parent = fs::path(file).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw Error(ExitCode::Input, what + ": the directory " + parent.string() + " does not exist",
                "create it first (mkdir -p " + parent.string() + "), or write the report elsewhere");
}

// `validate project/api.yaml` validates api.yaml as an OpenAPI file; the
// project is the directory.
void suggest_project_dir(const std::string& path) {
  fs::path p(path);
  std::string name = p.filename().string();
  if (name != "api.yaml" && name != "api.json") return;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return;
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (!fs::is_directory(dir / "Definitions", ec)) return;
  std::cerr << "portico: note: " << path << " is a project's api.yaml, not an OpenAPI definition: "
            << "to validate the project, run 'portico validate " << dir.string() << "'\n";
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
  std::string out_file = inv.get("output");
  bool to_stdout = out_file.empty() || out_file == "-";
  // Where the reports go is checked before validating, not after.
  if (!to_stdout) require_parent_dir(out_file, "-o");
  for (const auto& e : extra) require_parent_dir(e.file, "--report " + e.format + "=" + e.file);

  std::vector<std::string> paths = inv.all("PATH");
  if (paths.empty()) paths.push_back(".");

  // Each path on its own: one that cannot be read is reported, the others
  // are still validated (exit 3 at the end).
  rules::Result result;
  std::vector<Error> unreadable;
  for (const auto& path : paths) {
    suggest_project_dir(path);
    try {
      rules::Result one = rules::validate({path}, opts);
      result.findings.insert(result.findings.end(), one.findings.begin(), one.findings.end());
      result.documents.insert(result.documents.end(), one.documents.begin(), one.documents.end());
      result.files += one.files;
    } catch (const Error& e) {
      if (e.code() != ExitCode::Input || paths.size() == 1) throw;
      unreadable.push_back(e);
    }
  }
  if (unreadable.size() == paths.size()) throw unreadable.front();
  std::stable_sort(result.findings.begin(), result.findings.end(), finding_less);

  std::string fail_on = inv.get("fail-on", "error");
  bool ok = true;
  if (fail_on != "never") {
    Severity threshold = *severity_from_string(fail_on);
    for (const auto& f : result.findings)
      if (f.severity >= threshold) ok = false;
  }
  if (!unreadable.empty()) ok = false;
  report::ValidationReport rep{result.findings, result.documents, result.files, ok};

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
  for (const auto& e : unreadable) {
    std::cerr << "portico: error: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "  hint: " << e.hint() << "\n";
  }
  if (!unreadable.empty()) return static_cast<int>(ExitCode::Input);
  return ok ? 0 : static_cast<int>(ExitCode::Findings);
}

}  // namespace portico::cli

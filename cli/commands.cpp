#include "commands.hpp"

#include "handlers.hpp"

namespace portico::cli {

const std::vector<std::string>& Invocation::all(std::string_view name) const {
  static const std::vector<std::string> none;
  auto it = values.find(name);
  return it == values.end() ? none : it->second;
}

std::string Invocation::get(std::string_view name, std::string_view fallback) const {
  const auto& v = all(name);
  return v.empty() ? std::string(fallback) : v.back();
}

bool Invocation::flag(std::string_view name) const {
  auto it = flags.find(name);
  return it != flags.end() && it->second;
}

namespace {

const std::vector<CommandSpec>& table() {
  static const std::vector<CommandSpec> t{
      {"validate",
       "Check OpenAPI definitions and Choreo Connect projects against the failover rules",
       {"portico validate                      # the project in the current directory",
        "portico validate petstore/            # a project directory (api.yaml + Definitions/)",
        "portico validate openapi.yaml         # a single definition, YAML or JSON",
        "portico validate --format json -o report.json a.yaml b.json",
        "portico validate --fail-on warning --rule-off type-missing ."},
       {{"PATH", "project directories or OpenAPI files (.yaml, .yml, .json)", ValueKind::Path, true, "."}},
       {{"format", 0, "FORMAT", "output format", ValueKind::Choice, {"human", "json"}, false, "human"},
        {"output", 'o', "FILE", "write the report to FILE instead of stdout", ValueKind::Path},
        {"fail-on", 0, "LEVEL", "exit 1 when a finding is at or above LEVEL", ValueKind::Choice,
         {"error", "warning", "info", "never"}, false, "error"},
        {"rule-off", 0, "ID", "switch a rule off (repeatable)", ValueKind::Text, {}, true}},
       run_validate},
      {"version",
       "Print portico's version and the versions of the libraries it was built with",
       {"portico version"},
       {},
       {},
       run_version},
  };
  return t;
}

const std::vector<FlagSpec>& globals() {
  static const std::vector<FlagSpec> g{
      {"config-dir", 0, "DIR", "configuration directory (default $XDG_CONFIG_HOME/portico)",
       ValueKind::Path, {}, false, "", "PORTICO_CONFIG_DIR"},
      {"no-color", 0, "", "no colours, even on a terminal"},
      {"quiet", 'q', "", "print only results and errors"},
      {"verbose", 'v', "", "print more detail on stderr (credentials and tokens redacted)"},
  };
  return g;
}

}  // namespace

std::span<const CommandSpec> commands() { return table(); }
std::span<const FlagSpec> global_flags() { return globals(); }

std::string_view exit_code_table() {
  return "Exit codes:\n"
         "  0  success\n"
         "  1  validation findings at or above --fail-on\n"
         "  2  usage error: unknown command or flag, missing argument\n"
         "  3  input error: missing or unreadable path, not a project, unsafe config\n"
         "  4  the adapter refused (409 conflict, 500 rejected project, 404 on undeploy)\n"
         "  5  authentication: no credentials, 401/403, expired token\n"
         "  6  network or TLS: cannot resolve, connect or verify the server; timeout\n"
         "  7  probe: a group has failed over, or a load-balanced group lost a member\n"
         "  8  probe: a group has no available endpoint\n";
}

}  // namespace portico::cli

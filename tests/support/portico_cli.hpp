// Test support: the client commands run as a user would, for end-to-end
// tests that need more than run_portico (cli_run.hpp): a configuration
// directory of their own, no credentials or proxies inherited, no
// controlling terminal (setsid: a prompt can never hang a test), a bound on
// the run (then SIGKILL), the time it took, and while it runs the pid, so
// that a test can look at the process (/proc/PID/cmdline, its children).
// Also the hand-written Choreo Connect project the client tests deploy.
//
// Header-only (no CMake change).
#pragma once

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "gateway_process.hpp"
#include "process.hpp"
#include "projects.hpp"

namespace portico::test {

struct CliRun {
  int code = -1;
  std::string out, err;
  double seconds = 0;
};

inline std::ostream& operator<<(std::ostream& os, const CliRun& r) {
  return os << "exit " << r.code << " after " << r.seconds << " s\n--- stdout:\n" << r.out << "--- stderr:\n" << r.err;
}

// A configuration directory of its own and the environment the commands run with.
struct PorticoCli {
  static constexpr const char* kUnset = "\x01unset";  // ChildProcess: remove the variable

  TempDir cfg;
  std::map<std::string, std::string> env;  // added to every run
  // Through setsid (no controlling terminal); false: portico is the child
  // itself from its first instant, for a test that signals its pid at once.
  bool new_session = true;

  std::map<std::string, std::string> full_env(const std::map<std::string, std::string>& extra = {}) const {
    std::map<std::string, std::string> e = {{"PORTICO_USERNAME", kUnset}, {"PORTICO_PASSWORD", kUnset},
                                            {"PORTICO_TOKEN", kUnset},    {"NO_COLOR", "1"},
                                            {"http_proxy", kUnset},       {"https_proxy", kUnset},
                                            {"HTTP_PROXY", kUnset},       {"HTTPS_PROXY", kUnset},
                                            {"ALL_PROXY", kUnset},        {"all_proxy", kUnset},
                                            {"GITHUB_ACTIONS", kUnset},   {"PORTICO_PARSE_ONLY", kUnset},
                                            {"PORTICO_CONFIG_DIR", cfg.path}};
    for (const auto& [k, v] : env) e[k] = v;
    for (const auto& [k, v] : extra) e[k] = v;
    return e;
  }

  std::vector<std::string> argv(const std::vector<std::string>& args) const {
    static const std::string setsid = find_program("setsid");
    std::vector<std::string> a;
    if (new_session && !setsid.empty()) a.push_back(setsid);
    a.push_back(portico_binary());
    a.insert(a.end(), args.begin(), args.end());
    return a;
  }

  // `portico ARGS` with `input` on stdin, at most `bound`; `while_running`,
  // when given, is called once with the running process (setsid execs
  // portico in place, so its pid is portico's once it has started).
  CliRun operator()(const std::vector<std::string>& args, const std::map<std::string, std::string>& extra = {},
                    const std::string& input = "", std::chrono::milliseconds bound = std::chrono::seconds(60),
                    const std::function<void(ChildProcess&)>& while_running = {}, const std::string& cwd = {}) const {
    auto start = std::chrono::steady_clock::now();
    ChildProcess p(argv(args), full_env(extra), true, false, cwd);
    if (!input.empty()) p.write_stdin(input);
    p.close_stdin();
    if (while_running) while_running(p);
    CliRun r;
    auto st = p.wait_exit(bound);
    r.code = st ? *st : p.terminate(SIGKILL, std::chrono::seconds(2));
    p.wait_drained(std::chrono::seconds(5));
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.out = p.stdout_text();
    r.err = p.stderr_text();
    return r;
  }
};

inline std::map<std::string, std::string> admin_credentials(const std::string& password = "admin") {
  return {{"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", password}};
}

// A hand-written Choreo Connect project for `a` (adapter.md section 2):
// api.yaml with a failover endpointConfig, the definition, deployment_environments.yaml.
inline void write_client_project(const std::string& dir, const Api& a = {}) {
  write_file(dir + "/api.yaml", "type: api\nversion: v4.0.0\ndata:\n  name: " + a.name + "\n  version: \"" +
                                    a.version + "\"\n  context: " + a.basepath +
                                    "\n  type: HTTP\n  endpointImplementationType: ENDPOINT\n"
                                    "  endpointConfig:\n    endpoint_type: failover\n"
                                    "    production_endpoints:\n      url: " + a.urls[0] + "\n"
                                    "    production_failovers:\n      - url: " + a.urls[1] + "\n");
  write_file(dir + "/Definitions/swagger.yaml", definition_yaml(a));
  write_file(dir + "/deployment_environments.yaml", deployment_environments_yaml());
}

// Every regular file under dir (relative path -> bytes); empty when dir is missing.
inline std::map<std::string, std::string> tree_snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) out[std::filesystem::relative(e.path(), dir).string()] = read_file(e.path().string());
  return out;
}

// The names of everything under dir (files, folders, sockets...), relative.
inline std::vector<std::string> tree_names(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    out.push_back(std::filesystem::relative(e.path(), dir).string());
  return out;
}

}  // namespace portico::test

// Test support: running the built `portico` binary (header-only).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "process.hpp"

namespace portico::test {

// The source checkout the binary was built from (samples/, schemas/, ...).
inline std::string source_dir() { return PORTICO_SOURCE_DIR; }

// `portico ARGS...` in cwd ("" = here), with env added to (or replacing) the
// inherited environment, stdin empty.
inline ProcessResult run_portico(std::vector<std::string> args, const std::string& cwd = {},
                                 const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), portico_binary());
  return run(args, {}, env, cwd);
}

// An environment in which portico's output is predictable: no colour, no
// proxy, not "inside GitHub Actions" and no PORTICO_PARSE_ONLY (even when the
// tests themselves run in a GitHub workflow), then `extra`.
inline std::map<std::string, std::string> neutral_env(const std::map<std::string, std::string>& extra = {}) {
  std::map<std::string, std::string> env{{"NO_COLOR", "1"},  {"GITHUB_ACTIONS", ""}, {"no_proxy", "*"},
                                         {"NO_PROXY", "*"},  {"http_proxy", ""},     {"https_proxy", ""},
                                         {"HTTP_PROXY", ""}, {"HTTPS_PROXY", ""},    {"ALL_PROXY", ""},
                                         {"all_proxy", ""},  {"PORTICO_PARSE_ONLY", ""}};
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

// run_portico in neutral_env(extra).
inline ProcessResult run_portico_neutral(std::vector<std::string> args, const std::string& cwd = {},
                                         const std::map<std::string, std::string>& extra = {}) {
  return run_portico(std::move(args), cwd, neutral_env(extra));
}

}  // namespace portico::test

// Conformance: validate agrees with what Choreo Connect does with the
// definitions of its own test suite (../shared/corpus/choreo-connect/README.md).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "doc/document.hpp"
#include "process.hpp"
#include "rules/validate.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;
using namespace portico;

namespace {
std::map<std::string, int> count_by_rule(const std::vector<Finding>& fs, Severity sev) {
  std::map<std::string, int> m;
  for (const auto& f : fs)
    if (f.severity == sev) ++m[f.rule];
  return m;
}
}  // namespace

TEST_CASE("corpus: deployed definitions give no errors except the two the gateway rejects") {
  std::string shared = test::shared_dir();
  if (shared.empty()) {
    MESSAGE("skipped: ../shared is absent");
    return;
  }
  fs::path dir = fs::path(shared) / "corpus/choreo-connect/deployed";
  const std::map<std::string, std::map<std::string, int>> expected_errors{
      {"malformed_endpoint_openAPI.yaml", {{"url-invalid", 2}}},
      {"mock_endpoint_openAPI.yaml", {{"no-endpoints", 1}}},
  };
  const std::map<std::string, std::map<std::string, int>> expected_warnings{
      {"backend_security_openAPI.yaml", {{"security-config-plaintext", 2}}},
      {"retry_openAPI.yaml", {{"advance-config-range", 3}}},
      {"sand_openAPI.yaml", {{"sandbox-only", 1}}},
  };
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    CAPTURE(name);
    auto d = doc::parse(name, file::read(e.path()));
    auto findings = rules::check_definition(d);
    auto errors = count_by_rule(findings, Severity::Error);
    auto warnings = count_by_rule(findings, Severity::Warning);
    auto ee = expected_errors.count(name) ? expected_errors.at(name) : std::map<std::string, int>{};
    auto ew = expected_warnings.count(name) ? expected_warnings.at(name) : std::map<std::string, int>{};
    CHECK(errors == ee);
    CHECK(warnings == ew);
    for (const auto& f : findings)
      if (f.severity == Severity::Info)
        CHECK((f.rule == "servers-overridden" || f.rule == "type-missing"));
    ++files;
  }
  CHECK(files == 49);
}

TEST_CASE("corpus: the malformed URLs are reported on lines 15 and 18") {
  std::string shared = test::shared_dir();
  if (shared.empty()) {
    MESSAGE("skipped: ../shared is absent");
    return;
  }
  auto path = fs::path(shared) / "corpus/choreo-connect/deployed/malformed_endpoint_openAPI.yaml";
  auto d = doc::parse("m.yaml", file::read(path));
  std::vector<std::uint32_t> lines;
  for (const auto& f : rules::check_definition(d))
    if (f.rule == "url-invalid") lines.push_back(f.line);
  CHECK(lines == std::vector<std::uint32_t>{15, 18});
}

TEST_CASE("corpus: unit-test definitions without a base path get basepath-missing and no other error") {
  std::string shared = test::shared_dir();
  if (shared.empty()) {
    MESSAGE("skipped: ../shared is absent");
    return;
  }
  for (const auto& e : fs::directory_iterator(fs::path(shared) / "corpus/choreo-connect/unit")) {
    std::string name = e.path().filename().string();
    CAPTURE(name);
    auto d = doc::parse(name, file::read(e.path()));
    for (const auto& [rule, n] : count_by_rule(rules::check_definition(d), Severity::Error))
      CHECK(rule == "basepath-missing");
  }
}

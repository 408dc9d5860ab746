// `portico validate` and the CLI surface, through the built binary.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_run.hpp"
#include "process.hpp"
#include "projects.hpp"

using namespace portico::test;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const std::string kBroken =
    std::string(kPetsBrokenFailoverHead) +
    "paths:\n  /pets:\n    get:\n      x-wso2-production-endpoints:\n        urls: [http://x.example.com/v1]\n"
    "      responses:\n        '200': {description: OK}\n";

}  // namespace

TEST_CASE("validate: a clean definition exits 0 and says so") {
  TempDir t;
  write_file(t.path + "/ok.yaml", kPetsDefinition);
  auto r = run_portico({"validate", t.path + "/ok.yaml"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "no problems found in 1 file\n");
  CHECK(r.err.empty());
}

TEST_CASE("validate: findings exit 1 with gcc-style lines, sorted, and no colour when piped") {
  TempDir t;
  write_file(t.path + "/bad.yaml", kBroken);
  auto r = run_portico({"validate", "bad.yaml"}, t.path);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("bad.yaml:9:7: error:") != std::string::npos);  // path mismatch at URL 2
  CHECK(r.out.find("bad.yaml:10:9: error:") != std::string::npos);  // type: Failover
  CHECK(r.out.find("[failover-type-case]") != std::string::npos);
  CHECK(r.out.find("bad.yaml:14:7: error:") != std::string::npos);  // under the operation
  CHECK(r.out.find("[extension-misplaced]") != std::string::npos);
  CHECK(r.out.find("\x1b[") == std::string::npos);
  CHECK(r.out.find("3 errors, 0 warnings, 0 infos in 1 file") != std::string::npos);
}

TEST_CASE("validate: --format json prints one JSON document on stdout and nothing else") {
  TempDir t;
  write_file(t.path + "/bad.yaml", kBroken);
  auto r = run_portico({"validate", "--format", "json", t.path + "/bad.yaml"});
  CHECK(r.exit_code == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["ok"] == false);
  CHECK(j["summary"]["errors"] == 3);
  CHECK(j["diagnostics"][0]["file"] == t.path + "/bad.yaml");
}

TEST_CASE("validate: --fail-on sets the threshold of exit 1") {
  TempDir t;
  write_file(t.path + "/w.yaml", std::string(kPetsDefinition) + "x-wso2-prod-endpoints: {}\n");
  CHECK(run_portico({"validate", t.path + "/w.yaml"}).exit_code == 0);
  CHECK(run_portico({"validate", "--fail-on", "warning", t.path + "/w.yaml"}).exit_code == 1);
  write_file(t.path + "/b.yaml", kBroken);
  CHECK(run_portico({"validate", "--fail-on", "never", t.path + "/b.yaml"}).exit_code == 0);
}

TEST_CASE("validate: --rule-off removes a rule, an unknown id is a usage error with a suggestion") {
  TempDir t;
  write_file(t.path + "/w.yaml", std::string(kPetsDefinition) + "x-wso2-prod-endpoints: {}\n");
  auto r = run_portico({"validate", "--fail-on", "warning", "--rule-off", "extension-unknown", t.path + "/w.yaml"});
  CHECK(r.exit_code == 0);
  auto bad = run_portico({"validate", "--rule-off", "extension-unknwn", t.path + "/w.yaml"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("did you mean 'extension-unknown'") != std::string::npos);
}

TEST_CASE("validate: -o writes the report to a file, stdout stays empty") {
  TempDir t;
  write_file(t.path + "/bad.yaml", kBroken);
  auto r = run_portico({"validate", "--format", "json", "-o", t.path + "/report.json", t.path + "/bad.yaml"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  std::ifstream f(t.path + "/report.json");
  auto j = nlohmann::json::parse(f);
  CHECK(j["summary"]["errors"] == 3);
}

TEST_CASE("validate: several paths, and a project directory as the default path") {
  TempDir t;
  write_file(t.path + "/a.yaml", kPetsDefinition);
  write_file(t.path + "/b.yaml", kBroken);
  auto r = run_portico({"validate", t.path + "/a.yaml", t.path + "/b.yaml"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("in 2 files") != std::string::npos);

  std::string proj = t.path + "/proj";
  write_file(proj + "/api.yaml",
             "type: api\nversion: v4.0.0\ndata:\n  name: Pets\n  version: 1.0.0\n  context: /pets\n  type: HTTP\n"
             "  endpointImplementationType: ENDPOINT\n  endpointConfig:\n    endpoint_type: http\n"
             "    production_endpoints: {url: http://primary.example.com/v1}\n");
  write_file(proj + "/Definitions/swagger.yaml", kPetsDefinition);
  auto p = run_portico({"validate"}, proj);
  CHECK(p.exit_code == 0);
  CHECK(p.out == "no problems found in 2 files\n");
}

TEST_CASE("validate: input errors exit 3 with a message that says what to do") {
  TempDir t;
  auto missing = run_portico({"validate", t.path + "/nope.yaml"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("no such file") != std::string::npos);
  CHECK(missing.out.empty());
  auto notproj = run_portico({"validate", t.path});
  CHECK(notproj.exit_code == 3);
  CHECK(notproj.err.find("not a Choreo Connect project") != std::string::npos);
  CHECK(notproj.err.find("hint:") != std::string::npos);
}

TEST_CASE("validate: malformed input is a finding (exit 1), never a crash") {
  TempDir t;
  write_file(t.path + "/m.yaml", "openapi: 3.0.1\ninfo: [\n");
  auto r = run_portico({"validate", t.path + "/m.yaml"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("[syntax]") != std::string::npos);
  write_file(t.path + "/deep.json", std::string(200000, '[') + std::string(200000, ']'));
  auto d = run_portico({"validate", t.path + "/deep.json"});
  CHECK(d.exit_code == 1);
  CHECK(d.out.find("nesting deeper") != std::string::npos);
}

TEST_CASE("cli: usage errors exit 2, help starts with examples and lists exit codes") {
  CHECK(run_portico({}).exit_code == 2);
  auto unknown = run_portico({"frobnicate"});
  CHECK(unknown.exit_code == 2);
  auto badflag = run_portico({"validate", "--bogus"});
  CHECK(badflag.exit_code == 2);
  auto badfmt = run_portico({"validate", "--format", "xml"});
  CHECK(badfmt.exit_code == 2);
  auto help = run_portico({"validate", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.rfind("Examples:", 0) == 0);
  auto top = run_portico({"--help"});
  CHECK(top.exit_code == 0);
  CHECK(top.out.find("Exit codes:") != std::string::npos);
  auto v = run_portico({"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("portico 0.1.0") != std::string::npos);
  auto version = run_portico({"version"});
  CHECK(version.out.find("yaml-cpp") != std::string::npos);
}

TEST_CASE("explain: prints a rule's RULES.md section, lists them all without one, and refuses an unknown one (exit 2)") {
  auto one = run_portico({"explain", "failover-basepath-mismatch"});
  CHECK(one.exit_code == 0);
  CHECK(one.out.rfind("failover-basepath-mismatch (error)", 0) == 0);
  CHECK(has(one.out, "Wrong:"));
  CHECK(has(one.out, "Right:"));
  CHECK(has(one.out, "Fix:"));
  CHECK(has(one.out, "strict"));
  auto rejected = run_portico({"explain", "url-invalid"});
  CHECK(has(rejected.out, "the adapter refuses the deploy"));

  auto all = run_portico({"explain"});
  CHECK(all.exit_code == 0);
  CHECK(has(all.out, "servers-path-mismatch"));
  CHECK(has(all.out, "project-symlink"));

  auto typo = run_portico({"explain", "failover-typecase"});
  CHECK(typo.exit_code == 2);
  CHECK(typo.out.empty());
  CHECK(has(typo.err, "unknown rule 'failover-typecase'"));
  CHECK(has(typo.err, "did you mean 'failover-type-case'"));
}

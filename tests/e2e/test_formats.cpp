// The CI-facing outputs of `portico validate` (and `portico probe`'s JUnit),
// through the built binary: SARIF 2.1.0 (checked against our own subset
// schema, tests/fixtures/sarif-2.1.0-subset.schema.json, written from the
// SARIF specification), JUnit XML (a strict reader in tests/support/mini_xml.hpp
// and, when there is a python3, expat), GitHub workflow commands, extra
// reports with --report FORMAT=FILE, and the JSON report's schema.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "backends.hpp"
#include "cli_run.hpp"
#include "mini_xml.hpp"
#include "process.hpp"
#include "projects.hpp"
#include "schema_check.hpp"
#include "strings.hpp"

using namespace portico::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

json parse_json(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const std::exception& e) {
    FAIL(what << " is not one JSON document: " << e.what() << "\n" << text);
  }
  return nullptr;
}

const JsonSchema& sarif_schema() {
  static const JsonSchema s(std::string(PORTICO_FIXTURES_DIR) + "/sarif-2.1.0-subset.schema.json");
  return s;
}

const JsonSchema& report_schema() {
  static const JsonSchema s(source_dir() + "/schemas/validate-report.schema.json");
  return s;
}

// The rule catalogue of rules.md, with each rule's default severity.
const std::vector<std::pair<std::string, std::string>>& catalogue() {
  static const std::vector<std::pair<std::string, std::string>> c{
      {"syntax", "error"},
      {"duplicate-key", "error"},
      {"not-openapi", "error"},
      {"info-missing", "error"},
      {"paths-key-invalid", "error"},
      {"extension-misplaced", "error"},
      {"extension-unknown", "warning"},
      {"endpoints-not-map", "error"},
      {"endpoint-ref-invalid", "error"},
      {"urls-missing", "error"},
      {"urls-not-list", "error"},
      {"urls-empty", "error"},
      {"url-not-string", "error"},
      {"failover-type-case", "error"},
      {"type-unknown", "warning"},
      {"type-missing", "info"},
      {"failover-single-url", "warning"},
      {"failover-duplicate-url", "warning"},
      {"failover-basepath-mismatch", "error"},
      {"advance-config-invalid", "error"},
      {"advance-config-range", "warning"},
      {"security-config-invalid", "error"},
      {"security-config-incomplete", "warning"},
      {"security-config-plaintext", "warning"},
      {"url-invalid", "error"},
      {"url-scheme", "error"},
      {"url-scheme-missing", "warning"},
      {"url-host", "error"},
      {"url-port", "error"},
      {"url-extra", "warning"},
      {"basepath-missing", "error"},
      {"basepath-invalid", "error"},
      {"api-name-invalid", "error"},
      {"api-version-invalid", "error"},
      {"no-endpoints", "error"},
      {"sandbox-only", "warning"},
      {"servers-overridden", "info"},
      {"servers-path-mismatch", "error"},
      {"project-api-yaml-missing", "error"},
      {"project-definition-missing", "error"},
      {"project-api-yaml-invalid", "error"},
      {"project-stray-file", "error"},
      {"project-symlink", "error"},
      {"project-special-file", "warning"},  // issue 12, not yet in ../shared/spec/rules.md
      {"project-name-mismatch", "warning"},
  };
  return c;
}

// SARIF has no "info": its level for a fact is "note".
std::string sarif_level(const std::string& severity) { return severity == "info" ? "note" : severity; }

// Errors, warnings and an info.
const std::string kBroken =
    std::string(kPetsBrokenFailoverHead) +
    "x-wso2-sandbox-endpoints:\n"
    "  urls:\n    - http://sb-a.example.com/v1\n    - http://sb-b.example.com/v1\n"
    "paths:\n"
    "  /pets:\n"
    "    x-wso2-production-endpoints:\n"
    "      urls: [http://r.example.com/v1, http://r.example.com/v1/]\n"
    "      type: failover\n"
    "    get:\n"
    "      x-wso2-production-endpoints:\n        urls: [http://x.example.com/v1]\n"
    "      responses:\n        '200': {description: OK}\n";

// A definition with no paths and one x-wso2-production-endpoints block: `urls: [URLS]`
// and `type: TYPE` (both as YAML text).
std::string one_block_definition(const std::string& urls, const std::string& type) {
  return "openapi: 3.0.1\ninfo: {title: Pets, version: v1}\nx-wso2-basePath: /p\n"
         "x-wso2-production-endpoints:\n  urls: [" + urls + "]\n"
         "  type: " + type + "\npaths: {}\n";
}

// (file, line, column, rule, severity, message) of every JSON diagnostic.
using Key = std::tuple<std::string, int, int, std::string, std::string, std::string>;

std::vector<Key> json_keys(const json& report) {
  std::vector<Key> out;
  for (const auto& d : report["diagnostics"])
    out.emplace_back(d["file"].get<std::string>(), d["line"].get<int>(), d["column"].get<int>(),
                     d["rule"].get<std::string>(), d["severity"].get<std::string>(), d["message"].get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

template <class T>
std::string show_one(const T& v) {
  if constexpr (std::is_convertible_v<T, std::string>) {
    return "\"" + std::string(v) + "\"";
  } else if constexpr (std::is_arithmetic_v<T>) {
    return std::to_string(v);
  } else {
    std::string o = "(";
    std::apply([&](const auto&... x) { ((o += show_one(x) + " "), ...); }, v);
    return o + ")";
  }
}

// A container of strings or tuples, one element a line.
template <class C>
std::string show(const C& c) {
  std::string o;
  for (const auto& v : c) o += show_one(v) + "\n";
  return o;
}

// RFC 3986 URI-reference characters, with every '%' starting a %XX escape.
bool is_uri_reference(const std::string& s) {
  static const std::string allowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=";
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        return false;
      i += 2;
    } else if (allowed.find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

// Checks one SARIF log: the subset schema, ruleIndex in range and naming the
// result's rule; returns the run's results.
json check_sarif(const std::string& text) {
  json log = parse_json(text, "SARIF");
  CHECK(sarif_schema().errors(log) == "");
  REQUIRE(log["runs"].is_array());
  REQUIRE(log["runs"].size() == 1);
  const json& run = log["runs"][0];
  CHECK(run["tool"]["driver"]["name"] == "portico");
  const json& rules = run["tool"]["driver"]["rules"];
  REQUIRE(rules.is_array());
  REQUIRE(run.contains("results"));
  for (const auto& res : run["results"]) {
    CAPTURE(res.dump());
    REQUIRE(res.contains("ruleIndex"));
    auto idx = res["ruleIndex"].get<long long>();
    CHECK(idx >= 0);
    REQUIRE(idx < static_cast<long long>(rules.size()));
    CHECK(rules[static_cast<std::size_t>(idx)]["id"] == res["ruleId"]);
  }
  return run["results"];
}

// (file, line, column, rule, level) of each SARIF result.
std::vector<std::tuple<std::string, int, int, std::string, std::string>> sarif_keys(const json& results) {
  std::vector<std::tuple<std::string, int, int, std::string, std::string>> out;
  for (const auto& r : results) {
    REQUIRE(r["locations"].size() == 1);
    const json& pl = r["locations"][0]["physicalLocation"];
    out.emplace_back(percent_decode(pl["artifactLocation"]["uri"].get<std::string>()), pl["region"]["startLine"].get<int>(),
                     pl["region"]["startColumn"].get<int>(), r["ruleId"].get<std::string>(),
                     r["level"].get<std::string>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Parses a JUnit document strictly (and with expat when there is a python3).
xml::Element check_xml(const std::string& text) {
  auto parsed = xml::parse(text);
  INFO(text);
  CHECK_MESSAGE(parsed.ok, parsed.error);
  if (auto py = xml::python3_wellformed(text)) CHECK(*py == "");
  return parsed.root;
}

long attr_num(const xml::Element& e, const char* name) {
  auto v = e.attr(name);
  REQUIRE_MESSAGE(v.has_value(), "<" << e.name << "> has no " << name);
  return std::stol(*v);
}

}  // namespace

// ------------------------------------------------------------------- SARIF

TEST_CASE("formats: sarif conforms to the SARIF 2.1.0 subset schema, broken and clean") {
  TempDir t;
  write_file(t.path + "/bad.yaml", kBroken);
  write_file(t.path + "/ok.yaml", kPetsDefinition);

  auto bad = run_portico_neutral({"validate", "--format", "sarif", t.path + "/bad.yaml"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.empty());
  json results = check_sarif(bad.out);
  CHECK(results.size() >= 5);
  std::set<std::string> levels;
  for (const auto& r : results) levels.insert(r["level"].get<std::string>());
  CHECK(show(levels) == show(std::set<std::string>{"error", "note", "warning"}));

  auto ok = run_portico_neutral({"validate", "--format", "sarif", t.path + "/ok.yaml"});
  CHECK(ok.exit_code == 0);
  json none = check_sarif(ok.out);
  CHECK(none.is_array());
  CHECK(none.empty());

  // The subset schema is not vacuous: each of these breaks it.
  json log = json::parse(bad.out);
  auto broken_copy = [&](auto mutate) {
    json j = log;
    mutate(j);
    return sarif_schema().errors(j);
  };
  CHECK(broken_copy([](json& j) { j.erase("version"); }) != "");
  CHECK(broken_copy([](json& j) { j["version"] = "2.0.0"; }) != "");
  CHECK(broken_copy([](json& j) { j["runs"] = json::object(); }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0].erase("tool"); }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["tool"]["driver"].erase("name"); }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["tool"]["driver"]["rules"][0].erase("id"); }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["tool"]["driver"]["rules"][0]["help"] = "text"; }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"].erase("text"); }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] = "info"; }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["results"][0]["level"] = "info"; }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["results"][0]["message"].erase("text"); }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["results"][0].erase("message"); }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["results"][0]["ruleId"] = 7; }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["results"][0]["ruleIndex"] = -1; }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["results"][0]["ruleIndex"] = 1.5; }) != "");
  CHECK(broken_copy([](json& j) {
          j["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = 1;
        }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0; }) != "");
  CHECK(broken_copy([](json& j) { j["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0; }) != "");
}

TEST_CASE("formats: sarif lists every rule of the catalogue, with help and its default level") {
  TempDir t;
  write_file(t.path + "/ok.yaml", kPetsDefinition);
  auto r = run_portico_neutral({"validate", "--format", "sarif", t.path + "/ok.yaml"});
  json log = parse_json(r.out, "SARIF");
  const json& rules = log["runs"][0]["tool"]["driver"]["rules"];
  REQUIRE(rules.is_array());
  std::map<std::string, json> by_id;
  for (const auto& rule : rules) {
    std::string id = rule["id"].get<std::string>();
    CHECK_MESSAGE(by_id.count(id) == 0, "rule listed twice: " << id);
    by_id[id] = rule;
  }
  CHECK(catalogue().size() == 45);
  CHECK(rules.size() == catalogue().size());
  for (const auto& [id, severity] : catalogue()) {
    CAPTURE(id);
    REQUIRE(by_id.count(id) == 1);
    const json& rule = by_id[id];
    REQUIRE(rule.contains("help"));
    REQUIRE(rule["help"]["text"].is_string());
    CHECK_FALSE(rule["help"]["text"].get<std::string>().empty());
    REQUIRE(rule["shortDescription"]["text"].is_string());
    CHECK_FALSE(rule["shortDescription"]["text"].get<std::string>().empty());
    CHECK(rule["defaultConfiguration"]["level"] == sarif_level(severity));
  }
}

TEST_CASE("formats: each sarif result points at its finding's file, line and column (as --format json)") {
  TempDir t;
  write_file(t.path + "/bad.yaml", kBroken);
  write_file(t.path + "/ok.yaml", kPetsDefinition);
  std::vector<std::vector<std::string>> inputs{
      {"bad.yaml"},
      {"bad.yaml", "ok.yaml"},
      {source_dir() + "/samples/broken-project"},
      {source_dir() + "/samples/broken-failover.yaml", source_dir() + "/samples/swagger2-petstore.yaml"},
  };
  for (const auto& in : inputs) {
    CAPTURE(in.front());
    std::vector<std::string> args{"validate", "--format", "json"};
    args.insert(args.end(), in.begin(), in.end());
    auto j = run_portico_neutral(args, t.path);
    args[2] = "sarif";
    auto s = run_portico_neutral(args, t.path);
    CHECK(j.exit_code == s.exit_code);
    json report = parse_json(j.out, "JSON report");
    json results = check_sarif(s.out);
    REQUIRE(results.size() == report["diagnostics"].size());
    std::vector<std::tuple<std::string, int, int, std::string, std::string>> expected;
    for (const auto& [file, line, col, rule, sev, msg] : json_keys(report))
      expected.emplace_back(file, line, col, rule, sarif_level(sev));
    CHECK(show(sarif_keys(results)) == show(expected));
    // The result's message carries the finding's message.
    std::multiset<std::string> messages;
    for (const auto& r : results) messages.insert(r["message"]["text"].get<std::string>());
    for (const auto& d : report["diagnostics"]) {
      bool found = false;
      for (const auto& m : messages) found |= m.find(d["message"].get<std::string>()) != std::string::npos;
      CHECK_MESSAGE(found, "no SARIF message carries: " << d["message"]);
    }
  }
}

TEST_CASE("formats: sarif artifactLocation.uri is a valid URI reference for a file name with a space or %") {
  // SARIF 2.1.0 (artifactLocation.uri) is a URI reference (RFC 3986): a space
  // must be written %20 and a literal % as %25.
  TempDir t;
  write_file(t.path + "/my api 100%.yaml", kBroken);
  auto r = run_portico_neutral({"validate", "--format", "sarif", "my api 100%.yaml"}, t.path);
  CHECK(r.exit_code == 1);
  json results = check_sarif(r.out);
  REQUIRE_FALSE(results.empty());
  std::set<std::string> uris;
  for (const auto& res : results) uris.insert(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]);
  CHECK(uris.size() == 1);
  for (const auto& uri : uris) {
    CAPTURE(uri);
    CHECK(is_uri_reference(uri));
    if (is_uri_reference(uri)) CHECK(percent_decode(uri) == "my api 100%.yaml");
  }
}

// ------------------------------------------------------------------- JUnit

TEST_CASE("formats: the XML checkers used below reject malformed XML") {
  for (const char* bad : {"<a>", "<a></b>", "<a b=c/>", "<a b='1' b='2'/>", "<a>&nbsp;</a>", "<a>x & y</a>",
                          "<a b='<'/>", "<a/><b/>", "text<a/>", "<a>\x01</a>", "<a><!-- x -- y --></a>", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(xml::parse(bad).ok);
  }
  auto good = xml::parse("<?xml version=\"1.0\"?>\n<a x=\"&lt;&amp;&#10;\"><b>t&gt;<![CDATA[<c>]]></b><!-- c --></a>\n");
  REQUIRE_MESSAGE(good.ok, good.error);
  CHECK(good.root.attr_or("x") == "<&\n");
  CHECK(good.root.first("b")->text == "t><c>");
  if (auto py = xml::python3_wellformed("<a>")) CHECK(*py != "");
  else MESSAGE("no python3: the JUnit checks use the built-in reader only");
  if (auto py = xml::python3_wellformed("<a/>")) CHECK(*py == "");
}


TEST_CASE("formats: junit is well-formed, one suite per file, one failing testcase per finding") {
  TempDir t;
  write_file(t.path + "/bad.yaml", kBroken);
  write_file(t.path + "/ok.yaml", kPetsDefinition);
  auto j = run_portico_neutral({"validate", "--format", "json", "bad.yaml", "ok.yaml"}, t.path);
  auto x = run_portico_neutral({"validate", "--format", "junit", "bad.yaml", "ok.yaml"}, t.path);
  CHECK(x.exit_code == 1);
  CHECK(x.err.empty());
  json report = parse_json(j.out, "JSON report");
  xml::Element root = check_xml(x.out);
  REQUIRE(root.name == "testsuites");
  auto suites = root.all("testsuite");
  REQUIRE(suites.size() == 2);

  std::map<std::string, std::vector<json>> by_file;
  for (const auto& d : report["diagnostics"]) by_file[d["file"].get<std::string>()].push_back(d);
  REQUIRE(by_file.size() == 1);
  const auto& findings = by_file["bad.yaml"];

  long total_tests = 0, total_failures = 0;
  for (const xml::Element* s : suites) {
    std::string name = s->attr_or("name");
    CAPTURE(name);
    total_tests += attr_num(*s, "tests");
    total_failures += attr_num(*s, "failures");
    auto cases = s->all("testcase");
    CHECK(attr_num(*s, "tests") == static_cast<long>(cases.size()));
    if (name == "ok.yaml") {
      CHECK(s->attr_or("tests") == "0");
      CHECK(s->attr_or("failures") == "0");
      CHECK(cases.empty());
      continue;
    }
    REQUIRE(name == "bad.yaml");
    REQUIRE(cases.size() == findings.size());
    CHECK(attr_num(*s, "failures") == static_cast<long>(findings.size()));
    // One testcase per finding: classname = rule, name = file:line:col, and a
    // <failure> whose message is the finding's.
    std::multiset<std::tuple<std::string, std::string, std::string, std::string>> got, want;
    for (const xml::Element* c : cases) {
      auto failures = c->all("failure");
      REQUIRE(failures.size() == 1);
      got.emplace(c->attr_or("classname"), c->attr_or("name"), failures[0]->attr_or("type"),
                  failures[0]->attr_or("message"));
      CHECK(failures[0]->text.find(c->attr_or("classname")) != std::string::npos);
    }
    for (const auto& d : findings)
      want.emplace(d["rule"].get<std::string>(),
                   d["file"].get<std::string>() + ":" + std::to_string(d["line"].get<int>()) + ":" +
                       std::to_string(d["column"].get<int>()),
                   d["severity"].get<std::string>(), d["message"].get<std::string>());
    CHECK(show(got) == show(want));
  }
  CHECK(attr_num(root, "tests") == total_tests);
  CHECK(attr_num(root, "failures") == total_failures);

  // A clean file alone: one empty, passing suite.
  auto clean = run_portico_neutral({"validate", "--format", "junit", "ok.yaml"}, t.path);
  CHECK(clean.exit_code == 0);
  xml::Element croot = check_xml(clean.out);
  auto csuites = croot.all("testsuite");
  REQUIRE(csuites.size() == 1);
  CHECK(csuites[0]->attr_or("name") == "ok.yaml");
  CHECK(csuites[0]->attr_or("tests") == "0");
  CHECK(csuites[0]->attr_or("failures") == "0");
  CHECK(csuites[0]->all("testcase").empty());
  CHECK(croot.attr_or("failures") == "0");
}

TEST_CASE("formats: junit escapes markup and control characters from the document") {
  TempDir t;
  // A type value full of XML metacharacters and a control character: it is
  // quoted in a type-unknown message.
  write_file(t.path + "/x&y<z>.yaml",
             one_block_definition("http://a.example.com/v1", "\"<b>&amp;\\\"q\\\"'a'\\x01]]>\""));
  auto j = run_portico_neutral({"validate", "--format", "json", "x&y<z>.yaml"}, t.path);
  auto x = run_portico_neutral({"validate", "--format", "junit", "x&y<z>.yaml"}, t.path);
  json report = parse_json(j.out, "JSON report");
  REQUIRE(report["diagnostics"].size() >= 1);
  xml::Element root = check_xml(x.out);
  auto suites = root.all("testsuite");
  REQUIRE(suites.size() == 1);
  CHECK(suites[0]->attr_or("name") == "x&y<z>.yaml");
  auto cases = suites[0]->all("testcase");
  REQUIRE(cases.size() == report["diagnostics"].size());
  bool seen = false;
  for (const xml::Element* c : cases) {
    if (c->attr_or("classname") != "type-unknown") continue;
    seen = true;
    std::string msg = c->first("failure")->attr_or("message");
    CHECK(msg.find("<b>&amp;\"q\"'a'") != std::string::npos);
    CHECK(msg.find("]]>") != std::string::npos);
  }
  CHECK(seen);
}

TEST_CASE("formats: probe --format junit has one testcase per group, failures for unavailable, failed-over and degraded groups") {
  // Loopback only: a listening socket (TCP connects succeed; the kernel
  // completes the handshake) and ports that were free a moment ago.
  int up_port = 0;
  int up_fd = listen_loopback(up_port);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{up_fd};
  int down1 = closed_port(), down2 = closed_port();
  auto url = [](int port) { return "'http://127.0.0.1:" + std::to_string(port) + "/v1'"; };
  TempDir t;
  write_file(t.path + "/api.yaml",
             "openapi: 3.0.1\ninfo: {title: JunitProbe, version: 1.0.0}\nx-wso2-basePath: /jp\n"
             "x-wso2-production-endpoints:\n  type: failover\n  urls: [" + url(down1) + ", " + url(down2) + "]\n"
             "x-wso2-sandbox-endpoints:\n  type: failover\n  urls: [" + url(up_port) + ", " + url(down1) + "]\n"
             "paths:\n"
             "  /a:\n"
             "    x-wso2-production-endpoints:\n      type: failover\n      urls: [" + url(down2) + ", " + url(up_port) + "]\n"
             "    get: {responses: {'200': {description: OK}}}\n"
             "  /b:\n"
             "    x-wso2-production-endpoints:\n      type: loadbalance\n      urls: [" + url(up_port) + "]\n"
             "    get: {responses: {'200': {description: OK}}}\n");
  auto r = run_portico_neutral({"probe", t.path + "/api.yaml", "--timeout", "500", "--attempts", "1", "--format", "junit"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 8);  // a group has no available endpoint
  xml::Element root = check_xml(r.out);
  REQUIRE(root.name == "testsuites");
  auto suites = root.all("testsuite");
  REQUIRE(suites.size() == 1);
  auto cases = suites[0]->all("testcase");
  REQUIRE(cases.size() == 4);
  CHECK(attr_num(*suites[0], "tests") == 4);
  CHECK(attr_num(*suites[0], "failures") == 3);
  CHECK(attr_num(root, "tests") == 4);
  CHECK(attr_num(root, "failures") == 3);
  std::map<std::string, std::string> failure_by_case;  // name -> failure type, "" when passing
  for (const xml::Element* c : cases) {
    auto failures = c->all("failure");
    CHECK(failures.size() <= 1);
    failure_by_case[c->attr_or("name")] = failures.empty() ? "" : failures[0]->attr_or("type");
  }
  CHECK(failure_by_case.size() == 4);
  CHECK(failure_by_case["(API) production"] == "unavailable");
  CHECK(failure_by_case["(API) sandbox"] == "degraded");  // primary up, its backup down
  CHECK(failure_by_case["/a production"] == "failed-over");
  CHECK(failure_by_case["/b production"] == "");
  // Every URL of a failing group is named in its failure text.
  for (const xml::Element* c : cases)
    if (c->attr_or("name") == "(API) production") {
      const std::string& text = c->first("failure")->text;
      CHECK(text.find(std::to_string(down1)) != std::string::npos);
      CHECK(text.find(std::to_string(down2)) != std::string::npos);
    }

  // All groups up: no failures, exit 0.
  write_file(t.path + "/up.yaml",
             "openapi: 3.0.1\ninfo: {title: JunitProbeUp, version: 1.0.0}\nx-wso2-basePath: /jp\n"
             "x-wso2-production-endpoints:\n  urls: [" + url(up_port) + "]\n"
             "paths:\n  /a:\n    get: {responses: {'200': {description: OK}}}\n");
  auto up = run_portico_neutral({"probe", t.path + "/up.yaml", "--timeout", "500", "--attempts", "1", "--format", "junit"});
  CHECK(up.exit_code == 0);
  xml::Element uroot = check_xml(up.out);
  CHECK(uroot.attr_or("failures") == "0");
  REQUIRE(uroot.all("testsuite").size() == 1);
  CHECK(uroot.all("testsuite")[0]->all("testcase").size() == 1);
}

// ------------------------------------------------------------------ GitHub

namespace {

const std::regex kAnnotation(R"(^::(error|warning|notice) file=([^,]*),line=([0-9]+),col=([0-9]+),title=([a-z0-9-]+)::(.*)$)");

std::string gh_command(const std::string& severity) {
  return severity == "error" ? "error" : severity == "warning" ? "warning" : "notice";
}

std::string gh_unescape(const std::string& s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      std::string h = s.substr(i + 1, 2);
      if (h == "25") o += '%';
      else if (h == "0A") o += '\n';
      else if (h == "0D") o += '\r';
      else if (h == "3A") o += ':';
      else if (h == "2C") o += ',';
      else {
        o += s[i];
        continue;
      }
      i += 2;
    } else {
      o += s[i];
    }
  }
  return o;
}

// Checks that `text` holds exactly one workflow command per diagnostic of
// `report`, each with the diagnostic's file, line, column, rule and message.
void check_annotations(const std::string& text, const json& report) {
  auto lines = lines_of(text);
  CHECK(lines.size() == report["diagnostics"].size());
  std::multiset<Key> got;
  for (const auto& line : lines) {
    CAPTURE(line);
    std::smatch m;
    REQUIRE(std::regex_match(line, m, kAnnotation));
    got.emplace(gh_unescape(m[2]), std::stoi(m[3]), std::stoi(m[4]), m[5], m[1], gh_unescape(m[6]));
  }
  // The message part starts with the finding's message (a hint may follow).
  for (const auto& d : report["diagnostics"]) {
    Key want{d["file"].get<std::string>(), d["line"].get<int>(), d["column"].get<int>(), d["rule"].get<std::string>(),
             gh_command(d["severity"].get<std::string>()), d["message"].get<std::string>()};
    bool found = false;
    for (const auto& g : got)
      if (std::get<0>(g) == std::get<0>(want) && std::get<1>(g) == std::get<1>(want) &&
          std::get<2>(g) == std::get<2>(want) && std::get<3>(g) == std::get<3>(want) &&
          std::get<4>(g) == std::get<4>(want) && std::get<5>(g).rfind(std::get<5>(want), 0) == 0)
        found = true;
    CHECK_MESSAGE(found, "no annotation for " << d.dump());
  }
}

}  // namespace

TEST_CASE("formats: github prints one workflow command per finding (error, warning, notice)") {
  std::vector<std::string> files{"samples/broken-failover.yaml", "samples/swagger2-petstore.yaml",
                                 "samples/broken-project"};
  std::vector<std::string> args{"validate", "--format", "json"};
  args.insert(args.end(), files.begin(), files.end());
  auto j = run_portico_neutral(args, source_dir());
  args[2] = "github";
  auto g = run_portico_neutral(args, source_dir());
  CHECK(g.exit_code == 1);
  CHECK(g.err.empty());
  json report = parse_json(j.out, "JSON report");
  check_annotations(g.out, report);
  CHECK(g.out.find("::error file=samples/broken-failover.yaml,line=11,col=9,title=failover-type-case::") !=
        std::string::npos);
  CHECK(g.out.find("::warning file=samples/broken-failover.yaml,line=24,col=5,title=extension-unknown::") !=
        std::string::npos);
  CHECK(g.out.find("::notice file=samples/swagger2-petstore.yaml,line=5,col=1,title=servers-overridden::") !=
        std::string::npos);

  // A clean file: nothing at all, exit 0.
  auto clean = run_portico_neutral({"validate", "--format", "github", "samples/petstore-openapi.yaml"}, source_dir());
  CHECK(clean.exit_code == 0);
  CHECK(clean.out.empty());
}

TEST_CASE("formats: github escapes % and newlines in messages, and , : in the file property") {
  TempDir t;
  write_file(t.path + "/a,b:c.yaml",
             one_block_definition("http://a.example.com/v1, \"http://a.example.com/v1%41\"", "\"round\\nrobin%\""));
  auto j = run_portico_neutral({"validate", "--format", "json", "a,b:c.yaml"}, t.path);
  auto g = run_portico_neutral({"validate", "--format", "github", "a,b:c.yaml"}, t.path);
  json report = parse_json(j.out, "JSON report");
  std::set<std::string> rules;
  for (const auto& d : report["diagnostics"]) rules.insert(d["rule"].get<std::string>());
  REQUIRE(rules.count("type-unknown") == 1);                // its message quotes "round\nrobin%"
  REQUIRE(rules.count("failover-basepath-mismatch") == 1);  // its message quotes "/v1%41"
  check_annotations(g.out, report);  // also: no raw newline splits a command
  for (const auto& line : lines_of(g.out)) {
    CAPTURE(line);
    CHECK(line.rfind("::", 0) == 0);
    CHECK(line.find(" file=a%2Cb%3Ac.yaml,line=") != std::string::npos);
    if (line.find("title=type-unknown::") != std::string::npos) CHECK(line.find("round%0Arobin%25") != std::string::npos);
    if (line.find("title=failover-basepath-mismatch::") != std::string::npos)
      CHECK(line.find("/v1%2541") != std::string::npos);
  }
}

TEST_CASE("formats: GITHUB_ACTIONS=true adds annotations on stderr, and stdout keeps the chosen format") {
  std::string file = "samples/broken-failover.yaml";
  auto plain = run_portico_neutral({"validate", "--format", "json", file}, source_dir());
  json report = parse_json(plain.out, "JSON report");
  REQUIRE(report["diagnostics"].size() == 5);
  CHECK(plain.err.empty());

  std::map<std::string, std::string> gha{{"GITHUB_ACTIONS", "true"}};
  auto r = run_portico_neutral({"validate", "--format", "json", file}, source_dir(), gha);
  CHECK(r.exit_code == 1);
  json again = parse_json(r.out, "stdout under GITHUB_ACTIONS");  // exactly one JSON document
  CHECK(again == report);
  check_annotations(r.err, report);

  auto quiet = run_portico_neutral({"validate", "--format", "json", "--no-annotations", file}, source_dir(), gha);
  CHECK(quiet.exit_code == 1);
  CHECK(parse_json(quiet.out, "stdout with --no-annotations") == report);
  CHECK(quiet.err.find("::") == std::string::npos);

  // SARIF on stdout stays one document too.
  auto sarif = run_portico_neutral({"validate", "--format", "sarif", file}, source_dir(), gha);
  check_sarif(sarif.out);
  check_annotations(sarif.err, report);

  // With --format github the annotations are on stdout, not twice.
  auto gh = run_portico_neutral({"validate", "--format", "github", file}, source_dir(), gha);
  check_annotations(gh.out, report);
  CHECK(gh.err.find("::") == std::string::npos);

  // GITHUB_ACTIONS set to anything but "true": no annotations.
  auto other = run_portico_neutral({"validate", "--format", "json", file}, source_dir(), {{"GITHUB_ACTIONS", "false"}});
  CHECK(other.err.empty());
}

// ------------------------------------------------------------------- human

TEST_CASE("formats: human prints one line per finding, even when a message quotes a newline") {
  // rules.md, Output contract: `file:line:col: severity: message [rule]`, one
  // line per finding. A YAML value may hold a newline ("round\nrobin"), and
  // the type-unknown message quotes it.
  TempDir t;
  write_file(t.path + "/nl.yaml",
             one_block_definition("http://a.example.com/v1, http://b.example.com/v1", "\"round\\nrobin\""));
  auto j = run_portico_neutral({"validate", "--format", "json", "nl.yaml"}, t.path);
  json report = parse_json(j.out, "JSON report");
  REQUIRE(report["diagnostics"].size() == 1);
  REQUIRE(report["diagnostics"][0]["rule"] == "type-unknown");
  auto h = run_portico_neutral({"validate", "nl.yaml"}, t.path);
  auto lines = lines_of(h.out);
  INFO("stdout:\n" << h.out);
  CHECK(lines.size() == 2);  // the finding, the summary
  static const std::regex human(R"(^nl\.yaml:6:9: warning: .+ \[type-unknown\]$)");
  CHECK(std::regex_match(lines.front(), human));
  CHECK(lines.back() == "0 errors, 1 warning, 0 infos in 1 file");
}

// ---------------------------------------------------------------- --report

TEST_CASE("formats: --report FORMAT=FILE writes extra reports beside the human one") {
  TempDir t;
  write_file(t.path + "/bad.yaml", kBroken);
  write_file(t.path + "/ok.yaml", kPetsDefinition);
  auto j = run_portico_neutral({"validate", "--format", "json", "bad.yaml"}, t.path);
  json report = parse_json(j.out, "JSON report");
  std::size_t n = report["diagnostics"].size();
  REQUIRE(n >= 5);

  auto r = run_portico_neutral({"validate", "--report", "sarif=a.sarif", "--report", "junit=b.xml", "--format", "human", "bad.yaml"},
                   t.path);
  CHECK(r.exit_code == 1);
  // stdout: the human report, one line per finding and a summary last.
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == n + 1);
  static const std::regex human(R"(^bad\.yaml:[0-9]+:[0-9]+: (error|warning|info): .+ \[[a-z0-9-]+\]$)");
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(lines[i]);
    CHECK(std::regex_match(lines[i], human));
  }
  json s = report["summary"];
  CHECK(lines.back() == std::to_string(s["errors"].get<int>()) + " errors, " + std::to_string(s["warnings"].get<int>()) +
                            " warning" + (s["warnings"] == 1 ? "" : "s") + ", " + std::to_string(s["infos"].get<int>()) +
                            " info" + (s["infos"] == 1 ? "" : "s") + " in 1 file");
  REQUIRE(fs::exists(t.path + "/a.sarif"));
  REQUIRE(fs::exists(t.path + "/b.xml"));
  CHECK(check_sarif(read_text_file(t.path + "/a.sarif")).size() == n);
  xml::Element root = check_xml(read_text_file(t.path + "/b.xml"));
  CHECK(attr_num(root, "failures") == static_cast<long>(n));

  // The exit code follows the threshold, not the extra reports.
  fs::remove(t.path + "/a.sarif");
  fs::remove(t.path + "/b.xml");
  auto never = run_portico_neutral({"validate", "--report", "sarif=a.sarif", "--report", "junit=b.xml", "--fail-on", "never",
                        "bad.yaml"},
                       t.path);
  CHECK(never.exit_code == 0);
  CHECK(fs::exists(t.path + "/a.sarif"));
  CHECK(fs::exists(t.path + "/b.xml"));
  auto clean = run_portico_neutral({"validate", "--report", "sarif=c.sarif", "--report", "junit=c.xml", "ok.yaml"}, t.path);
  CHECK(clean.exit_code == 0);
  CHECK(clean.out == "no problems found in 1 file\n");
  CHECK(check_sarif(read_text_file(t.path + "/c.sarif")).empty());
  CHECK(check_xml(read_text_file(t.path + "/c.xml")).attr_or("failures") == "0");

  // With -o, stdout stays empty and all three files are written.
  auto o = run_portico_neutral({"validate", "--format", "json", "-o", "r.json", "--report", "github=g.txt", "bad.yaml"}, t.path);
  CHECK(o.exit_code == 1);
  CHECK(o.out.empty());
  CHECK(parse_json(read_text_file(t.path + "/r.json"), "r.json") == report);
  check_annotations(read_text_file(t.path + "/g.txt"), report);

  // Bad specs are usage errors (exit 2), before anything is validated or written.
  for (std::vector<std::string> bad : {std::vector<std::string>{"--report", "sarif"},
                                       {"--report", "xml=f.xml"},
                                       {"--report", "=f.xml"},
                                       {"--report", "sarif="},
                                       {"--report", "junit=ok.xml", "--report", "nope=f"}}) {
    CAPTURE(bad[1]);
    std::vector<std::string> args{"validate"};
    args.insert(args.end(), bad.begin(), bad.end());
    args.push_back("bad.yaml");
    auto u = run_portico_neutral(args, t.path);
    CHECK(u.exit_code == 2);
    CHECK(u.out.empty());
    CHECK_FALSE(u.err.empty());
    CHECK_FALSE(fs::exists(t.path + "/f.xml"));
    CHECK_FALSE(fs::exists(t.path + "/f"));
    CHECK_FALSE(fs::exists(t.path + "/ok.xml"));
  }
}

// ------------------------------------------------------------ JSON schema

TEST_CASE("schemas: validate --format json conforms to validate-report.schema.json for many inputs") {
  TempDir t;
  write_file(t.path + "/ok.yaml", kPetsDefinition);
  write_file(t.path + "/bad.yaml", kBroken);
  write_file(t.path + "/syntax.yaml", "openapi: 3.0.1\ninfo: [\n");
  write_file(t.path + "/syntax.json", "{\"openapi\": \"3.0.1\", \"info\": }");
  write_file(t.path + "/two-docs.yaml", std::string(kPetsDefinition) + "---\nopenapi: 3.0.1\n");
  write_file(t.path + "/list.yaml", "- a\n- b\n");
  write_file(t.path + "/empty.yaml", "");
  std::string samples = source_dir() + "/samples";
  std::vector<std::vector<std::string>> inputs{
      {"ok.yaml"},
      {"bad.yaml"},
      {"syntax.yaml"},
      {"syntax.json"},
      {"two-docs.yaml"},
      {"list.yaml"},
      {"empty.yaml"},
      {samples + "/petstore"},
      {samples + "/broken-project"},
      {samples + "/broken-failover.yaml", samples + "/swagger2-petstore.yaml", "ok.yaml", "syntax.yaml"},
      {"--fail-on", "never", "bad.yaml"},
      {"--fail-on", "info", samples + "/swagger2-petstore.yaml"},
  };
  std::set<std::string> rules_seen;
  for (const auto& in : inputs) {
    std::string what;
    for (const auto& a : in) what += a + " ";
    CAPTURE(what);
    std::vector<std::string> args{"validate", "--format", "json"};
    args.insert(args.end(), in.begin(), in.end());
    auto r = run_portico_neutral(args, t.path);
    CHECK((r.exit_code == 0 || r.exit_code == 1));
    json j = parse_json(r.out, "JSON report");
    CHECK(report_schema().errors(j) == "");
    // ok and the exit code agree; the summary counts the diagnostics.
    CHECK(j["ok"] == (r.exit_code == 0));
    std::map<std::string, int> count;
    for (const auto& d : j["diagnostics"]) {
      count[d["severity"].get<std::string>()]++;
      rules_seen.insert(d["rule"].get<std::string>());
    }
    CHECK(j["summary"]["errors"] == count["error"]);
    CHECK(j["summary"]["warnings"] == count["warning"]);
    CHECK(j["summary"]["infos"] == count["info"]);
    // Sorted by file, then line, then column.
    for (std::size_t i = 1; i < j["diagnostics"].size(); ++i) {
      const json& a = j["diagnostics"][i - 1];
      const json& b = j["diagnostics"][i];
      CHECK(std::make_tuple(a["file"].get<std::string>(), a["line"].get<int>(), a["column"].get<int>()) <=
            std::make_tuple(b["file"].get<std::string>(), b["line"].get<int>(), b["column"].get<int>()));
    }
  }
  CHECK(rules_seen.count("syntax") == 1);
  CHECK(rules_seen.count("not-openapi") == 1);
  CHECK(rules_seen.count("project-stray-file") == 1);

  // The schema is not vacuous.
  auto r = run_portico_neutral({"validate", "--format", "json", "bad.yaml"}, t.path);
  json j = json::parse(r.out);
  json k = j;
  k["diagnostics"][0]["line"] = 0;
  CHECK(report_schema().errors(k) != "");
  k = j;
  k["diagnostics"][0]["severity"] = "fatal";
  CHECK(report_schema().errors(k) != "");
  k = j;
  k["diagnostics"][0].erase("pointer");
  CHECK(report_schema().errors(k) != "");
  k = j;
  k["extra"] = 1;
  CHECK(report_schema().errors(k) != "");
}

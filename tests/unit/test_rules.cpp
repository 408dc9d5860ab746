// Every rule against its fixtures (tests/fixtures/rules/<rule>/...): each
// fixture's .expect lists every finding it must give, with positions.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>

#include "doc/document.hpp"
#include "rules/catalog.hpp"
#include "rules/docs.hpp"
#include "rules/validate.hpp"
#include "process.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;
using namespace portico;

namespace {

std::string render(std::vector<Finding> findings) {
  std::sort(findings.begin(), findings.end(), finding_less);
  std::string out;
  for (const auto& f : findings)
    out += f.file + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + ": " +
           std::string(to_string(f.severity)) + ": " + f.rule + " " + (f.pointer.empty() ? "\"\"" : f.pointer) + "\n";
  return out;
}

std::string normalise_expect(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// A socket bound at `path` (closed again: the file stays, as a server
// that died leaves it).
void make_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof a.sun_path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  ::close(fd);
}

// Findings for one fixture, with file names relative to the fixture. A
// project fixture with a `.special` file (lines "fifo PATH" or "socket
// PATH": git cannot hold them) is validated as a copy in which they are made.
std::string actual_for(const fs::path& fixture) {
  std::optional<test::TempDir> copy;
  fs::path where = fixture;
  if (fs::is_directory(fixture) && fs::exists(fixture / ".special")) {
    copy.emplace();
    where = fs::path(copy->path) / fixture.filename();
    fs::copy(fixture, where, fs::copy_options::recursive);
    std::istringstream in(file::read(fixture / ".special"));
    std::string kind, rel;
    while (in >> kind >> rel) {
      fs::create_directories((where / rel).parent_path());
      std::string p = (where / rel).string();
      if (kind == "fifo")
        CHECK(::mkfifo(p.c_str(), 0600) == 0);
      else if (kind == "socket")
        make_socket(p);
      else
        FAIL_CHECK("unknown kind in .special: " << kind);
    }
  }
  if (fs::is_directory(where)) {
    std::string dir = where.string();
    auto r = rules::validate({dir});
    for (auto& f : r.findings) {
      if (f.file == dir)
        f.file = ".";
      else if (f.file.rfind(dir + "/", 0) == 0)
        f.file = f.file.substr(dir.size() + 1);
    }
    return render(r.findings);
  }
  auto d = doc::parse(fixture.filename().string(), file::read(fixture));
  return render(rules::check_definition(d));
}

std::vector<fs::path> fixtures_under(const fs::path& root) {
  std::vector<fs::path> out;
  if (!fs::is_directory(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().extension() != ".expect") continue;
    fs::path base = e.path();
    base.replace_extension();
    if (fs::is_directory(base)) {
      out.push_back(base);
      continue;
    }
    for (const char* ext : {".yaml", ".yml", ".json"}) {
      fs::path f = base;
      f += ext;
      if (fs::exists(f)) out.push_back(f);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("rules: every fixture gives exactly the findings its .expect lists") {
  fs::path root = fs::path(PORTICO_FIXTURES_DIR) / "rules";
  auto fixtures = fixtures_under(root);
  REQUIRE(fixtures.size() > 40);
  for (const auto& f : fixtures) {
    CAPTURE(f.string());
    fs::path expect = f;
    if (fs::is_directory(f))
      expect += ".expect";
    else
      expect.replace_extension(".expect");
    CHECK(actual_for(f) == normalise_expect(file::read(expect)));
  }
}

TEST_CASE("rules: every rule of the catalogue has a positive and a negative fixture") {
  fs::path root = fs::path(PORTICO_FIXTURES_DIR) / "rules";
  for (const auto& rule : rules::catalog()) {
    CAPTURE(rule.id);
    auto fixtures = fixtures_under(root / std::string(rule.id));
    bool positive = false, negative = false;
    for (const auto& f : fixtures) {
      fs::path expect = f;
      if (fs::is_directory(f))
        expect += ".expect";
      else
        expect.replace_extension(".expect");
      std::string text = file::read(expect);
      bool fires = text.find(" " + std::string(rule.id) + " ") != std::string::npos;
      (fires ? positive : negative) = true;
    }
    CHECK(positive);
    CHECK(negative);
  }
}

TEST_CASE("rules: WSO2's own failover documentation snippets, typed as printed") {
  fs::path root = fs::path(PORTICO_FIXTURES_DIR) / "wso2-doc";
  auto fixtures = fixtures_under(root);
  REQUIRE(fixtures.size() >= 2);
  for (const auto& f : fixtures) {
    CAPTURE(f.string());
    fs::path expect = f;
    expect.replace_extension(".expect");
    CHECK(actual_for(f) == normalise_expect(file::read(expect)));
  }
}

TEST_CASE("rules: info-missing is a warning when api.yaml names the API") {
  auto api = std::make_shared<doc::Document>(doc::parse(
      "api.yaml", "data:\n  name: Pets\n  version: v1\n  context: /pets\n  type: HTTP\n"));
  auto meta = project::read_api_yaml(api);
  auto d = doc::parse("d.yaml",
                      "openapi: 3.0.1\ninfo:\n  description: x\nx-wso2-production-endpoints:\n"
                      "  urls: [http://a.example.com/v1]\npaths: {}\n");
  auto findings = rules::check_definition(d, &meta);
  auto it = std::find_if(findings.begin(), findings.end(), [](const Finding& f) { return f.rule == "info-missing"; });
  REQUIRE(it != findings.end());
  CHECK(it->severity == Severity::Warning);
  CHECK(it->line == 2);
}

TEST_CASE("rules: ws and wss URLs are accepted only for WebSocket APIs") {
  auto doc_text = "openapi: 3.0.1\ninfo: {title: Chat, version: v1}\nx-wso2-basePath: /chat\n"
                  "x-wso2-production-endpoints:\n  urls: [ws://chat.example.com/v1]\npaths: {}\n";
  auto d = doc::parse("d.yaml", doc_text);
  auto plain = rules::check_definition(d);
  CHECK(std::count_if(plain.begin(), plain.end(), [](const Finding& f) { return f.rule == "url-scheme"; }) == 1);
  auto api = std::make_shared<doc::Document>(doc::parse(
      "api.yaml", "data: {name: Chat, version: v1, context: /chat, type: WS}\n"));
  auto meta = project::read_api_yaml(api);
  auto ws = rules::check_definition(d, &meta);
  CHECK(std::count_if(ws.begin(), ws.end(), [](const Finding& f) { return f.rule == "url-scheme"; }) == 0);
}

TEST_CASE("rules: a not-openapi file gets no further findings but duplicate keys") {
  auto d = doc::parse("d.yaml", "swagger: 2.0\nswagger: 2.0\npaths:\n  get: {}\n");
  auto f = rules::check_definition(d);
  REQUIRE(f.size() == 2);
  std::sort(f.begin(), f.end(), [](const Finding& a, const Finding& b) { return a.rule > b.rule; });
  CHECK(f[0].rule == "not-openapi");
  CHECK(f[0].line == 2);  // the last 'swagger' is the one the gateway reads
  CHECK(f[0].hint.find("quote") != std::string::npos);
  CHECK(f[1].rule == "duplicate-key");
}

TEST_CASE("rules: RULES.md has one section per catalogue rule, in order, with its severity, examples and fix") {
  auto docs = rules::rule_docs();
  auto cat = rules::catalog();
  REQUIRE(docs.size() == cat.size());
  for (std::size_t i = 0; i < cat.size(); ++i) {
    CAPTURE(cat[i].id);
    CHECK(docs[i].id == cat[i].id);
    CHECK(docs[i].severity == to_string(cat[i].severity));
    std::string body(docs[i].body);
    for (const char* part : {"Why it matters:", "\nWrong:\n", "\nRight:\n", "\nFix:"}) {
      CAPTURE(part);
      CHECK(body.find(part) != std::string::npos);
    }
    CHECK(body.find("```") != std::string::npos);
  }
  CHECK(rules::rule_doc("failover-type-case").has_value());
  CHECK_FALSE(rules::rule_doc("no-such-rule").has_value());
}

// Issue 12 item 3: each api.yaml URL's pointer was found by a search from the
// root, quadratic in the number of URLs (20,000 took 8.6 s). 40,000 here: a
// fraction of a second when linear, minutes when quadratic.
TEST_CASE("rules: an api.yaml with 40,000 failover URLs is checked, with the right pointer on the last one") {
  constexpr int kUrls = 40000;
  std::string y = "type: api\nversion: v4.0.0\ndata:\n  name: Many\n  version: 1.0.0\n  context: /many\n"
                  "  type: HTTP\n  endpointImplementationType: ENDPOINT\n  endpointConfig:\n"
                  "    endpoint_type: failover\n    production_endpoints:\n      url: http://primary.example.com/v1\n"
                  "    production_failovers:\n";
  for (int i = 0; i < kUrls - 1; ++i) y += "      - url: http://backup" + std::to_string(i) + ".example.com/v1\n";
  y += "      - url: http://bad_host.example.com/v1\n";  // the last one: a url-host finding
  auto api = std::make_shared<doc::Document>(doc::parse("api.yaml", y));
  REQUIRE(api->root);
  auto meta = project::read_api_yaml(api);
  REQUIRE(meta.production.urls.size() == kUrls + 1);
  auto findings = rules::check_api_yaml(meta, nullptr);
  auto d = doc::parse("d.yaml", "openapi: 3.0.1\ninfo: {title: Many, version: 1.0.0}\nx-wso2-basePath: /many\n"
                                "paths: {}\n");
  auto more = rules::check_definition(d, &meta);
  findings.insert(findings.end(), more.begin(), more.end());
  std::vector<Finding> hosts;
  for (const auto& f : findings)
    if (f.rule == "url-host") hosts.push_back(f);
  REQUIRE(hosts.size() == 1);
  CHECK(hosts[0].pointer == "/data/endpointConfig/production_failovers/" + std::to_string(kUrls - 1) + "/url");
  CHECK(hosts[0].line == 13 + kUrls);
}

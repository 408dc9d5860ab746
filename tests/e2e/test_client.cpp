// portico's client commands end to end: init, deploy, list, undeploy,
// env add/list/remove, login, logout (cli.md; adapter.md sections 1-2;
// ../shared/reference/adapterAPI.yaml).
//
// Every test uses its own config directory (a TempDir passed as
// PORTICO_CONFIG_DIR) and clears PORTICO_USERNAME/PASSWORD/TOKEN unless it
// sets them. Servers are either a real `portico gateway` (HTTPS, its own data
// directory) or a fake adapter in this process (plain HTTP, fake_servers.hpp)
// that records what portico sends and can misbehave once. Only 127.0.0.1;
// every wait is bounded; portico runs without a controlling terminal
// (setsid) and with a pipe on stdin, so a prompt can never hang a test.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fake_servers.hpp"
#include "gateway_process.hpp"
#include "http.hpp"
#include "process.hpp"
#include "projects.hpp"
#include "strings.hpp"

using namespace portico::test;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kBase = FakeAdapter::kBase;  // the adapter API's base path
const char* kUnset = "\x01unset";

// ---------------------------------------------------------------- utilities

// Every file (not directory) under dir, relative, with its bytes.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
  return out;
}

// ---------------------------------------------------------------- portico

struct Run {
  int code = -1;
  std::string out, err;
  double seconds = 0;
};

std::ostream& operator<<(std::ostream& os, const Run& r) {
  return os << "exit " << r.code << " after " << r.seconds << " s\n--- stdout:\n" << r.out << "--- stderr:\n" << r.err;
}

// Runs `portico ARGS` with PORTICO_CONFIG_DIR=config_dir, the credential
// variables cleared unless env sets them, stdin a pipe holding `input`, no
// controlling terminal, and at most `bound` (then SIGKILL, exit 137).
Run run_cli(const std::vector<std::string>& args, const std::string& config_dir,
            const std::map<std::string, std::string>& extra_env = {}, const std::string& input = "",
            const std::string& cwd = "", std::chrono::milliseconds bound = 40s) {
  static const std::string setsid = find_program("setsid");
  std::vector<std::string> argv;
  if (!setsid.empty()) argv.push_back(setsid);
  argv.push_back(portico_binary());
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> env = {{"PORTICO_USERNAME", kUnset}, {"PORTICO_PASSWORD", kUnset},
                                            {"PORTICO_TOKEN", kUnset},    {"NO_COLOR", kUnset},
                                            {"http_proxy", kUnset},       {"https_proxy", kUnset},
                                            {"HTTP_PROXY", kUnset},       {"HTTPS_PROXY", kUnset},
                                            {"ALL_PROXY", kUnset},        {"all_proxy", kUnset}};
  if (!config_dir.empty()) env["PORTICO_CONFIG_DIR"] = config_dir;
  for (const auto& [k, v] : extra_env) env[k] = v;
  auto start = std::chrono::steady_clock::now();
  ChildProcess p(argv, env, true, false, cwd);
  if (!input.empty()) p.write_stdin(input);
  p.close_stdin();
  Run r;
  auto st = p.wait_exit(bound);
  if (!st) {
    r.code = p.terminate(SIGKILL, 2s);
  } else {
    r.code = *st;
  }
  p.wait_drained(5s);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.out = p.stdout_text();
  r.err = p.stderr_text();
  return r;
}

// A config directory and the credentials the commands run with.
struct Client {
  TempDir cfg;
  std::map<std::string, std::string> env;

  Run operator()(const std::vector<std::string>& args, const std::string& input = "",
                 const std::map<std::string, std::string>& extra = {}, const std::string& cwd = "") const {
    auto e = env;
    for (const auto& [k, v] : extra) e[k] = v;
    return run_cli(args, cfg.path, e, input, cwd);
  }
  std::string credentials_file() const { return cfg.path + "/credentials.yaml"; }

  // `portico env add NAME --adapter URL FLAGS...`, which must succeed.
  void add_env(const std::string& name, const std::string& adapter, const std::vector<std::string>& flags = {}) const {
    std::vector<std::string> args{"env", "add", name, "--adapter", adapter};
    args.insert(args.end(), flags.begin(), flags.end());
    REQUIRE((*this)(args).code == 0);
  }
  // `portico login NAME -u admin --password-stdin` with the right password, which must succeed.
  void login(const std::string& name) const {
    REQUIRE((*this)({"login", name, "-u", "admin", "--password-stdin"}, "admin").code == 0);
  }
  // `portico env list --format json`, parsed (discarded when it is not JSON).
  json env_list() const { return json::parse((*this)({"env", "list", "--format", "json"}).out, nullptr, false); }
};

std::map<std::string, std::string> admin_env(const std::string& password = "admin") {
  return {{"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", password}};
}

// ---------------------------------------------------------------- projects

// The same API as JSON (first byte '{').
std::string definition_json(const Api& a) {
  json j = {{"openapi", "3.0.1"},
            {"info", {{"title", a.name}, {"version", a.version}}},
            {"x-wso2-basePath", a.basepath},
            {"x-wso2-production-endpoints",
             {{"urls", a.urls}, {"type", "failover"}}},
            {"paths", {{"/items", {{"get", {{"responses", {{"200", {{"description", "OK"}}}}}}}}}}}};
  return j.dump(2) + "\n";
}

// A definition with validation errors (failover-basepath-mismatch, failover-type-case).
std::string broken_definition() {
  return "openapi: 3.0.1\n"
         "info:\n  title: Broken\n  version: 1.0.0\n"
         "x-wso2-basePath: /broken\n"
         "x-wso2-production-endpoints:\n"
         "  urls:\n    - http://primary.example.com/v1\n    - http://backup.example.com/v2\n"
         "  type: Failover\n"
         "paths:\n  /items:\n    get:\n      responses:\n        '200': {description: OK}\n";
}

// A hand-written Choreo Connect project (adapter.md section 2) for `a`.
void write_project(const std::string& dir, const Api& a = {}) {
  write_file(dir + "/api.yaml",
             "type: api\n"
             "version: v4.0.0\n"
             "data:\n"
             "  name: " + a.name + "\n"
             "  version: \"" + a.version + "\"\n"
             "  context: " + a.basepath + "\n"
             "  type: HTTP\n"
             "  endpointImplementationType: ENDPOINT\n"
             "  endpointConfig:\n"
             "    endpoint_type: failover\n"
             "    production_endpoints:\n"
             "      url: http://primary.example.com/v1\n"
             "    production_failovers:\n"
             "      - url: http://backup.example.com/v1\n");
  write_file(dir + "/Definitions/swagger.yaml", definition_yaml(a));
  write_file(dir + "/deployment_environments.yaml", deployment_environments_yaml());
}

FakeApi fake_api(const Api& a = {}) {
  FakeApi f;
  f.name = a.name;
  f.version = a.version;
  f.context = a.basepath;
  return f;
}

FakeAdapter::Options fake_options(const Api& a = {}) {
  FakeAdapter::Options o;
  o.api = fake_api(a);
  return o;
}

// Options of a fake adapter that lists `apis` from the start.
FakeAdapter::Options preloaded_options(std::vector<FakeApi> apis = {fake_api()}) {
  auto o = fake_options();
  o.preloaded = std::move(apis);
  return o;
}

// Options of a fake adapter that misbehaves (`how`) on its first `count` POST /apis.
FakeAdapter::Options hostile_options(FakeAdapter::Hostile how, int count = 1) {
  auto o = fake_options();
  o.hostile = how;
  o.hostile_count = count;
  return o;
}

// Options of a fake adapter that answers `reply` to its first `count` requests METHOD PATH.
FakeAdapter::Options replying_options(const FakeReply& reply, int count = 100, const std::string& method = "POST",
                                      const std::string& path = "/apis") {
  auto o = hostile_options(FakeAdapter::Hostile::Custom, count);
  o.hostile_method = method;
  o.hostile_path = path;
  o.custom_reply = reply;
  return o;
}

// A client and the project write_project makes for Pets 1.0.0, in proj.
struct WithProject {
  Client c;
  TempDir t;
  const std::string proj = t.path + "/proj";

  WithProject() { write_project(proj); }
  // `portico deploy PROJ -e TARGET FLAGS...` with the admin credentials in the environment.
  Run deploy(const std::string& target, std::vector<std::string> flags = {}) const {
    flags.insert(flags.begin(), {"deploy", proj, "-e", target});
    return c(flags, "", admin_env());
  }
};

// A client and, in t, def.yaml: the definition of Pets 1.0.0.
struct WithDefinition {
  Client c;
  TempDir t;
  const std::string def = t.path + "/def.yaml";

  WithDefinition() { write_file(def, definition_yaml({})); }
};

std::vector<SeenRequest> requests_to(const FakeAdapter& f, const std::string& method, const std::string& sub) {
  std::vector<SeenRequest> out;
  for (const auto& r : f.requests())
    if (r.method == method && r.path == kBase + sub) out.push_back(r);
  return out;
}

// The zip uploaded by a POST /apis (the data of its `file` part), or "".
std::string uploaded_zip(const SeenRequest& r) {
  auto parts = parse_multipart(r.header("content-type"), r.body);
  if (!parts) return "";
  for (const auto& p : *parts)
    if (p.name == "file") return p.data;
  return "";
}

// ---------------------------------------------------------------- unzip

struct Unzip {
  std::string program = find_program("unzip");
  bool available() const { return !program.empty(); }
  // Entry names in central-directory order (unzip -Z1).
  std::vector<std::string> names(const std::string& zip) const {
    auto r = run({program, "-Z1", zip});
    INFO("unzip -Z1 " << zip << ": " << r.err);
    CHECK(r.exit_code == 0);
    return lines_of(r.out);
  }
  ProcessResult list(const std::string& zip) const { return run({program, "-l", zip}); }
  ProcessResult test(const std::string& zip) const { return run({program, "-tq", zip}); }
  std::string extract(const std::string& zip, const std::string& entry) const {
    return run({program, "-p", zip, entry}).out;
  }
};

// ---------------------------------------------------------------- contract

const std::regex kCredentialRe(R"(^[a-zA-Z0-9_~.@-]*$)");
const std::regex kQueryRe(R"(^[a-zA-Z:]*$)");
const std::regex kApiNameRe(R"(^[a-zA-Z0-9_~.-]{3,255}$)");
const std::regex kVersionRe(R"(^[a-zA-Z0-9_.-]{1,15}$)");
const std::regex kVhostRe(
    R"(^(\*|(\*-|\*\.)?(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9])(-\*|\.\*)?)$)");
const std::regex kEnvironmentsRe(R"(^[\w\s.-]*(:[\w\s.-]+)*$)");

// What in request r breaks adapterAPI.yaml (empty = nothing). POST /apis
// must carry ?override=true exactly when `override` is true.
std::vector<std::string> contract_problems(const SeenRequest& r, bool override) {
  std::vector<std::string> bad;
  auto params = r.params();
  auto count = [&](const std::string& k) {
    return std::count_if(params.begin(), params.end(), [&](const auto& p) { return p.first == k; });
  };
  if (r.path.rfind(kBase + "/", 0) != 0) {
    bad.push_back("path not under " + kBase + ": " + r.path);
    return bad;
  }
  std::string sub = r.path.substr(kBase.size());
  if (sub == "/oauth2/token") {
    if (r.method != "POST") bad.push_back("token request with method " + r.method);
    if (!params.empty()) bad.push_back("token request with a query: " + r.query);
    if (lower(r.header("content-type")).rfind("application/json", 0) != 0)
      bad.push_back("token request Content-Type is '" + r.header("content-type") + "'");
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) {
      bad.push_back("token body is not a JSON object");
    } else {
      std::set<std::string> keys;
      for (const auto& [k, v] : j.items()) keys.insert(k);
      if (keys != std::set<std::string>{"username", "password"})
        bad.push_back("token body keys are not exactly username, password: " + j.dump());
      for (const char* k : {"username", "password"}) {
        if (!j.contains(k) || !j[k].is_string()) {
          bad.push_back(std::string("token body ") + k + " is not a string");
          continue;
        }
        auto v = j[k].get<std::string>();
        if (v.size() > 100 || !std::regex_match(v, kCredentialRe))
          bad.push_back(std::string("token body ") + k + " breaks ^[a-zA-Z0-9_~.@-]*$ or 100 chars");
      }
    }
    return bad;
  }
  if (sub != "/apis") {
    bad.push_back("unknown path " + r.path);
    return bad;
  }
  std::string auth = r.header("authorization");
  if (!((auth.rfind("Basic ", 0) == 0 && auth.size() > 6) || (auth.rfind("Bearer ", 0) == 0 && auth.size() > 7)))
    bad.push_back(r.method + " /apis without Basic or Bearer authorization");
  if (r.method == "POST") {
    if (override) {
      if (!(params.size() == 1 && params[0].first == "override" && params[0].second == "true"))
        bad.push_back("POST /apis with --override has query '" + r.query + "', want exactly override=true");
    } else if (!params.empty()) {
      bad.push_back("POST /apis without --override has query '" + r.query + "'");
    }
    if (count("overwrite")) bad.push_back("POST /apis uses 'overwrite' (the adapter reads only 'override')");
    if (lower(r.header("content-type")).rfind("multipart/form-data", 0) != 0)
      bad.push_back("POST /apis Content-Type is '" + r.header("content-type") + "'");
    auto parts = parse_multipart(r.header("content-type"), r.body);
    if (!parts) {
      bad.push_back("POST /apis body is not valid multipart/form-data");
    } else {
      if (parts->size() != 1) bad.push_back("POST /apis has " + std::to_string(parts->size()) + " parts, want 1");
      int files = 0;
      for (const auto& p : *parts) {
        if (p.name != "file") continue;
        ++files;
        if (p.data.rfind(std::string("PK\x03\x04", 4), 0) != 0) bad.push_back("the file part is not a zip");
      }
      if (files != 1) bad.push_back("POST /apis has " + std::to_string(files) + " parts named 'file', want 1");
    }
  } else if (r.method == "GET") {
    for (const auto& [k, v] : params) {
      if (k != "query" && k != "limit") bad.push_back("GET /apis with parameter '" + k + "'");
      if (k == "query" && (v.size() > 9 || !std::regex_match(v, kQueryRe)))
        bad.push_back("GET /apis query '" + v + "' breaks ^[a-zA-Z:]*$ or 9 chars");
      if (k == "limit") {
        bool digits = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || v.size() > 9 || std::stoll(v) < 1 || std::stoll(v) > 100000000)
          bad.push_back("GET /apis limit '" + v + "' is not an integer in 1..1e8");
      }
    }
    if (count("query") > 1 || count("limit") > 1) bad.push_back("GET /apis repeats a parameter");
    if (!r.body.empty()) bad.push_back("GET /apis with a body");
  } else if (r.method == "DELETE") {
    for (const auto& [k, v] : params) {
      if (k == "apiName") {
        if (!std::regex_match(v, kApiNameRe)) bad.push_back("DELETE apiName '" + v + "' breaks its pattern");
      } else if (k == "version") {
        if (!std::regex_match(v, kVersionRe)) bad.push_back("DELETE version '" + v + "' breaks its pattern");
      } else if (k == "vhost") {
        if (v.size() > 255 || !std::regex_match(v, kVhostRe)) bad.push_back("DELETE vhost '" + v + "' breaks its pattern");
      } else if (k == "environments") {
        if (v.size() > 255 || !std::regex_match(v, kEnvironmentsRe))
          bad.push_back("DELETE environments '" + v + "' breaks its pattern");
      } else {
        bad.push_back("DELETE /apis with parameter '" + k + "'");
      }
    }
    if (count("apiName") != 1 || count("version") != 1) bad.push_back("DELETE /apis needs apiName and version once");
    if (!r.body.empty()) bad.push_back("DELETE /apis with a body");
    if (r.has_header("transfer-encoding")) bad.push_back("DELETE /apis with Transfer-Encoding");
    if (r.has_header("content-length") && r.header("content-length") != "0")
      bad.push_back("DELETE /apis with Content-Length " + r.header("content-length"));
  } else {
    bad.push_back("method " + r.method + " on /apis");
  }
  return bad;
}

void check_contract(const std::vector<SeenRequest>& reqs, std::size_t from, std::size_t to, bool override,
                    const std::string& command) {
  for (std::size_t i = from; i < to && i < reqs.size(); ++i) {
    for (const auto& p : contract_problems(reqs[i], override)) {
      INFO("command: " << command << "; request " << reqs[i].method << " " << reqs[i].target);
      FAIL_CHECK(p);
    }
  }
}

}  // namespace

// ======================================================================= init

TEST_CASE_FIXTURE(WithDefinition, "init: --oas FILE writes the project files and copies the definition byte for byte") {
  auto r = c({"init", t.path + "/proj", "--oas", def});
  INFO(r);
  REQUIRE(r.code == 0);
  const std::string p = t.path + "/proj";
  CHECK(read_file(p + "/Definitions/swagger.yaml") == read_file(def));
  CHECK(fs::is_regular_file(p + "/api.yaml"));
  CHECK(fs::is_regular_file(p + "/deployment_environments.yaml"));
  CHECK(fs::is_regular_file(p + "/api_meta.yaml"));
  CHECK(fs::is_regular_file(p + "/README.md"));
  CHECK(fs::is_directory(p + "/Endpoint-certificates"));
  CHECK(!fs::exists(p + "/Definitions/swagger.json"));
  auto api = read_file(p + "/api.yaml");
  CHECK(contains(api, "name: Pets"));
  CHECK(contains(api, "context: /pets"));
  CHECK(contains(read_file(p + "/deployment_environments.yaml"), "Default"));
  auto v = c({"validate", p});
  INFO(v);
  CHECK(v.code == 0);
}

TEST_CASE("init: a JSON definition is copied to Definitions/swagger.json byte for byte") {
  TempDir t;
  Client c;
  write_file(t.path + "/def.json", definition_json({}));
  auto r = c({"init", t.path + "/proj", "--oas", t.path + "/def.json"});
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(read_file(t.path + "/proj/Definitions/swagger.json") == read_file(t.path + "/def.json"));
  CHECK(!fs::exists(t.path + "/proj/Definitions/swagger.yaml"));
  auto v = c({"validate", t.path + "/proj"});
  INFO(v);
  CHECK(v.code == 0);
}

TEST_CASE("init: without --oas writes a starter project whose definition validates") {
  TempDir t;
  Client c;
  auto r = c({"init", t.path + "/starter"});
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(fs::is_regular_file(t.path + "/starter/api.yaml"));
  CHECK(fs::is_regular_file(t.path + "/starter/Definitions/swagger.yaml"));
  CHECK(fs::is_directory(t.path + "/starter/Endpoint-certificates"));
  auto v = c({"validate", t.path + "/starter"});
  INFO(v);
  CHECK(v.code == 0);
  auto d = c({"validate", t.path + "/starter/Definitions/swagger.yaml"});
  INFO(d);
  CHECK(d.code == 0);
}

TEST_CASE("init: a definition with validation errors exits 1 and writes nothing") {
  TempDir t;
  Client c;
  write_file(t.path + "/bad.yaml", broken_definition());
  auto r = c({"init", t.path + "/new/proj", "--oas", t.path + "/bad.yaml"});
  INFO(r);
  CHECK(r.code == 1);
  CHECK(!fs::exists(t.path + "/new/proj"));
  CHECK(!fs::exists(t.path + "/new"));
  CHECK(contains(r.out + r.err, "failover-type-case"));
  // An empty directory that existed before stays, still empty.
  fs::create_directory(t.path + "/empty");
  auto e = c({"init", t.path + "/empty", "--oas", t.path + "/bad.yaml"});
  INFO(e);
  CHECK(e.code == 1);
  CHECK(fs::is_directory(t.path + "/empty"));
  CHECK(fs::is_empty(t.path + "/empty"));
}

TEST_CASE_FIXTURE(WithDefinition, "init: a non-empty DIR without --force exits 3 and is left untouched") {
  const std::string p = t.path + "/proj";
  write_file(p + "/notes.txt", "mine\n");
  write_file(p + "/api.yaml", "my own api.yaml\n");
  auto before = snapshot(p);
  auto r = c({"init", p, "--oas", def});
  INFO(r);
  CHECK(r.code == 3);
  CHECK(contains(r.err, "--force"));
  CHECK(snapshot(p) == before);
  CHECK(!fs::exists(p + "/Definitions"));
}

TEST_CASE_FIXTURE(WithDefinition, "init: --force replaces the generated files and leaves the user's other files byte for byte") {
  const std::string p = t.path + "/proj";
  write_file(p + "/api.yaml", "stale api.yaml\n");
  write_file(p + "/README.md", "stale readme\n");
  write_file(p + "/notes.txt", "user notes \x01\x02\n");
  write_file(p + "/Definitions/extra.yaml", "kept: true\n");
  write_file(p + "/Docs/guide.md", "# guide\n");
  write_file(p + "/Endpoint-certificates/backend.pem", "-----BEGIN CERTIFICATE-----\nuser\n");
  auto r = c({"init", p, "--oas", def, "--force"});
  INFO(r);
  REQUIRE(r.code == 0);
  auto after = snapshot(p);
  CHECK(after["notes.txt"] == "user notes \x01\x02\n");
  CHECK(after["Definitions/extra.yaml"] == "kept: true\n");
  CHECK(after["Docs/guide.md"] == "# guide\n");
  CHECK(after["Endpoint-certificates/backend.pem"] == "-----BEGIN CERTIFICATE-----\nuser\n");
  CHECK(after["api.yaml"] != "stale api.yaml\n");
  CHECK(contains(after["api.yaml"], "name: Pets"));
  CHECK(after["README.md"] != "stale readme\n");
  CHECK(after["Definitions/swagger.yaml"] == read_file(def));
  CHECK(after.count("deployment_environments.yaml"));
  CHECK(after.count("api_meta.yaml"));
}

TEST_CASE("init: --oas with a missing file exits 3, a non-https URL or an unverifiable https URL fails, writing nothing") {
  TempDir t;
  Client c;
  auto missing = c({"init", t.path + "/a", "--oas", t.path + "/nope.yaml"});
  INFO(missing);
  CHECK(missing.code == 3);
  CHECK(!fs::exists(t.path + "/a"));

  auto plain = c({"init", t.path + "/b", "--oas", "http://127.0.0.1:" + std::to_string(closed_port()) + "/x.yaml"});
  INFO(plain);
  CHECK(plain.code != 0);
  CHECK(!fs::exists(t.path + "/b"));

  TempGateway g;  // serves HTTPS with a self-signed certificate portico does not trust
  auto untrusted = c({"init", t.path + "/c", "--oas", g.origin() + kBase + "/openapi.yaml"});
  INFO(untrusted);
  CHECK(untrusted.code == 6);
  CHECK(!fs::exists(t.path + "/c"));
}

// ======================================================================== env

TEST_CASE("env: add appends the adapter base path once, list shows it, remove forgets it") {
  Client c;
  auto a = c({"env", "add", "prod", "--adapter", "https://127.0.0.1:9443"});
  INFO(a);
  REQUIRE(a.code == 0);
  auto b = c({"env", "add", "stage", "--adapter", "https://127.0.0.1:9444/api/mgw/adapter/0.1"});
  INFO(b);
  REQUIRE(b.code == 0);
  auto s = c({"env", "add", "slash", "--adapter", "https://127.0.0.1:9445/"});
  INFO(s);
  REQUIRE(s.code == 0);
  auto l = c({"env", "list", "--format", "json"});
  INFO(l);
  REQUIRE(l.code == 0);
  auto j = json::parse(l.out, nullptr, false);
  REQUIRE(j.is_array());
  std::map<std::string, std::string> adapters;
  for (const auto& e : j) adapters[e.value("name", "")] = e.value("adapter", "");
  CHECK(adapters["prod"] == "https://127.0.0.1:9443/api/mgw/adapter/0.1");
  CHECK(adapters["stage"] == "https://127.0.0.1:9444/api/mgw/adapter/0.1");
  CHECK(adapters["slash"] == "https://127.0.0.1:9445/api/mgw/adapter/0.1");
  REQUIRE(c({"env", "remove", "slash"}).code == 0);

  auto human = c({"env", "list"});
  INFO(human);
  CHECK(human.code == 0);
  CHECK(contains(human.out, "prod"));
  CHECK(contains(human.out, "https://127.0.0.1:9443/api/mgw/adapter/0.1"));

  auto rm = c({"env", "remove", "prod"});
  INFO(rm);
  CHECK(rm.code == 0);
  auto l2 = c({"env", "list", "--format", "json"});
  auto j2 = json::parse(l2.out, nullptr, false);
  REQUIRE(j2.is_array());
  CHECK(j2.size() == 1);
  CHECK(j2[0].value("name", "") == "stage");

  auto again = c({"env", "remove", "prod"});
  INFO(again);
  CHECK(again.code != 0);
  CHECK(contains(again.err, "prod"));
  auto use = c({"list", "-e", "prod"}, "", admin_env());
  INFO(use);
  CHECK((use.code == 2 || use.code == 3));
  CHECK(contains(use.err, "prod"));
}

TEST_CASE("env: add of an existing name exits 2 unless --force replaces it") {
  Client c;
  c.add_env("prod", "https://127.0.0.1:9443");
  auto dup = c({"env", "add", "prod", "--adapter", "https://127.0.0.1:9555"});
  INFO(dup);
  CHECK(dup.code == 2);
  CHECK(contains(dup.err, "--force"));
  auto j = c.env_list();
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 1);
  CHECK(j[0].value("adapter", "") == "https://127.0.0.1:9443/api/mgw/adapter/0.1");
  auto forced = c({"env", "add", "prod", "--adapter", "https://127.0.0.1:9555", "--force"});
  INFO(forced);
  CHECK(forced.code == 0);
  j = c.env_list();
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 1);
  CHECK(j[0].value("adapter", "") == "https://127.0.0.1:9555/api/mgw/adapter/0.1");
}

TEST_CASE("env: add refuses an adapter URL that is neither https nor http") {
  Client c;
  auto r = c({"env", "add", "x", "--adapter", "ftp://127.0.0.1:21"});
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "https://"));
  auto j = c.env_list();
  CHECK((j.is_array() && j.empty()));
}

TEST_CASE("env: list --format json gives name, adapter, ca_cert, insecure and login for each environment") {
  TempDir t;
  Client c;
  FakeAdapter fake(fake_options());
  write_file(t.path + "/ca.pem", "-----BEGIN CERTIFICATE-----\n");
  c.add_env("pinned", "https://127.0.0.1:9443", {"--ca-cert", t.path + "/ca.pem"});
  c.add_env("lax", "https://127.0.0.1:9444", {"--insecure"});
  c.add_env("fake", fake.url());
  auto login = c({"login", "fake", "-u", "admin", "--password-stdin"}, "admin");
  INFO(login);
  REQUIRE(login.code == 0);

  auto r = c({"env", "list", "--format", "json"});
  INFO(r);
  REQUIRE(r.code == 0);
  auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 3);
  std::map<std::string, json> by;
  for (const auto& e : j) {
    for (const char* k : {"name", "adapter", "ca_cert", "insecure", "login"}) CHECK_MESSAGE(e.contains(k), k);
    by[e.value("name", "")] = e;
  }
  REQUIRE(by.count("pinned"));
  REQUIRE(by.count("lax"));
  REQUIRE(by.count("fake"));
  CHECK(fs::path(by["pinned"]["ca_cert"].get<std::string>()).filename() == "ca.pem");
  CHECK(by["pinned"]["insecure"] == false);
  CHECK(by["pinned"]["login"].is_null());
  CHECK(by["lax"]["insecure"] == true);
  CHECK(by["lax"]["login"].is_null());
  CHECK(by["fake"]["adapter"] == fake.url() + kBase);
  const auto& l = by["fake"]["login"];
  REQUIRE(l.is_object());
  CHECK(l.value("username", "") == "admin");
  CHECK(l["expires"].is_number_integer());
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(l.value("expires", 0LL) > now);
  CHECK(l.value("expires", 0LL) <= now + 3700);
  CHECK(l["expired"] == false);
}

TEST_CASE("env: a config.yaml that cannot be parsed exits 3 naming the file") {
  Client c;
  write_file(c.cfg.path + "/config.yaml", "environments: [unclosed\n  : :\n");
  auto r = c({"env", "list"});
  INFO(r);
  CHECK(r.code == 3);
  CHECK(contains(r.err, "config.yaml"));
  auto l = c({"list", "-e", "prod"}, "", admin_env());
  INFO(l);
  CHECK(l.code == 3);
}

TEST_CASE("env: remove also forgets the environment's stored login") {
  Client c;
  FakeAdapter fake(fake_options());
  c.add_env("fake", fake.url());
  c.login("fake");
  auto tokens = fake.issued_tokens();
  REQUIRE(tokens.size() == 1);
  REQUIRE(contains(read_file(c.credentials_file()), tokens[0]));
  auto r = c({"env", "remove", "fake"});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(!contains(read_file(c.credentials_file()), tokens[0]));
  // Added again, it has no login.
  c.add_env("fake", fake.url());
  auto l = c({"list", "-e", "fake"});
  INFO(l);
  CHECK(l.code == 5);
}

TEST_CASE("env: an --insecure environment works against the gateway and warns on every use") {
  TempGateway g;
  Client c;
  auto add = c({"env", "add", "lax", "--adapter", g.origin(), "--insecure"});
  INFO(add);
  REQUIRE(add.code == 0);
  for (int i = 0; i < 2; ++i) {
    auto r = c({"list", "-e", "lax"}, "", admin_env());
    INFO(r);
    CHECK(r.code == 0);
    CHECK(contains(r.err, "warning"));
  }
}

// ====================================================================== login

TEST_CASE("login: --password-stdin stores a token in credentials.yaml with mode 0600, never the password") {
  TempGateway g;
  Client c;
  c.add_env("local", g.origin(), {"--ca-cert", g.ca()});
  auto r = c({"login", "local", "-u", "admin", "--password-stdin"}, "admin");
  INFO(r);
  REQUIRE(r.code == 0);
  struct stat st {};
  REQUIRE(stat(c.credentials_file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto creds = read_file(c.credentials_file());
  CHECK(contains(creds, "eyJ"));  // a JWT
  CHECK(!contains(creds, "password"));
  // The stored login is enough for list.
  auto l = c({"list", "-e", "local"});
  INFO(l);
  CHECK(l.code == 0);
}

TEST_CASE("login: without a TTY and without --password-stdin exits 5 with a clear message instead of hanging") {
  Client c;
  FakeAdapter fake(fake_options());
  c.add_env("fake", fake.url());
  auto r = c({"login", "fake", "-u", "admin"});
  INFO(r);
  CHECK(r.code == 5);
  CHECK(r.seconds < 10);
  CHECK(contains(r.err, "--password-stdin"));
  CHECK((!fs::exists(c.credentials_file()) || !contains(read_file(c.credentials_file()), "fake")));
  CHECK(requests_to(fake, "POST", "/oauth2/token").empty());
}

TEST_CASE("login: a wrong password exits 5 and stores no login") {
  TempGateway g;
  Client c;
  c.add_env("local", g.origin(), {"--ca-cert", g.ca()});
  auto r = c({"login", "local", "-u", "admin", "--password-stdin"}, "not-the-password");
  INFO(r);
  CHECK(r.code == 5);
  auto j = c.env_list();
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 1);
  CHECK(j[0]["login"].is_null());
}

TEST_CASE("login: a credentials.yaml readable by group or others is refused with exit 3 and a chmod 600 hint") {
  Client c;
  FakeAdapter fake(fake_options());
  c.add_env("fake", fake.url());
  c.login("fake");
  REQUIRE(chmod(c.credentials_file().c_str(), 0644) == 0);
  auto before = fake.requests().size();
  auto r = c({"list", "-e", "fake"});
  INFO(r);
  CHECK(r.code == 3);
  CHECK(contains(r.err, "chmod 600"));
  CHECK(fake.requests().size() == before);
  REQUIRE(chmod(c.credentials_file().c_str(), 0640) == 0);
  auto group = c({"list", "-e", "fake"});
  INFO(group);
  CHECK(group.code == 3);
  CHECK(contains(group.err, "chmod 600"));
  auto login = c({"login", "fake", "-u", "admin", "--password-stdin"}, "admin");
  INFO(login);
  CHECK(login.code == 3);
  REQUIRE(chmod(c.credentials_file().c_str(), 0600) == 0);
  auto ok = c({"list", "-e", "fake"});
  INFO(ok);
  CHECK(ok.code == 0);
}

TEST_CASE("login: logout forgets the stored token, after which a command without credentials exits 5") {
  Client c;
  FakeAdapter fake(fake_options());
  c.add_env("fake", fake.url());
  c.login("fake");
  REQUIRE(c({"list", "-e", "fake"}).code == 0);
  auto out = c({"logout", "fake"});
  INFO(out);
  CHECK(out.code == 0);
  auto j = c.env_list();
  REQUIRE(j.is_array());
  CHECK(j[0]["login"].is_null());
  for (const auto& tok : fake.issued_tokens()) CHECK(!contains(read_file(c.credentials_file()), tok));
  auto r = c({"list", "-e", "fake"});
  INFO(r);
  CHECK(r.code == 5);
  CHECK(contains(r.err, "login"));
}

TEST_CASE("login: an expired token exits 5 without a way to renew it, and is renewed with PORTICO_USERNAME/PASSWORD") {
  TempGateway g({"--token-lifetime", "1"});
  Client c;
  c.add_env("local", g.origin(), {"--ca-cert", g.ca()});
  c.login("local");
  auto creds = read_file(c.credentials_file());
  std::smatch m;
  REQUIRE(std::regex_search(creds, m, std::regex(R"((eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+))")));
  const std::string token = m[1];
  std::this_thread::sleep_for(2500ms);

  auto envs = c.env_list();
  REQUIRE(envs.is_array());
  REQUIRE(envs.size() == 1);
  CHECK(envs[0]["login"]["expired"] == true);

  auto stored = c({"list", "-e", "local"});
  INFO(stored);
  CHECK(stored.code == 5);
  CHECK(contains(stored.err, "login"));
  CHECK(stored.seconds < 10);

  auto env_token = c({"list", "-e", "local"}, "", {{"PORTICO_TOKEN", token}});
  INFO(env_token);
  CHECK(env_token.code == 5);

  auto renewed = c({"list", "-e", "local", "--format", "json"}, "",
                   {{"PORTICO_TOKEN", token}, {"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", "admin"}});
  INFO(renewed);
  CHECK(renewed.code == 0);
  CHECK(json::parse(renewed.out, nullptr, false).is_object());
}

TEST_CASE("login: a token refused again after one renewal exits 5 instead of renewing for ever") {
  Client c;
  FakeAdapter fake(replying_options(FakeReply::json(401, R"({"code":401,"message":"invalid credentials"})"), 1000, "GET"));
  auto r = c({"list", "-e", fake.url()}, "",
             {{"PORTICO_TOKEN", "stale-token"}, {"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", "admin"}});
  INFO(r);
  CHECK(r.code == 5);
  CHECK(r.seconds < 10);
  CHECK(requests_to(fake, "POST", "/oauth2/token").size() == 1);
  CHECK(requests_to(fake, "GET", "/apis").size() == 2);
}

TEST_CASE("login: credentials from the environment take precedence over a stored login") {
  Client c;
  auto opt = fake_options();
  opt.extra_tokens = {"env-token-123"};
  FakeAdapter fake(opt);
  c.add_env("fake", fake.url());
  c.login("fake");
  auto tokens = fake.issued_tokens();
  REQUIRE(tokens.size() == 1);

  auto last_auth = [&] {
    auto gets = requests_to(fake, "GET", "/apis");
    return gets.empty() ? std::string() : gets.back().header("authorization");
  };
  REQUIRE(c({"list", "-e", "fake"}).code == 0);
  CHECK(last_auth() == "Bearer " + tokens[0]);

  auto basic = c({"list", "-e", "fake"}, "", admin_env());
  INFO(basic);
  CHECK(basic.code == 0);
  CHECK(last_auth() == "Basic " + base64_encode("admin:admin"));

  auto bearer = c({"list", "-e", "fake"}, "", {{"PORTICO_TOKEN", "env-token-123"}});
  INFO(bearer);
  CHECK(bearer.code == 0);
  CHECK(last_auth() == "Bearer env-token-123");

  // Environment credentials that are wrong are used (and fail), not silently replaced by the login.
  auto wrong = c({"list", "-e", "fake"}, "", admin_env("wrong"));
  INFO(wrong);
  CHECK(wrong.code == 5);
}

// ===================================================================== client

TEST_CASE_FIXTURE(WithProject, "client: no credentials at all exits 5 and says how to provide them") {
  FakeAdapter fake(fake_options());
  c.add_env("fake", fake.url());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"list", "-e", "fake"},
           {"deploy", proj, "-e", "fake"},
           {"undeploy", "-e", "fake", "--name", "Pets", "--version", "1.0.0"}}) {
    auto r = c(args);
    INFO(args[0] << " -e fake: " << r);
    CHECK(r.code == 5);
    CHECK(contains(r.err, "portico login fake"));
    CHECK(contains(r.err, "PORTICO_USERNAME"));
  }
  // With a URL instead of a name: the environment variables are the way.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"list", "-e", fake.url()},
           {"deploy", proj, "-e", fake.url()},
           {"undeploy", "-e", fake.url(), "--name", "Pets", "--version", "1.0.0"}}) {
    auto r = c(args);
    INFO(args[0] << " -e URL: " << r);
    CHECK(r.code == 5);
    CHECK(contains(r.err, "PORTICO_USERNAME"));
  }
  CHECK(requests_to(fake, "POST", "/apis").empty());
  CHECK(requests_to(fake, "DELETE", "/apis").empty());
}

TEST_CASE("client: --config-dir selects the configuration directory, over PORTICO_CONFIG_DIR") {
  TempDir flag_dir, env_dir;
  auto r = run_cli({"--config-dir", flag_dir.path + "/cfg", "env", "add", "prod", "--adapter", "https://127.0.0.1:9443"},
                   env_dir.path);
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(fs::exists(flag_dir.path + "/cfg/config.yaml"));
  CHECK(fs::is_empty(env_dir.path));
  auto l = run_cli({"env", "list", "--format", "json"}, flag_dir.path + "/cfg");
  auto j = json::parse(l.out, nullptr, false);
  REQUIRE(j.is_array());
  CHECK(j.size() == 1);
}

TEST_CASE("client: -e takes an https:// URL directly, and --ca-cert makes the gateway's certificate trusted") {
  TempGateway g;
  Client c;
  auto r = c({"list", "-e", g.origin(), "--ca-cert", g.ca(), "--format", "json"}, "", admin_env());
  INFO(r);
  REQUIRE(r.code == 0);
  auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j.value("count", -1) == 0);
  CHECK(!fs::exists(c.cfg.path + "/config.yaml"));  // no env add needed, nothing stored
}

TEST_CASE_FIXTURE(WithProject, "client: an untrusted certificate exits 6 with a hint about --ca-cert") {
  TempGateway g;
  auto l = c({"list", "-e", g.origin()}, "", admin_env());
  INFO(l);
  CHECK(l.code == 6);
  CHECK(contains(l.err, "--ca-cert"));
  auto d = deploy(g.origin(), {"--retries", "0"});
  INFO(d);
  CHECK(d.code == 6);
  CHECK(contains(d.err, "--ca-cert"));
  c.add_env("local", g.origin());
  auto login = c({"login", "local", "-u", "admin", "--password-stdin"}, "admin");
  INFO(login);
  CHECK(login.code == 6);
  auto fixed = c({"login", "local", "-u", "admin", "--password-stdin", "--ca-cert", g.ca()}, "admin");
  INFO(fixed);
  CHECK(fixed.code == 0);
}

TEST_CASE_FIXTURE(WithProject, "client: --insecure skips verification and prints a warning on stderr") {
  TempGateway g;
  auto r = c({"list", "-e", g.origin(), "--insecure"}, "", admin_env());
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.err, "warning"));
  CHECK(r.out.find("warning") == std::string::npos);
  c.add_env("local", g.origin());
  auto login = c({"login", "local", "-u", "admin", "--password-stdin", "--insecure"}, "admin");
  INFO(login);
  CHECK(login.code == 0);
  CHECK(contains(login.err, "warning"));
  auto d = c({"deploy", proj, "-e", "local", "--insecure"});
  INFO(d);
  CHECK(d.code == 0);
  CHECK(contains(d.err, "warning"));
  auto u = c({"undeploy", proj, "-e", "local", "--insecure"});
  INFO(u);
  CHECK(u.code == 0);
  CHECK(contains(u.err, "warning"));
}

TEST_CASE_FIXTURE(WithProject, "client: a wrong password in PORTICO_PASSWORD exits 5") {
  TempGateway g;
  auto l = c({"list", "-e", g.origin(), "--ca-cert", g.ca()}, "", admin_env("wrong"));
  INFO(l);
  CHECK(l.code == 5);
  auto d = c({"deploy", proj, "-e", g.origin(), "--ca-cert", g.ca()}, "", admin_env("wrong"));
  INFO(d);
  CHECK(d.code == 5);
}

TEST_CASE_FIXTURE(WithProject, "client: a closed port exits 6") {
  const std::string url = "https://127.0.0.1:" + std::to_string(closed_port());
  auto d = deploy(url, {"--retries", "0"});
  INFO(d);
  CHECK(d.code == 6);
  CHECK(d.seconds < 10);
  auto l = c({"list", "-e", url, "--timeout", "5"}, "", admin_env());
  INFO(l);
  CHECK(l.code == 6);
  CHECK(l.seconds < 15);
}

TEST_CASE_FIXTURE(WithProject, "client: a server that accepts TCP and never answers exits 6 after --timeout") {
  auto opt = hostile_options(FakeAdapter::Hostile::Silent, 1000);
  opt.hostile_method = "";
  opt.hostile_path = "";
  FakeAdapter fake(opt);
  auto r = deploy(fake.url(), {"--timeout", "2", "--retries", "0"});
  INFO(r);
  CHECK(r.code == 6);
  CHECK(r.seconds >= 1.5);
  CHECK(r.seconds < 10);
  CHECK(fake.requests().size() >= 1);
  auto l = c({"list", "-e", fake.url(), "--timeout", "2"}, "", admin_env());
  INFO(l);
  CHECK(l.code == 6);
  CHECK(l.seconds < 10);
}

TEST_CASE_FIXTURE(WithProject, "client: plain http:// adapters work with a warning") {
  FakeAdapter fake(fake_options());
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.err, "plain HTTP"));
  CHECK(fake.deployed());
}

TEST_CASE_FIXTURE(WithProject, "client: malformed adapter answers are errors, never a crash or a false success") {
  auto html = [] {
    FakeReply r;
    r.status = 200;
    r.content_type = "text/html";
    r.body = "<html><body>proxy login</body></html>";
    return r;
  }();
  {
    FakeAdapter fake(replying_options(html, 100, "GET"));
    auto l = c({"list", "-e", fake.url()}, "", admin_env());
    INFO(l);
    CHECK(l.code != 0);
    CHECK(l.code < 128);
    CHECK(!l.err.empty());
    auto d = deploy(fake.url());
    INFO(d);
    CHECK(d.code != 0);
    CHECK(d.code < 128);
    CHECK(!contains(d.out, "deployed "));
  }
  {
    // Entries without the expected fields, and of the wrong types.
    FakeAdapter fake(replying_options(
        FakeReply::json(200, R"({"total":2,"count":2,"list":[{"apiName":"Pets"},{"apiName":7,"gateway-envs":"x"}]})"), 100,
        "GET"));
    auto l = c({"list", "-e", fake.url(), "--format", "json"}, "", admin_env());
    INFO(l);
    CHECK(l.code < 128);
    if (l.code == 0) CHECK(!json::parse(l.out, nullptr, false).is_discarded());
    auto d = deploy(fake.url());
    INFO(d);
    CHECK(d.code != 0);  // Pets is listed without version or context: not verified
    CHECK(d.code < 128);
  }
  {
    FakeAdapter fake(replying_options(FakeReply::json(200, R"({"token":"x"})"), 100, "POST", "/oauth2/token"));
    c.add_env("fake", fake.url());
    auto l = c({"login", "fake", "-u", "admin", "--password-stdin"}, "admin");
    INFO(l);
    CHECK(l.code != 0);
    CHECK(l.code < 128);
    auto j = c.env_list();
    REQUIRE(j.is_array());
    CHECK(j[0]["login"].is_null());
  }
}

TEST_CASE("client: the happy path: gateway, env add, login, init, validate, deploy, list, conflict, override, undeploy") {
  TempGateway g;
  Client c;
  TempDir t;
  write_file(t.path + "/def.yaml", definition_yaml({}));
  const std::string proj = t.path + "/proj";

  auto add = c({"env", "add", "local", "--adapter", g.origin(), "--ca-cert", g.ca()});
  INFO(add);
  REQUIRE(add.code == 0);
  auto login = c({"login", "local", "-u", "admin", "--password-stdin"}, "admin");
  INFO(login);
  REQUIRE(login.code == 0);
  auto init = c({"init", proj, "--oas", t.path + "/def.yaml"});
  INFO(init);
  REQUIRE(init.code == 0);
  auto val = c({"validate", proj});
  INFO(val);
  REQUIRE(val.code == 0);

  auto dep = c({"deploy", proj, "-e", "local"});
  INFO(dep);
  REQUIRE(dep.code == 0);
  CHECK(dep.out.rfind("deployed Pets 1.0.0 at /pets on local (verified: ", 0) == 0);

  auto list = c({"list", "-e", "local", "--format", "json"});
  INFO(list);
  REQUIRE(list.code == 0);
  auto j = json::parse(list.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j.value("count", -1) == 1);
  REQUIRE(j["apis"].size() == 1);
  CHECK(j["apis"][0].value("name", "") == "Pets");
  CHECK(j["apis"][0].value("version", "") == "1.0.0");
  CHECK(j["apis"][0].value("context", "") == "/pets");

  auto again = c({"deploy", proj, "-e", "local"});
  INFO(again);
  CHECK(again.code == 4);
  CHECK(contains(again.err, "--override"));

  auto over = c({"deploy", proj, "-e", "local", "--override"});
  INFO(over);
  CHECK(over.code == 0);

  auto und = c({"undeploy", proj, "-e", "local"});
  INFO(und);
  CHECK(und.code == 0);

  auto empty = c({"list", "-e", "local", "--format", "json"});
  INFO(empty);
  REQUIRE(empty.code == 0);
  auto e = json::parse(empty.out, nullptr, false);
  REQUIRE(e.is_object());
  CHECK(e.value("count", -1) == 0);
  CHECK(e["apis"] == json::array());

  auto und2 = c({"undeploy", proj, "-e", "local"});
  INFO(und2);
  CHECK(und2.code == 4);
  CHECK(contains(und2.err, "not deployed"));

  // Piped output: no colour, no progress bar.
  for (const Run* r : {&add, &login, &init, &dep, &list, &again, &over, &und, &empty, &und2}) {
    CHECK(!contains(r->out + r->err, "\x1b["));
    CHECK(!contains(r->out + r->err, "\r"));
  }
}

// ===================================================================== deploy

TEST_CASE_FIXTURE(WithProject, "deploy: an existing API without --override exits 4 and suggests --override") {
  FakeAdapter fake(preloaded_options());
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 4);
  CHECK(contains(r.err, "--override"));
  CHECK(!contains(r.out, "deployed "));
  auto o = deploy(fake.url(), {"--override"});
  INFO(o);
  CHECK(o.code == 0);
  auto posts = requests_to(fake, "POST", "/apis");
  REQUIRE(posts.size() == 2);
  CHECK(posts[0].query.empty());
  CHECK(posts[1].query == "override=true");
}

TEST_CASE("deploy: success prints 'deployed NAME VERSION at CONTEXT on ENV (verified: ...)'") {
  Client c;
  TempDir t;
  Api api{"Orders", "2.1.0", "/orders"};
  write_project(t.path + "/proj", api);
  FakeAdapter fake(fake_options(api));
  c.add_env("fake", fake.url());
  auto r = c({"deploy", t.path + "/proj", "-e", "fake"}, "", admin_env());
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(std::regex_search(r.out, std::regex(R"(^deployed Orders 2\.1\.0 at /orders on fake \(verified: [^)]*\)\n$)")));
  CHECK(fake.deployed());
  CHECK(requests_to(fake, "GET", "/apis").size() >= 1);  // verified with GET /apis
}

TEST_CASE_FIXTURE(WithProject, "deploy: --format json prints one JSON document with ok, target, name, version, context, archive, override, verified") {
  FakeAdapter fake(fake_options());
  auto r = deploy(fake.url(), {"--format", "json"});
  INFO(r);
  REQUIRE(r.code == 0);
  auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["ok"] == true);
  CHECK(j.contains("target"));
  CHECK(j["name"] == "Pets");
  CHECK(j["version"] == "1.0.0");
  CHECK(j["context"] == "/pets");
  REQUIRE(j["archive"].is_object());
  CHECK(j["archive"]["entries"].is_number_integer());
  CHECK(j["archive"]["bytes"].is_number_integer());
  auto posts = requests_to(fake, "POST", "/apis");
  REQUIRE(posts.size() == 1);
  CHECK(j["archive"]["bytes"] == uploaded_zip(posts[0]).size());
  CHECK(j["override"] == false);
  CHECK(j["verified"] == true);
}

TEST_CASE("deploy: validation errors exit 1 and nothing is uploaded") {
  Client c;
  TempDir t;
  write_project(t.path + "/proj", {"Broken", "1.0.0", "/broken"});
  write_file(t.path + "/proj/Definitions/swagger.yaml", broken_definition());
  write_file(t.path + "/broken.yaml", broken_definition());
  FakeAdapter fake(fake_options({"Broken", "1.0.0", "/broken"}));
  auto r = c({"deploy", t.path + "/proj", "-e", fake.url()}, "", admin_env());
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.out + r.err, "failover-type-case"));
  auto f = c({"deploy", t.path + "/broken.yaml", "-e", fake.url()}, "", admin_env());
  INFO(f);
  CHECK(f.code == 1);
  CHECK(requests_to(fake, "POST", "/apis").empty());
}

TEST_CASE_FIXTURE(WithProject, "deploy: a stray openapi.yaml at the project root is a project-stray-file error, exit 1") {
  write_file(proj + "/openapi.yaml", definition_yaml({}));
  FakeAdapter fake(fake_options());
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.out + r.err, "project-stray-file"));
  CHECK(requests_to(fake, "POST", "/apis").empty());
}

TEST_CASE_FIXTURE(WithProject, "deploy: --dry-run prints the plan (create, or update that needs --override) and uploads nothing") {
  FakeAdapter fake(fake_options());
  auto r = deploy(fake.url(), {"--dry-run"});
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, fake.url()));
  CHECK(contains(r.out, "Pets"));
  CHECK(contains(r.out, "1.0.0"));
  CHECK(contains(r.out, "/pets"));
  CHECK(contains(r.out, "Pets-1.0.0/api.yaml"));
  CHECK(contains(r.out, "create"));
  CHECK(!contains(r.out, "needs --override"));
  CHECK(requests_to(fake, "POST", "/apis").empty());

  FakeAdapter existing(preloaded_options());
  auto u = deploy(existing.url(), {"--dry-run"});
  INFO(u);
  REQUIRE(u.code == 4);  // what the real deploy would give
  CHECK(contains(u.out, "update: needs --override"));
  auto uj = deploy(existing.url(), {"--dry-run", "--format", "json"});
  INFO(uj);
  REQUIRE(uj.code == 4);
  auto j = json::parse(uj.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["dry_run"] == true);
  CHECK(j["name"] == "Pets");
  CHECK(j["version"] == "1.0.0");
  CHECK(j["context"] == "/pets");
  CHECK(j["action"] == "update: needs --override");
  CHECK(requests_to(existing, "POST", "/apis").empty());

  auto cj = deploy(fake.url(), {"--dry-run", "--format", "json"});
  INFO(cj);
  REQUIRE(cj.code == 0);
  auto k = json::parse(cj.out, nullptr, false);
  REQUIRE(k.is_object());
  CHECK(k["dry_run"] == true);
  CHECK(k["action"] == "create");
  CHECK(requests_to(fake, "POST", "/apis").empty());
}

TEST_CASE_FIXTURE(WithProject, "deploy: --keep-archive gives byte-identical zips with one root folder, sorted entries, no VCS, dotfiles or backups") {
  Unzip unzip;
  REQUIRE_MESSAGE(unzip.available(), "the `unzip` program is needed (apt-get install unzip)");
  write_file(proj + "/Docs/notes.md", "notes\n");
  write_file(proj + "/Docs/zeta.txt", "z\n");
  write_file(proj + "/.git/HEAD", "ref: refs/heads/main\n");
  write_file(proj + "/.git/config", "[core]\n");
  write_file(proj + "/.env", "SECRET=1\n");
  write_file(proj + "/Docs/.hidden.md", "hidden\n");
  write_file(proj + "/api.yaml~", "backup\n");
  write_file(proj + "/Docs/notes.md~", "backup\n");
  write_file(proj + "/Definitions/swagger.yaml~", "stale definition backup\n");  // would be read as the definition
  write_file(proj + "/Definitions/.swagger.yaml.swp", "vim swap\n");
  write_file(proj + "/.github/workflows/ci.yaml", "on: push\n");
  FakeAdapter fake(fake_options());

  auto a = deploy(fake.url(), {"--dry-run", "--keep-archive", t.path + "/a.zip"});
  INFO(a);
  REQUIRE(a.code == 0);
  // Change timestamps and permissions: the archive must not change.
  fs::last_write_time(proj + "/api.yaml", fs::file_time_type::clock::now() - 48h);
  fs::last_write_time(proj + "/Docs/notes.md", fs::file_time_type::clock::now() + 1h);
  fs::permissions(proj + "/Docs/zeta.txt", fs::perms::owner_read | fs::perms::owner_write);
  std::this_thread::sleep_for(1100ms);  // a later clock second as well
  auto b = deploy(fake.url(), {"--keep-archive", t.path + "/b.zip"});
  INFO(b);
  REQUIRE(b.code == 0);
  auto za = read_file(t.path + "/a.zip");
  auto zb = read_file(t.path + "/b.zip");
  REQUIRE(!za.empty());
  CHECK(za == zb);
  auto posts = requests_to(fake, "POST", "/apis");
  REQUIRE(posts.size() == 1);
  CHECK(uploaded_zip(posts[0]) == zb);  // the kept archive is what was uploaded

  auto t1 = unzip.test(t.path + "/a.zip");
  INFO("unzip -t: " << t1.out << t1.err);
  CHECK(t1.exit_code == 0);
  auto names = unzip.names(t.path + "/a.zip");
  REQUIRE(!names.empty());
  CHECK(std::is_sorted(names.begin(), names.end()));
  std::set<std::string> files;
  for (const auto& n : names) {
    INFO("entry: " << n);
    CHECK(n.rfind("Pets-1.0.0/", 0) == 0);
    CHECK(!contains(n, ".git"));
    CHECK(!contains(n, "/."));
    CHECK(n.back() != '~');
    if (n.back() != '/') files.insert(n);
  }
  CHECK(files == std::set<std::string>{"Pets-1.0.0/Definitions/swagger.yaml", "Pets-1.0.0/Docs/notes.md",
                                       "Pets-1.0.0/Docs/zeta.txt", "Pets-1.0.0/api.yaml",
                                       "Pets-1.0.0/deployment_environments.yaml"});
  // unzip -Z: every file entry has the same permissions and the same fixed date and time.
  auto z = run({unzip.program, "-Z", t.path + "/b.zip"});
  INFO("unzip -Z: " << z.out);
  CHECK(z.exit_code == 0);
  std::set<std::string> modes, stamps;
  for (const auto& line : lines_of(z.out)) {
    auto w = words_of(line);
    if (w.size() < 9 || line[0] != '-') continue;
    modes.insert(w[0]);
    stamps.insert(w[6] + " " + w[7]);
  }
  CHECK(modes.size() == 1);
  CHECK(stamps.size() == 1);
  auto l = unzip.list(t.path + "/a.zip");
  INFO(l.out);
  CHECK(l.exit_code == 0);
  CHECK(contains(l.out, "Pets-1.0.0/api.yaml"));
  CHECK(unzip.extract(t.path + "/a.zip", "Pets-1.0.0/api.yaml") == read_file(proj + "/api.yaml"));
  CHECK(unzip.extract(t.path + "/a.zip", "Pets-1.0.0/Definitions/swagger.yaml") ==
        read_file(proj + "/Definitions/swagger.yaml"));
}

TEST_CASE_FIXTURE(WithProject, "deploy: a symlink pointing outside the project is refused (project-symlink, exit 1; exit 3 past validation), naming the link") {
  write_file(t.path + "/outside/secret.txt", "outside the project\n");
  fs::create_directories(proj + "/Docs");
  fs::create_symlink(t.path + "/outside/secret.txt", proj + "/Docs/link.txt");
  FakeAdapter fake(fake_options());
  auto r = deploy(fake.url(), {"--skip-validation", "--keep-archive", t.path + "/k.zip"});
  INFO(r);
  CHECK(r.code == 3);
  CHECK(contains(r.err, "link.txt"));
  CHECK(requests_to(fake, "POST", "/apis").empty());
  CHECK(!fs::exists(t.path + "/k.zip"));
  auto plain = deploy(fake.url());
  INFO(plain);
  CHECK(plain.code == 1);
  CHECK(contains(plain.err, "[project-symlink]"));
  CHECK(contains(plain.err, "Docs/link.txt"));
  CHECK(requests_to(fake, "POST", "/apis").empty());
  // A symlinked directory is refused too, not followed.
  fs::remove(proj + "/Docs/link.txt");
  fs::create_directory_symlink(t.path + "/outside", proj + "/Shared");
  auto dir = deploy(fake.url(), {"--skip-validation"});
  INFO(dir);
  CHECK(dir.code == 3);
  CHECK(contains(dir.err, "Shared"));
  CHECK(requests_to(fake, "POST", "/apis").empty());
}

TEST_CASE("deploy: a single OpenAPI file is deployed as the project init would build") {
  Unzip unzip;
  REQUIRE_MESSAGE(unzip.available(), "the `unzip` program is needed (apt-get install unzip)");
  Client c;
  TempDir t;
  Api api{"Catalog", "3.0.0", "/catalog"};
  write_file(t.path + "/catalog.yaml", definition_yaml(api));
  FakeAdapter fake(fake_options(api));
  auto r = c({"deploy", t.path + "/catalog.yaml", "-e", fake.url()}, "", admin_env());
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "deployed Catalog 3.0.0 at /catalog"));
  auto posts = requests_to(fake, "POST", "/apis");
  REQUIRE(posts.size() == 1);
  write_file(t.path + "/up.zip", uploaded_zip(posts[0]));
  auto names = unzip.names(t.path + "/up.zip");
  std::set<std::string> got(names.begin(), names.end());
  CHECK(got.count("Catalog-3.0.0/api.yaml"));
  CHECK(got.count("Catalog-3.0.0/Definitions/swagger.yaml"));
  CHECK(got.count("Catalog-3.0.0/deployment_environments.yaml"));
  CHECK(unzip.extract(t.path + "/up.zip", "Catalog-3.0.0/Definitions/swagger.yaml") == definition_yaml(api));

  // The same as init + deploy of the project directory.
  REQUIRE(c({"init", t.path + "/proj", "--oas", t.path + "/catalog.yaml"}).code == 0);
  auto dry = c({"deploy", t.path + "/proj", "-e", fake.url(), "--dry-run", "--override", "--keep-archive", t.path + "/init.zip"}, "",
               admin_env());
  INFO(dry);
  REQUIRE(dry.code == 0);
  auto init_names = unzip.names(t.path + "/init.zip");
  std::set<std::string> want(init_names.begin(), init_names.end());
  CHECK(got == want);
  CHECK(unzip.extract(t.path + "/up.zip", "Catalog-3.0.0/api.yaml") ==
        unzip.extract(t.path + "/init.zip", "Catalog-3.0.0/api.yaml"));
}

TEST_CASE("deploy: a prebuilt .zip is uploaded as is") {
  std::string zip = find_program("zip");
  REQUIRE_MESSAGE(!zip.empty(), "the `zip` program is needed (apt-get install zip)");
  Client c;
  TempDir t;
  write_project(t.path + "/work/Project");
  auto z = run({zip, "-r", "-X", "-q", t.path + "/prebuilt.zip", "Project"}, {}, {}, t.path + "/work");
  REQUIRE_MESSAGE(z.exit_code == 0, z.err);
  FakeAdapter fake(fake_options());
  auto r = c({"deploy", t.path + "/prebuilt.zip", "-e", fake.url()}, "", admin_env());
  INFO(r);
  REQUIRE(r.code == 0);
  auto posts = requests_to(fake, "POST", "/apis");
  REQUIRE(posts.size() == 1);
  CHECK(uploaded_zip(posts[0]) == read_file(t.path + "/prebuilt.zip"));
}

TEST_CASE("deploy: a prebuilt .zip with a later api.yaml.bak naming another API is refused as project-stray-file, exit 1, like the directory") {
  std::string zip = find_program("zip");
  REQUIRE_MESSAGE(!zip.empty(), "the `zip` program is needed (apt-get install zip)");
  Client c;
  TempDir t;
  write_project(t.path + "/work/Project");
  write_project(t.path + "/other", {"Other", "2.0.0", "/other"});
  write_file(t.path + "/work/Project/api.yaml.bak", read_file(t.path + "/other/api.yaml"));
  // api.yaml first, the .bak added later: the adapter keeps the last match.
  auto z1 = run({zip, "-r", "-X", "-q", t.path + "/prebuilt.zip", "Project/api.yaml", "Project/Definitions",
                 "Project/deployment_environments.yaml"},
                {}, {}, t.path + "/work");
  REQUIRE_MESSAGE(z1.exit_code == 0, z1.err);
  auto z2 = run({zip, "-X", "-q", t.path + "/prebuilt.zip", "Project/api.yaml.bak"}, {}, {}, t.path + "/work");
  REQUIRE_MESSAGE(z2.exit_code == 0, z2.err);
  FakeAdapter fake(fake_options());

  auto r = c({"deploy", t.path + "/prebuilt.zip", "-e", fake.url()}, "", admin_env());
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.out + r.err, "project-stray-file"));
  CHECK(contains(r.out + r.err, "prebuilt.zip!/Project/api.yaml.bak"));
  CHECK_FALSE(contains(r.out + r.err, "Other"));

  // The same files as a directory: the same rule.
  auto d = c({"deploy", t.path + "/work/Project", "-e", fake.url()}, "", admin_env());
  INFO(d);
  CHECK(d.code == 1);
  CHECK(contains(d.out + d.err, "project-stray-file"));

  // --skip-validation does not skip it: a stray file is refused (exit 3), as package_directory does.
  auto s = c({"deploy", t.path + "/prebuilt.zip", "-e", fake.url(), "--skip-validation"}, "", admin_env());
  INFO(s);
  CHECK(s.code == 3);
  CHECK(contains(s.err, "api.yaml.bak"));
  CHECK(requests_to(fake, "POST", "/apis").empty());
}

TEST_CASE_FIXTURE(WithProject, "deploy: a 503 once is retried and the deploy succeeds") {
  FakeAdapter fake(hostile_options(FakeAdapter::Hostile::Status503));
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.err, "retrying"));
  CHECK(fake.deployed());
  CHECK(requests_to(fake, "POST", "/apis").size() == 2);
}

TEST_CASE_FIXTURE(WithProject, "deploy: a connection reset mid-upload once is retried and the deploy succeeds") {
  write_file(proj + "/Docs/big.bin", noise(6 << 20));  // an upload still under way when the reset comes
  FakeAdapter fake(hostile_options(FakeAdapter::Hostile::Reset));
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.err, "retrying"));
  CHECK(fake.deployed());
  auto posts = requests_to(fake, "POST", "/apis");
  REQUIRE(posts.size() == 2);
  CHECK(!posts[0].body_read);
  CHECK(posts[1].body_read);
  CHECK(uploaded_zip(posts[1]).size() > (6u << 20));
  CHECK(!contains(r.err, "\r"));  // no progress bar when stderr is not a terminal
}

TEST_CASE_FIXTURE(WithProject, "deploy: a 200 for an API the adapter then does not list fails verification, and --no-verify skips the check") {
  auto opt = fake_options();
  opt.list_after_deploy = false;
  FakeAdapter fake(opt);
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code != 0);
  CHECK(!contains(r.out, "deployed "));
  CHECK(!r.err.empty());
  CHECK(requests_to(fake, "GET", "/apis").size() >= 1);

  FakeAdapter fake2(opt);
  auto n = deploy(fake2.url(), {"--no-verify", "--format", "json"});
  INFO(n);
  CHECK(n.code == 0);
  auto j = json::parse(n.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["ok"] == true);
  CHECK(j["verified"] == false);
  CHECK(requests_to(fake2, "GET", "/apis").empty());
}

TEST_CASE_FIXTURE(WithProject, "deploy: a reset after the adapter took the upload, then 409 on the retry, is checked with GET /apis and succeeds") {
  FakeAdapter fake(hostile_options(FakeAdapter::Hostile::ResetAfterDeploy));
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.out, "deployed Pets 1.0.0 at /pets"));
  auto posts = requests_to(fake, "POST", "/apis");
  CHECK(posts.size() == 2);  // the first was deployed but unanswered; the retry met 409
  CHECK(requests_to(fake, "GET", "/apis").size() >= 1);
}

TEST_CASE_FIXTURE(WithProject, "deploy: an empty 500 exits 4 with a hint to run portico validate and read the adapter's log") {
  FakeAdapter fake(hostile_options(FakeAdapter::Hostile::Status500Empty, 100));
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 4);
  CHECK(contains(r.err, "portico validate"));
  CHECK(contains(r.err, "log"));
  CHECK(requests_to(fake, "POST", "/apis").size() == 1);  // a 500 is not retried
}

TEST_CASE_FIXTURE(WithProject, "deploy: 503 on every attempt is retried --retries times, then fails") {
  auto opt = hostile_options(FakeAdapter::Hostile::Status503, 100);
  FakeAdapter fake(opt);
  auto r = deploy(fake.url(), {"--retries", "2"});
  INFO(r);
  CHECK(r.code != 0);
  CHECK(r.seconds < 20);
  CHECK(requests_to(fake, "POST", "/apis").size() == 3);
  CHECK(!contains(r.out, "deployed "));

  FakeAdapter once(opt);
  auto z = deploy(once.url(), {"--retries", "0"});
  INFO(z);
  CHECK(z.code != 0);
  CHECK(requests_to(once, "POST", "/apis").size() == 1);
}

TEST_CASE_FIXTURE(WithProject, "deploy: leaves no temporary files and does not touch the project, on success and on every failure") {
  TempDir tmp;
  write_file(proj + "/Docs/notes.md", "notes\n");
  auto before = snapshot(proj);
  std::map<std::string, std::string> env = admin_env();
  env["TMPDIR"] = tmp.path;
  FakeAdapter fake(fake_options());
  auto check_clean = [&](const std::string& what) {
    INFO(what);
    std::vector<std::string> left;
    for (const auto& e : fs::recursive_directory_iterator(tmp.path)) left.push_back(e.path().string());
    CHECK_MESSAGE(left.empty(), "left in TMPDIR: " << (left.empty() ? "" : left[0]));
    CHECK(snapshot(proj) == before);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(t.path)) names.push_back(e.path().filename().string());
    CHECK(names == std::vector<std::string>{"proj"});
  };
  auto ok = c({"deploy", proj, "-e", fake.url()}, "", env);
  INFO(ok);
  CHECK(ok.code == 0);
  check_clean("after a deploy");
  auto conflict = c({"deploy", proj, "-e", fake.url()}, "", env);
  CHECK(conflict.code == 4);
  check_clean("after a 409");
  auto dry = c({"deploy", proj, "-e", fake.url(), "--dry-run"}, "", env);
  CHECK(dry.code == 4);  // it exists: the real deploy would need --override
  check_clean("after a dry run");
  auto closed = c({"deploy", proj, "-e", "http://127.0.0.1:" + std::to_string(closed_port()), "--retries", "0"}, "", env);
  CHECK(closed.code == 6);
  check_clean("after a connection failure");
  write_file(proj + "/Definitions/swagger.yaml", broken_definition());
  before = snapshot(proj);
  auto invalid = c({"deploy", proj, "-e", fake.url()}, "", env);
  CHECK(invalid.code == 1);
  check_clean("after validation errors");
}

TEST_CASE_FIXTURE(WithProject, "deploy: with --format json a failure leaves stdout empty or one JSON document") {
  FakeAdapter fake(preloaded_options());
  auto r = deploy(fake.url(), {"--format", "json"});
  INFO(r);
  CHECK(r.code == 4);
  if (!r.out.empty()) {
    auto j = json::parse(r.out, nullptr, false);
    CHECK(j.is_object());
    CHECK(j.value("ok", true) == false);
  }
  write_file(proj + "/Definitions/swagger.yaml", broken_definition());
  auto v = deploy(fake.url(), {"--format", "json"});
  INFO(v);
  CHECK(v.code == 1);
  if (!v.out.empty()) CHECK(!json::parse(v.out, nullptr, false).is_discarded());
}

TEST_CASE_FIXTURE(WithProject, "deploy: PATH defaults to the current directory") {
  FakeAdapter fake(fake_options());
  auto r = c({"deploy", "-e", fake.url()}, "", admin_env(), proj);
  INFO(r);
  CHECK(r.code == 0);
  CHECK(fake.deployed());
}

TEST_CASE("deploy: projects from init (x-wso2-basePath with a version, a servers path, the starter) deploy to the gateway and are verified") {
  TempGateway g;
  Client c;
  TempDir t;
  c.add_env("local", g.origin(), {"--ca-cert", g.ca()});
  // x-wso2-basePath carrying the version, and a title with a space.
  Api shop{"Swagger Shop", "2.0.0", "/shop/2.0.0"};
  write_file(t.path + "/shop.yaml", definition_yaml(shop));
  auto init = c({"init", t.path + "/shop", "--oas", t.path + "/shop.yaml"});
  INFO(init);
  REQUIRE(init.code == 0);
  auto api = read_file(t.path + "/shop/api.yaml");
  CHECK(contains(api, "name: SwaggerShop"));
  CHECK(contains(api, "context: /shop\n"));
  auto d = c({"deploy", t.path + "/shop", "-e", "local"}, "", admin_env());
  INFO(d);
  CHECK(d.code == 0);
  CHECK(contains(d.out, "deployed SwaggerShop 2.0.0 at /shop/2.0.0 on local"));

  // No extension for the base path: the path of the servers URL.
  write_file(t.path + "/store.yaml",
             "openapi: 3.0.1\n"
             "info:\n  title: Store\n  version: 1.2.0\n"
             "servers:\n  - url: http://store.example.com/store\n"
             "paths:\n  /items:\n    get:\n      responses:\n        '200':\n          description: OK\n");
  auto s = c({"deploy", t.path + "/store.yaml", "-e", "local", "--format", "json"}, "", admin_env());
  INFO(s);
  CHECK(s.code == 0);
  auto j = json::parse(s.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["context"] == "/store");
  CHECK(j["verified"] == true);

  // The starter project of init, as generated.
  REQUIRE(c({"init", t.path + "/starter"}).code == 0);
  auto st = c({"deploy", t.path + "/starter", "-e", "local"}, "", admin_env());
  INFO(st);
  CHECK(st.code == 0);

  auto l = c({"list", "-e", "local", "--format", "json"}, "", admin_env());
  auto lj = json::parse(l.out, nullptr, false);
  REQUIRE(lj.is_object());
  CHECK(lj["count"] == 3);
}

TEST_CASE_FIXTURE(WithProject, "deploy: a 400 with a JSON body (control-plane mode) exits 4 and shows the adapter's message") {
  FakeAdapter fake(replying_options(FakeReply::json(400, R"({"code":400,"message":"direct deploys are disabled: the adapter runs with a control plane"})")));
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 4);
  CHECK(contains(r.err, "control plane"));
  CHECK(requests_to(fake, "POST", "/apis").size() == 1);
}

TEST_CASE_FIXTURE(WithProject, "deploy: a 500 with a body exits 4 and shows the body") {
  FakeAdapter fake(replying_options(FakeReply::json(500, R"({"code":500,"message":"endpoint certificate backend.pem is not PEM"})")));
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 4);
  CHECK(contains(r.err, "backend.pem is not PEM"));
}

TEST_CASE_FIXTURE(WithProject, "deploy: a 403 exits 5") {
  FakeAdapter fake(replying_options(FakeReply::json(403, R"({"code":403,"message":"scope admin required"})")));
  auto r = deploy(fake.url());
  INFO(r);
  CHECK(r.code == 5);
}

TEST_CASE("login: a stored token is sent only to its own environment's adapter, and is dropped when the environment is re-pointed") {
  Client c;
  FakeAdapter one(fake_options()), two(fake_options());
  c.add_env("one", one.url());
  c.add_env("two", two.url());
  c.login("one");
  auto tokens = one.issued_tokens();
  REQUIRE(tokens.size() == 1);
  auto other = c({"list", "-e", "two"});
  INFO(other);
  CHECK(other.code == 5);
  auto url = c({"list", "-e", two.url()});
  INFO(url);
  CHECK(url.code == 5);
  // Re-point 'one' at the other adapter: its token must not follow.
  auto force = c({"env", "add", "one", "--adapter", two.url(), "--force"});
  INFO(force);
  REQUIRE(force.code == 0);
  auto moved = c({"list", "-e", "one"});
  INFO(moved);
  CHECK(moved.code == 5);
  for (const auto& r : two.requests()) CHECK_MESSAGE(!contains(r.header("authorization"), tokens[0]), r.target);
}

TEST_CASE_FIXTURE(WithProject, "client: a missing -e, a missing project or a missing ENV are usage or input errors") {
  auto no_env = c({"deploy", proj}, "", admin_env());
  INFO(no_env);
  CHECK(no_env.code == 2);
  CHECK(contains(no_env.err, "-e"));
  CHECK(c({"list"}, "", admin_env()).code == 2);
  auto not_project = c({"deploy", t.path, "-e", "https://127.0.0.1:1"}, "", admin_env());
  INFO(not_project);
  CHECK(not_project.code == 3);
  auto missing = c({"deploy", t.path + "/nope", "-e", "https://127.0.0.1:1"}, "", admin_env());
  INFO(missing);
  CHECK(missing.code == 3);
  CHECK(c({"login"}).code == 2);
  CHECK(c({"undeploy", "-e", "https://127.0.0.1:1", "--name", "Pets"}, "", admin_env()).code == 2);
  auto file = c({"init", proj + "/api.yaml"});
  INFO(file);
  CHECK(file.code == 3);
}

TEST_CASE_FIXTURE(WithProject, "deploy: a project for a gateway environment the gateway does not know fails verification instead of claiming success") {
  TempGateway g;
  write_file(proj + "/deployment_environments.yaml", deployment_environments_yaml({"Nowhere"}));
  auto r = deploy(g.origin(), {"--ca-cert", g.ca()});
  INFO(r);
  CHECK(r.code != 0);
  CHECK(!contains(r.out, "deployed "));
  CHECK(contains(r.err, "deployment_environments.yaml"));
  auto n = deploy(g.origin(), {"--ca-cert", g.ca(), "--no-verify"});
  INFO(n);
  CHECK(n.code == 0);
}

// ======================================================================= list

TEST_CASE("list: the human table has the header NAME VERSION TYPE CONTEXT ENVIRONMENTS VHOST and is sorted by name then version") {
  Client c;
  auto opt = fake_options();
  FakeApi zeta{"Zeta", "1.0.0", "/zeta"}, beta2{"Beta", "2.0.0", "/beta2"}, alpha{"Alpha", "1.0.0", "/alpha"},
      beta1{"Beta", "1.0.0", "/beta1"};
  beta2.envs = {"Default", "Staging"};
  beta2.vhost = "beta.example.com";
  opt.preloaded = {zeta, beta2, alpha, beta1};
  FakeAdapter fake(opt);
  auto r = c({"list", "-e", fake.url()}, "", admin_env());
  INFO(r);
  REQUIRE(r.code == 0);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 5);
  CHECK(words_of(lines[0]) == std::vector<std::string>{"NAME", "VERSION", "TYPE", "CONTEXT", "ENVIRONMENTS", "VHOST"});
  std::vector<std::pair<std::string, std::string>> order;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto w = words_of(lines[i]);
    REQUIRE(w.size() >= 6);
    order.emplace_back(w[0], w[1]);
  }
  CHECK(order == std::vector<std::pair<std::string, std::string>>{
                     {"Alpha", "1.0.0"}, {"Beta", "1.0.0"}, {"Beta", "2.0.0"}, {"Zeta", "1.0.0"}});
  auto w = words_of(lines[3]);
  CHECK(w[2] == "HTTP");
  CHECK(w[3] == "/beta2");
  CHECK(contains(lines[3], "Staging"));
  CHECK(w.back() == "beta.example.com");
}

TEST_CASE("list: --format json gives target, count and apis with name, version, type, context, environments, vhost") {
  Client c;
  auto opt = fake_options();
  FakeApi b{"Beta", "1.0.0", "/beta"}, a{"Alpha", "1.0.0", "/alpha"};
  a.envs = {"Default", "Staging"};
  a.vhost = "alpha.example.com";
  opt.preloaded = {b, a};
  FakeAdapter fake(opt);
  c.add_env("fake", fake.url());
  auto r = c({"list", "-e", "fake", "--format", "json"}, "", admin_env());
  INFO(r);
  REQUIRE(r.code == 0);
  auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["target"] == "fake");
  CHECK(j["count"] == 2);
  REQUIRE(j["apis"].is_array());
  REQUIRE(j["apis"].size() == 2);
  const auto& first = j["apis"][0];
  CHECK(first["name"] == "Alpha");
  CHECK(first["version"] == "1.0.0");
  CHECK(first["type"] == "HTTP");
  CHECK(first["context"] == "/alpha");
  CHECK(first["environments"] == json::array({"Default", "Staging"}));
  CHECK(first["vhost"] == "alpha.example.com");
  CHECK(j["apis"][1]["name"] == "Beta");
}

TEST_CASE("list: --query and --limit are passed to the adapter as query and limit") {
  Client c;
  FakeAdapter fake(preloaded_options({{"Beta", "1.0.0", "/beta"}, {"Alpha", "1.0.0", "/alpha"}, {"Gamma", "1.0.0", "/gamma"}}));
  auto r = c({"list", "-e", fake.url(), "--query", "type:http", "--limit", "2", "--format", "json"}, "", admin_env());
  INFO(r);
  REQUIRE(r.code == 0);
  auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["count"] == 2);
  CHECK(j["apis"].size() == 2);
  auto gets = requests_to(fake, "GET", "/apis");
  REQUIRE(gets.size() == 1);
  CHECK(gets[0].param("query") == std::optional<std::string>("type:http"));
  CHECK(gets[0].param("limit") == std::optional<std::string>("2"));
}

// =================================================================== undeploy

TEST_CASE("undeploy: --name/--version removes the API (exit 0), and an API that is not deployed exits 4 with 'not deployed'") {
  Client c;
  FakeAdapter fake(preloaded_options());
  auto r = c({"undeploy", "-e", fake.url(), "--name", "Pets", "--version", "1.0.0"}, "", admin_env());
  INFO(r);
  CHECK(r.code == 0);
  CHECK(!fake.deployed());
  auto again = c({"undeploy", "-e", fake.url(), "--name", "Pets", "--version", "1.0.0"}, "", admin_env());
  INFO(again);
  CHECK(again.code == 4);
  CHECK(contains(again.err, "not deployed"));
  auto dels = requests_to(fake, "DELETE", "/apis");
  REQUIRE(dels.size() == 2);
  CHECK(dels[0].param("apiName") == std::optional<std::string>("Pets"));
  CHECK(dels[0].param("version") == std::optional<std::string>("1.0.0"));
}

TEST_CASE("undeploy: PATH gives the name and version, and --vhost and --gateway-env are sent as vhost and environments") {
  Client c;
  TempDir t;
  Api api{"Orders", "2.0.0", "/orders"};
  write_project(t.path + "/proj", api);
  auto opt = fake_options(api);
  opt.preloaded = {fake_api(api)};
  FakeAdapter fake(opt);
  auto r = c({"undeploy", t.path + "/proj", "-e", fake.url(), "--vhost", "orders.example.com", "--gateway-env",
              "Default", "--gateway-env", "Staging"},
             "", admin_env());
  INFO(r);
  CHECK(r.code == 0);
  auto dels = requests_to(fake, "DELETE", "/apis");
  REQUIRE(dels.size() == 1);
  CHECK(dels[0].param("apiName") == std::optional<std::string>("Orders"));
  CHECK(dels[0].param("version") == std::optional<std::string>("2.0.0"));
  CHECK(dels[0].param("vhost") == std::optional<std::string>("orders.example.com"));
  CHECK(dels[0].param("environments") == std::optional<std::string>("Default:Staging"));
}

TEST_CASE("undeploy: an OpenAPI file PATH names the API as init would (title without spaces)") {
  Client c;
  TempDir t;
  Api api{"Swagger Shop", "2.0.0", "/shop"};
  write_file(t.path + "/shop.yaml", definition_yaml(api));
  FakeAdapter fake(preloaded_options({{"SwaggerShop", "2.0.0", "/shop"}}));
  auto r = c({"undeploy", t.path + "/shop.yaml", "-e", fake.url()}, "", admin_env());
  INFO(r);
  CHECK(r.code == 0);
  auto dels = requests_to(fake, "DELETE", "/apis");
  REQUIRE(dels.size() == 1);
  CHECK(dels[0].param("apiName") == std::optional<std::string>("SwaggerShop"));
  CHECK(dels[0].param("version") == std::optional<std::string>("2.0.0"));
}

// =================================================================== contract

TEST_CASE_FIXTURE(WithProject, "contract: every request portico sends matches adapterAPI.yaml") {
  FakeAdapter fake(fake_options());
  c.add_env("fake", fake.url());

  struct Step {
    std::vector<std::string> args;
    std::string input;
    std::map<std::string, std::string> env;
    bool override;
    int want;
  };
  std::vector<Step> steps = {
      {{"login", "fake", "-u", "admin", "--password-stdin"}, "admin", {}, false, 0},
      {{"deploy", proj, "-e", "fake", "--dry-run"}, "", {}, false, 0},
      {{"deploy", proj, "-e", "fake"}, "", {}, false, 0},
      {{"deploy", proj, "-e", "fake"}, "", {}, false, 4},
      {{"deploy", proj, "-e", "fake", "--override"}, "", {}, true, 0},
      {{"deploy", proj, "-e", "fake", "--override"}, "", admin_env(), true, 0},
      {{"list", "-e", "fake"}, "", {}, false, 0},
      {{"list", "-e", "fake", "--query", "type:http", "--limit", "5"}, "", admin_env(), false, 0},
      {{"undeploy", proj, "-e", "fake", "--vhost", "localhost", "--gateway-env", "Default"}, "", {}, false, 0},
      {{"undeploy", "-e", "fake", "--name", "Pets", "--version", "1.0.0"}, "", admin_env(), false, 4},
  };
  for (const auto& s : steps) {
    std::size_t from = fake.requests().size();
    auto r = c(s.args, s.input, s.env);
    std::string cmd;
    for (const auto& a : s.args) cmd += a + " ";
    INFO(cmd << "\n" << r);
    CHECK(r.code == s.want);
    auto reqs = fake.requests();
    CHECK(reqs.size() > from);
    check_contract(reqs, from, reqs.size(), s.override, cmd);
  }
  CHECK(requests_to(fake, "POST", "/oauth2/token").size() == 1);
  CHECK(requests_to(fake, "POST", "/apis").size() == 4);
  CHECK(requests_to(fake, "DELETE", "/apis").size() == 2);
}

TEST_CASE("contract: values the adapter's patterns forbid are refused before anything is sent") {
  Client c;
  FakeAdapter fake(fake_options());
  const std::string url = fake.url();
  const std::vector<std::vector<std::string>> cases = {
      {"list", "-e", url, "--limit", "0"},
      {"list", "-e", url, "--query", "type:websocket"},  // 14 characters, at most 9
      {"list", "-e", url, "--query", "type:http;"},
      {"undeploy", "-e", url, "--name", "ab", "--version", "1"},  // apiName needs 3..255
      {"undeploy", "-e", url, "--name", "Pets API", "--version", "1"},
      {"undeploy", "-e", url, "--name", "Pets", "--version", "1234567890123456"},  // at most 15
      {"undeploy", "-e", url, "--name", "Pets", "--version", "1.0.0", "--vhost", "bad vhost"},
  };
  for (const auto& args : cases) {
    std::size_t from = fake.requests().size();
    auto r = c(args, "", admin_env());
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    INFO(cmd << "\n" << r);
    CHECK(r.code == 2);  // a usage error, found before any request
    CHECK(fake.requests().size() == from);
  }
  // A password the token endpoint cannot take (Basic auth can): no token request.
  c.add_env("fake", url);
  std::size_t from = fake.requests().size();
  auto login = c({"login", "fake", "-u", "admin", "--password-stdin"}, "pass word!");
  INFO(login);
  CHECK(login.code != 0);
  CHECK(contains(login.err, "PORTICO_PASSWORD"));  // Basic authentication takes any password
  CHECK(fake.requests().size() == from);
}

TEST_CASE("contract: the request checker itself flags requests that break adapterAPI.yaml") {
  FakeAdapter fake(fake_options());
  auto send = [&](HttpRequest req) {
    req.url = fake.url() + req.url;
    req.timeout_ms = 5000;
    http_request(req);
    auto reqs = fake.requests();
    REQUIRE(!reqs.empty());
    return reqs.back();
  };
  HttpRequest overwrite;
  overwrite.method = "POST";
  overwrite.url = kBase + "/apis?overwrite=true";
  overwrite.basic = std::make_pair("admin", "admin");
  overwrite.parts.push_back({"file", std::string("PK\x03\x04", 4) + "rest", "p.zip", "application/zip"});
  CHECK(!contract_problems(send(overwrite), false).empty());
  HttpRequest two_parts = overwrite;
  two_parts.url = kBase + "/apis";
  two_parts.parts.push_back({"extra", "x", "", ""});
  CHECK(!contract_problems(send(two_parts), false).empty());
  HttpRequest not_zip = two_parts;
  not_zip.parts.pop_back();
  not_zip.parts[0].data = "not a zip";
  CHECK(!contract_problems(send(not_zip), false).empty());
  HttpRequest good = not_zip;
  good.parts[0].data = std::string("PK\x03\x04", 4) + "rest";
  CHECK(contract_problems(send(good), false).empty());
  CHECK(!contract_problems(send(good), true).empty());  // --override but no override=true
  HttpRequest list;
  list.url = kBase + "/apis?query=type:websocket&offset=1";
  list.basic = std::make_pair("admin", "admin");
  CHECK(contract_problems(send(list), false).size() == 2);
  HttpRequest del;
  del.method = "DELETE";
  del.url = kBase + "/apis?apiName=ab&version=1";
  del.bearer = "t";
  del.body = R"({"apiName":"petstore"})";
  CHECK(contract_problems(send(del), false).size() == 3);  // apiName, a body, Content-Length
  HttpRequest token;
  token.method = "POST";
  token.url = kBase + "/oauth2/token";
  token.headers.push_back("Content-Type: application/json");
  token.body = R"({"username":"admin","password":"a b","extra":1})";
  CHECK(contract_problems(send(token), false).size() == 2);
  HttpRequest noauth;
  noauth.url = kBase + "/apis";
  CHECK(!contract_problems(send(noauth), false).empty());
}

TEST_CASE_FIXTURE(WithProject, "contract: -v traces requests with credentials redacted and never prints a password or token") {
  const std::string password = "Zq7-Secret.Pw_42";
  auto opt = fake_options();
  opt.password = password;
  FakeAdapter fake(opt);
  c.add_env("fake", fake.url());
  const std::string basic = base64_encode("admin:" + password);

  std::string all_err, all_out;
  auto runv = [&](const std::vector<std::string>& args, const std::string& input,
                  const std::map<std::string, std::string>& env) {
    auto r = c(args, input, env);
    INFO(r);
    CHECK(r.code == 0);
    all_err += r.err;
    all_out += r.out;
    return r;
  };
  auto b = runv({"-v", "deploy", proj, "-e", "fake"}, "", admin_env(password));
  CHECK(contains(b.err, "Authorization: Basic [redacted]"));
  auto login = runv({"-v", "login", "fake", "-u", "admin", "--password-stdin"}, password, {});
  auto tokens = fake.issued_tokens();
  REQUIRE(tokens.size() == 1);
  auto l = runv({"-v", "list", "-e", "fake"}, "", {});
  CHECK(contains(l.err, "Authorization: Bearer [redacted]"));
  runv({"-v", "deploy", proj, "-e", "fake", "--override"}, "", {});
  runv({"-v", "undeploy", proj, "-e", "fake"}, "", {{"PORTICO_TOKEN", tokens[0]}});
  // A refused token renewed with the password from the environment (POST /oauth2/token with it).
  auto renew = runv({"-v", "list", "-e", "fake"}, "",
                    {{"PORTICO_TOKEN", "bogus-token-77"}, {"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", password}});
  CHECK(contains(renew.err, "/oauth2/token"));
  CHECK(!contains(all_err, "bogus-token-77"));
  tokens = fake.issued_tokens();
  for (const auto& tok : tokens) CHECK(!contains(all_err, tok));

  CHECK(!contains(all_err, password));
  CHECK(!contains(all_out, password));
  CHECK(!contains(all_err, basic));
  CHECK(!contains(all_err, tokens[0]));
  CHECK(!contains(all_out, tokens[0]));
  // The token's signature alone must not leak either.
  CHECK(!contains(all_err, tokens[0].substr(tokens[0].rfind('.') + 1)));
  CHECK(!contains(read_file(c.credentials_file()), password));
}

// What a new user meets with the client commands (issue 10): outcomes that
// must be told as they are (a deploy that was applied but not verified, a
// --dry-run that is a preflight), no temporary file left on any exit path
// (real signals at several moments of a large deploy), one JSON document on
// stdout with --format json also on failure, and the messages and hints of
// init, deploy, list, env list, validate and the command line itself.
//
// Servers are real `portico gateway` processes or the fake adapter of
// tests/support/fake_servers.hpp; only 127.0.0.1; every wait is bounded.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.hpp"
#include "fake_servers.hpp"
#include "gateway_process.hpp"
#include "portico_cli.hpp"
#include "process.hpp"
#include "projects.hpp"
#include "strings.hpp"

using namespace portico::test;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Cli = PorticoCli;  // a config directory of its own, no credentials or proxies inherited

FakeAdapter::Options fake_for(const Api& a = {}) {
  FakeAdapter::Options o;
  o.api.name = a.name;
  o.api.version = a.version;
  o.api.context = a.basepath;
  return o;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

// ======================================================= item 3: no leaks

TEST_CASE("deploy: SIGINT or SIGTERM at any moment of a large deploy leaves nothing in TMPDIR") {
  Cli c;
  c.new_session = false;  // the signals go to the child's pid at once: portico itself, not setsid
  TempDir t, tmp;
  const std::string proj = t.path + "/big";
  write_client_project(proj);
  write_file(proj + "/Docs/blob.bin", noise(40u << 20));
  // Silent on POST: the upload stalls once the socket buffers fill; silent on
  // GET: a --dry-run waits for its listing.
  auto post_opt = fake_for();
  post_opt.hostile = FakeAdapter::Hostile::Silent;
  post_opt.hostile_count = 1000;
  FakeAdapter stall_post(post_opt);
  auto get_opt = post_opt;
  get_opt.hostile_method = "GET";
  FakeAdapter stall_get(get_opt);

  struct Moment {
    std::string what;
    std::vector<std::string> extra;
    std::string url;
    std::chrono::milliseconds delay;  // after start, or after "deploying" when wait_upload
    bool wait_upload;
  };
  std::vector<Moment> moments{
      {"at the start", {}, stall_post.url(), 30ms, false},
      {"while archiving", {}, stall_post.url(), 300ms, false},
      {"late in archiving", {}, stall_post.url(), 700ms, false},
      {"during the upload", {}, stall_post.url(), 200ms, true},
      {"during a --dry-run", {"--dry-run"}, stall_get.url(), 900ms, false},
  };
  for (int sig : {SIGINT, SIGTERM}) {
    for (const auto& m : moments) {
      CAPTURE(m.what);
      CAPTURE(sig);
      std::vector<std::string> args{"deploy", proj, "-e", m.url, "--timeout", "30"};
      args.insert(args.end(), m.extra.begin(), m.extra.end());
      auto env = c.full_env(admin_credentials());
      env["TMPDIR"] = tmp.path;
      ChildProcess p(c.argv(args), env);
      if (m.wait_upload) CHECK(p.wait_for_stderr("portico: deploying", 30s));
      std::this_thread::sleep_for(m.delay);
      ::kill(p.pid(), sig);
      auto st = p.wait_exit(20s);
      REQUIRE(st.has_value());
      INFO(p.stderr_text());
      CHECK(*st == 128 + sig);
      auto left = files_in(tmp.path);
      CHECK_MESSAGE(left.empty(), "left in TMPDIR: " << joined(left));
      for (const auto& f : left) fs::remove(tmp.path + "/" + f);
    }
  }
}

// =================================== item 2: applied but not verified

TEST_CASE("deploy: a 200 whose verification then fails says the upload was answered 200 and how to check") {
  Cli c;
  TempDir t;
  write_client_project(t.path + "/proj");
  auto opt = fake_for();
  opt.hostile = FakeAdapter::Hostile::Silent;  // GET /apis never answers
  opt.hostile_method = "GET";
  opt.hostile_count = 1000;
  FakeAdapter fake(opt);
  auto r = c({"deploy", t.path + "/proj", "-e", fake.url(), "--timeout", "2"}, admin_credentials());
  INFO(r);
  CHECK(r.code == 6);
  CHECK(fake.deployed());
  CHECK(contains(r.err, "uploaded Pets 1.0.0 and the adapter answered 200, but verification failed"));
  CHECK(contains(r.err, "did not answer in time"));
  CHECK(contains(r.err, "portico list -e " + fake.url()));
  CHECK(!contains(r.err, "check that the adapter is running"));
  CHECK(!contains(r.out, "deployed "));
}

TEST_CASE("deploy: a --timeout during the upload says the deploy may still have been applied") {
  Cli c;
  TempDir t;
  write_client_project(t.path + "/proj");
  auto opt = fake_for();
  opt.hostile = FakeAdapter::Hostile::Silent;  // POST /apis never answers
  opt.hostile_count = 1000;
  FakeAdapter fake(opt);
  auto r = c({"deploy", t.path + "/proj", "-e", fake.url(), "--timeout", "2", "--retries", "0"}, admin_credentials());
  INFO(r);
  CHECK(r.code == 6);
  CHECK(contains(r.err, "the deploy may still have been applied"));
  CHECK(contains(r.err, "portico list -e " + fake.url()));
}

// ======================================== item 6: --dry-run as a preflight

TEST_CASE("deploy: --dry-run exits 4 with 'update: needs --override' for an API that exists, 0 with --override") {
  Cli c;
  TempDir t;
  write_client_project(t.path + "/proj");
  auto opt = fake_for();
  opt.preloaded = {opt.api};
  FakeAdapter fake(opt);
  auto r = c({"deploy", t.path + "/proj", "-e", fake.url(), "--dry-run"}, admin_credentials());
  INFO(r);
  CHECK(r.code == 4);
  CHECK(contains(r.out, "update: needs --override"));
  CHECK(contains(r.err, "--override"));
  auto o = c({"deploy", t.path + "/proj", "-e", fake.url(), "--dry-run", "--override"}, admin_credentials());
  INFO(o);
  CHECK(o.code == 0);
  CHECK(contains(o.out, "update (override)"));
}

TEST_CASE("deploy: --dry-run names a base path held by another API on the vhost and exits 4, like the real deploy") {
  TempGateway g;
  Cli c;
  TempDir t;
  write_client_project(t.path + "/first", Api("First", "1.0.0", "/shared"));
  write_client_project(t.path + "/second", Api("Second", "1.0.0", "/shared"));
  std::vector<std::string> tls{"--ca-cert", g.ca()};
  auto first = c({"deploy", t.path + "/first", "-e", g.origin(), "--ca-cert", g.ca()}, admin_credentials());
  INFO(first);
  REQUIRE(first.code == 0);
  for (bool override : {false, true}) {
    CAPTURE(override);
    std::vector<std::string> args{"deploy", t.path + "/second", "-e", g.origin(), "--ca-cert", g.ca(), "--dry-run"};
    if (override) args.push_back("--override");
    auto dry = c(args, admin_credentials());
    INFO(dry);
    CHECK(dry.code == 4);
    CHECK(contains(dry.out, "conflict"));
    CHECK(contains(dry.out, "First 1.0.0 holds /shared on vhost localhost"));
    CHECK(!contains(dry.out, "create"));
    CHECK(contains(dry.err, "even with --override"));
    args.push_back("--format");
    args.push_back("json");
    auto dj = c(args, admin_credentials());
    auto j = json::parse(dj.out, nullptr, false);
    INFO(dj);
    REQUIRE(j.is_object());
    CHECK(j["ok"] == false);
    CHECK(j["exit_code"] == 4);
    CHECK(j["conflict"]["name"] == "First");
    args.resize(args.size() - 2);
    args.erase(std::find(args.begin(), args.end(), "--dry-run"));
    auto real = c(args, admin_credentials());
    INFO(real);
    CHECK(real.code == dry.code);
  }
}

// ================================ item 7: one JSON document, also on failure

TEST_CASE("--format json: every command that takes it prints one JSON document with ok false on failure") {
  Cli c;
  TempDir t;
  write_client_project(t.path + "/proj");
  auto opt = fake_for();
  opt.preloaded = {opt.api};
  FakeAdapter fake(opt);
  std::string closed = "http://127.0.0.1:" + std::to_string(closed_port());
  write_file(t.path + "/broken/Definitions/swagger.yaml", "openapi: 3.0.1\ninfo: {title: B, version: '1'}\n"
                                                            "x-wso2-basePath: /b\npaths: {}\n"
                                                            "x-wso2-production-endpoints: {urls: [], type: failover}\n");
  write_file(t.path + "/badcfg/config.yaml", "environments: [unclosed\n  : :\n");
  write_file(t.path + "/broken/api.yaml", "type: api\nversion: v4.0.0\ndata: {name: B, version: '1', context: /b}\n");
  struct Case {
    std::string what;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    int code;
  };
  std::vector<Case> cases{
      {"deploy 409", {"deploy", t.path + "/proj", "-e", fake.url()}, admin_credentials(), 4},
      {"deploy without credentials", {"deploy", t.path + "/proj", "-e", fake.url()}, {}, 5},
      {"deploy, wrong password", {"deploy", t.path + "/proj", "-e", fake.url()},
       {{"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", "nope"}}, 5},
      {"deploy, closed port", {"deploy", t.path + "/proj", "-e", closed, "--retries", "0"}, admin_credentials(), 6},
      {"deploy, validation errors", {"deploy", t.path + "/broken", "-e", fake.url()}, admin_credentials(), 1},
      {"deploy, missing path", {"deploy", t.path + "/nope", "-e", fake.url()}, admin_credentials(), 3},
      {"list, closed port", {"list", "-e", closed}, admin_credentials(), 6},
      {"list, unknown environment", {"list", "-e", "nowhere"}, admin_credentials(), 2},
      {"env list, unreadable config", {"env", "list"}, {{"PORTICO_CONFIG_DIR", t.path + "/badcfg"}}, 3},
      {"validate, missing path", {"validate", t.path + "/nope.yaml"}, {}, 3},
      {"endpoints, missing path", {"endpoints", t.path + "/nope.yaml"}, {}, 3},
      {"probe, missing path", {"probe", t.path + "/nope.yaml"}, {}, 3},
  };
  for (const auto& k : cases) {
    CAPTURE(k.what);
    auto args = k.args;
    args.push_back("--format");
    args.push_back("json");
    auto r = c(args, k.env);
    INFO(r);
    CHECK(r.code == k.code);
    auto j = json::parse(r.out, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["ok"] == false);
    CHECK(j["exit_code"] == k.code);
    CHECK(j["message"].is_string());
    CHECK(!j["message"].get<std::string>().empty());
    CHECK(j["hint"].is_string());
    CHECK(!r.err.empty());  // the message is on stderr too
  }
}

// ======================================== item 13: validate's arguments

TEST_CASE("validate: one missing path among several is reported, the others are validated, exit 3") {
  Cli c;
  TempDir t;
  write_file(t.path + "/a.yaml", kPetsDefinition);
  write_file(t.path + "/b.yaml", std::string(kPetsBrokenFailoverHead) + "paths: {}\n");
  auto r = c({"validate", t.path + "/a.yaml", t.path + "/missing.yaml", t.path + "/b.yaml"});
  INFO(r);
  CHECK(r.code == 3);
  CHECK(contains(r.out, "b.yaml:9:7"));
  CHECK(contains(r.out, "in 2 files"));
  CHECK(contains(r.err, "missing.yaml"));
  auto j = c({"validate", t.path + "/a.yaml", t.path + "/missing.yaml", "--format", "json"});
  INFO(j);
  CHECK(j.code == 3);
  auto doc = json::parse(j.out, nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["ok"] == false);
  CHECK(doc.contains("diagnostics"));
}

TEST_CASE("validate: --report or -o into a missing directory exits 3 before validating") {
  Cli c;
  TempDir t;
  write_file(t.path + "/a.yaml", kPetsDefinition);
  for (auto flag : {std::vector<std::string>{"--report", "sarif=" + t.path + "/no/such/dir/out.sarif"},
                    std::vector<std::string>{"-o", t.path + "/no/out.json"}}) {
    std::vector<std::string> args{"validate", t.path + "/a.yaml"};
    args.insert(args.end(), flag.begin(), flag.end());
    auto r = c(args);
    INFO(r);
    CHECK(r.code == 3);
    CHECK(contains(r.err, "does not exist"));
    CHECK(contains(r.err, "mkdir -p"));
    CHECK(r.out.empty());  // nothing validated or printed
  }
}

TEST_CASE("validate: project/api.yaml suggests validating the project directory") {
  Cli c;
  TempDir t;
  write_client_project(t.path + "/proj");
  auto r = c({"validate", t.path + "/proj/api.yaml"});
  INFO(r);
  CHECK(contains(r.err, "portico validate " + t.path + "/proj'"));
}

// ======================================== the main job: the failover probe

TEST_CASE("demo: a deployed failover project whose primary is stopped probes failed-over, exit 7") {
  TempGateway g;
  TempDir t;
  Cli c;
  TempGateway backup({"--plain-http"});
  int primary = closed_port();
  Api shop("Shop", "1.0.0", "/shop");
  shop.urls = {"http://127.0.0.1:" + std::to_string(primary) + "/v1",
               "http://127.0.0.1:" + std::to_string(backup.proc->port()) + "/v1"};
  write_file(t.path + "/shop.yaml", definition_yaml(shop));
  auto init = c({"init", t.path + "/shop", "--oas", t.path + "/shop.yaml"});
  INFO(init);
  REQUIRE(init.code == 0);
  auto dep = c({"deploy", t.path + "/shop", "-e", g.origin(), "--ca-cert", g.ca()}, admin_credentials());
  INFO(dep);
  REQUIRE(dep.code == 0);
  auto probe = c({"probe", t.path + "/shop"});
  INFO(probe);
  CHECK(probe.code == 7);
  CHECK(contains(probe.out, "failed-over"));
  CHECK(contains(probe.out, "> http://127.0.0.1:" + std::to_string(backup.proc->port()) + "/v1"));
}

TEST_CASE("demo: README's tour shows every step .ci/demo runs, the failover probe included") {
  std::string demo = read_file(source_dir() + "/.ci/demo");
  std::string readme = read_file(source_dir() + "/README.md");
  REQUIRE(!demo.empty());
  std::vector<std::string> steps;
  for (const auto& line : lines_of(demo)) {
    if (line.rfind("step \"", 0) != 0) continue;
    std::string s = line.substr(6, line.rfind('"') - 6);
    for (std::size_t p; (p = s.find("\\$")) != std::string::npos;) s.erase(p, 1);
    if (s.find("$url") != std::string::npos) continue;  // the port differs every run
    steps.push_back(s);
  }
  CHECK(steps.size() >= 10);
  for (const auto& s : steps) {
    CAPTURE(s);
    CHECK(contains(readme, "    $ " + s + "\n"));
  }
  CHECK(contains(demo, "portico\" probe"));
  CHECK(contains(readme, "exit 7:"));
}

// ========================================== item 11: the command line

TEST_CASE("cli: a mistyped command suggests the nearest one, 'portico help [COMMAND]' works") {
  Cli c;
  auto typo = c({"validat", "x.yaml"});
  INFO(typo);
  CHECK(typo.code == 2);
  CHECK(contains(typo.err, "unknown command 'validat'"));
  CHECK(contains(typo.err, "did you mean 'portico validate'?"));
  CHECK(!contains(typo.err, "A subcommand is required"));
  auto bogus = c({"bogus"});
  INFO(bogus);
  CHECK(bogus.code == 2);
  CHECK(contains(bogus.err, "unknown command 'bogus'"));
  CHECK(contains(bogus.err, "portico --help"));
  auto sub = c({"env", "lst"});
  INFO(sub);
  CHECK(sub.code == 2);
  CHECK(contains(sub.err, "did you mean 'portico env list'?"));

  auto help = c({"help"});
  INFO(help);
  CHECK(help.code == 0);
  CHECK(help.out == c({"--help"}).out);
  auto deploy = c({"help", "deploy"});
  INFO(deploy);
  CHECK(deploy.code == 0);
  CHECK(deploy.out == c({"deploy", "--help"}).out);
  CHECK(contains(deploy.out, "--dry-run"));
  auto envadd = c({"help", "env", "add"});
  CHECK(envadd.code == 0);
  CHECK(contains(envadd.out, "--adapter"));
}

TEST_CASE("cli: an unknown flag points at 'portico COMMAND --help'") {
  Cli c;
  auto r = c({"deploy", ".", "--bogus"});
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "--bogus"));
  CHECK(contains(r.err, "portico deploy --help"));
  auto e = c({"env", "add", "x", "--bogus"});
  INFO(e);
  CHECK(contains(e.err, "portico env add --help"));
}

TEST_CASE("cli: the top-level --help is one line per command plus the exit-code table") {
  Cli c;
  auto r = c({"--help"});
  INFO(r);
  CHECK(r.code == 0);
  auto lines = lines_of(r.out);
  CHECK(lines.size() <= 45);
  CHECK(!contains(r.out, "Examples:"));
  for (const char* cmd : {"validate", "endpoints", "probe", "init", "deploy", "list", "undeploy", "env", "login",
                          "logout", "gateway", "completion", "version"}) {
    CAPTURE(cmd);
    int n = 0;
    for (const auto& l : lines)
      if (l.rfind(std::string("  ") + cmd + " ", 0) == 0) ++n;
    CHECK(n == 1);
  }
  for (const char* code : {"  0  success", "  7  probe", "  8  probe"}) CHECK(contains(r.out, code));
  auto none = c({});
  CHECK(none.code == 2);
  CHECK(contains(none.err, "no command given"));
}

// ============================== item 10: init --context, a derived context

namespace {
// WSO2's failover page, verbatim: no base path anywhere.
const char* kNoBasePath =
    "openapi: 3.0.1\n"
    "info:\n  title: PizzaShack\n  version: 1.0.0\n"
    "x-wso2-production-endpoints:\n"
    "  urls:\n    - http://localhost:2380/v1\n    - http://localhost:2381/v1\n"
    "  type: failover\n"
    "paths:\n  /menu:\n    get:\n      responses:\n        '200': {description: OK}\n";
}  // namespace

TEST_CASE("init: without a base path derives context /<name in lower case> and says so in one line") {
  Cli c;
  TempDir t;
  write_file(t.path + "/pizza.yaml", kNoBasePath);
  auto r = c({"init", t.path + "/shop", "--oas", t.path + "/pizza.yaml"});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(read_file(t.path + "/shop/api.yaml"), "context: /pizzashack\n"));
  int said = 0;
  for (const auto& l : lines_of(r.err))
    if (contains(l, "no base path") && contains(l, "/pizzashack/1.0.0") && contains(l, "--context")) ++said;
  CHECK(said == 1);
  auto v = c({"validate", t.path + "/shop"});
  INFO(v);
  CHECK(v.code == 0);
}

TEST_CASE("init: --context PATH is api.yaml's context, the gateway serves the API at PATH/VERSION") {
  TempGateway g;
  Cli c;
  TempDir t;
  write_file(t.path + "/pizza.yaml", kNoBasePath);
  auto r = c({"init", t.path + "/shop", "--oas", t.path + "/pizza.yaml", "--context", "/pizza"});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(read_file(t.path + "/shop/api.yaml"), "context: /pizza\n"));
  CHECK(!contains(r.err, "no base path"));
  auto d = c({"deploy", t.path + "/shop", "-e", g.origin(), "--ca-cert", g.ca()}, admin_credentials());
  INFO(d);
  CHECK(d.code == 0);
  CHECK(contains(d.out, "at /pizza/1.0.0"));
  auto bad = c({"init", t.path + "/bad", "--oas", t.path + "/pizza.yaml", "--context", "pizza shack"});
  INFO(bad);
  CHECK(bad.code == 1);
  CHECK(contains(bad.err, "basepath-invalid"));
  CHECK(!fs::exists(t.path + "/bad"));
}

TEST_CASE("validate: the basepath-missing hint names a concrete base path for this definition") {
  Cli c;
  TempDir t;
  write_file(t.path + "/pizza.yaml", kNoBasePath);
  auto r = c({"validate", t.path + "/pizza.yaml", "--format", "json"});
  INFO(r);
  auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  REQUIRE(j["diagnostics"].size() == 1);
  std::string hint = j["diagnostics"][0].value("hint", "");
  CHECK(contains(hint, "x-wso2-basePath: /pizzashack/1.0.0"));
  CHECK(contains(hint, "context: /pizzashack"));
}

// ============================================= item 13: init and completion

TEST_CASE("init: --force on an existing project says 'regenerated', a new one 'created'") {
  Cli c;
  TempDir t;
  write_file(t.path + "/pets.yaml", kPetsDefinition);
  auto first = c({"init", t.path + "/p", "--oas", t.path + "/pets.yaml"});
  INFO(first);
  CHECK(contains(first.err, "portico: created Pets"));
  auto again = c({"init", t.path + "/p", "--oas", t.path + "/pets.yaml", "--force"});
  INFO(again);
  CHECK(again.code == 0);
  CHECK(contains(again.err, "portico: regenerated Pets"));
  CHECK(!contains(again.err, "created"));
}

TEST_CASE("completion: --oas completes only definitions (.yaml .yml .json) and --report completes FORMAT= then files") {
  Cli c;
  auto bash = c({"completion", "bash"});
  CHECK(contains(bash.out, "--oas) _portico_definitions; return ;;"));
  CHECK(contains(bash.out, "'!*.@(yaml|yml|json)'"));
  CHECK(contains(bash.out, "--report) COMPREPLY=($(compgen -W \"human= json= sarif= junit= github=\""));
  CHECK(contains(bash.out, "${COMP_WORDS[COMP_CWORD-3]} == --report ]]; then COMPREPLY=($(compgen -f"));
  auto zsh = c({"completion", "zsh"});
  CHECK(contains(zsh.out, ":file|url:_portico_definitions'"));
  CHECK(contains(zsh.out, ":_portico_report human json sarif junit github'"));
  auto fish = c({"completion", "fish"});
  CHECK(contains(fish.out, "-l oas -x -a '(__portico_definitions)'"));
  CHECK(contains(fish.out, "-l report -x -a '(__portico_report human json sarif junit github)'"));
  // The scripts in completions/ are these.
  CHECK(read_file(source_dir() + "/completions/portico.bash") == bash.out);
}

TEST_CASE("init: --oas https:// takes --ca-cert, and a TLS failure says how to pass the CA") {
  TempGateway g;  // an https server with a self-signed certificate
  Cli c;
  TempDir t;
  auto r = c({"init", t.path + "/p", "--oas", g.origin() + "/openapi.yaml"});
  INFO(r);
  CHECK(r.code == 6);
  CHECK(contains(r.err, "--ca-cert"));
  auto pinned = c({"init", t.path + "/p", "--oas", g.origin() + "/openapi.yaml", "--ca-cert", g.ca()});
  INFO(pinned);
  CHECK(pinned.code == 6);  // verified, then an HTTP error: the gateway serves no definition
  CHECK(contains(pinned.err, "answered HTTP"));
  CHECK(!fs::exists(t.path + "/p"));
}

// ============================================== item 12: hints that help

namespace {
// `portico env add NAME --adapter URL FLAGS` and a login as admin, both required to succeed.
void add_and_login(const Cli& c, const std::string& name, const std::string& url, const std::vector<std::string>& flags) {
  std::vector<std::string> args{"env", "add", name, "--adapter", url};
  args.insert(args.end(), flags.begin(), flags.end());
  REQUIRE(c(args).code == 0);
  ChildProcess p(c.argv({"login", name, "-u", "admin", "--password-stdin"}), c.full_env({}), true);
  p.write_stdin("admin");
  p.close_stdin();
  auto st = p.wait_exit(30s);
  INFO(p.stderr_text());
  REQUIRE(st == 0);
}
}  // namespace

TEST_CASE("hints: a wrong PORTICO_PASSWORD over a good stored login says the credentials came from the environment") {
  TempGateway g;
  Cli c;
  add_and_login(c, "local", g.origin(), {"--ca-cert", g.ca()});
  auto r = c({"list", "-e", "local"}, {{"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", "wrong"}});
  INFO(r);
  CHECK(r.code == 5);
  CHECK(contains(r.err, "came from PORTICO_USERNAME and PORTICO_PASSWORD in the environment"));
  CHECK(contains(r.err, "portico login local"));
  CHECK(!contains(r.err, "login ENV"));
  auto ok = c({"list", "-e", "local"});  // the stored login itself is fine
  CHECK(ok.code == 0);
  auto url = c({"list", "-e", g.origin(), "--ca-cert", g.ca()}, {{"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", "x"}});
  INFO(url);
  CHECK(url.code == 5);
  CHECK(!contains(url.err, "ENV"));
}

TEST_CASE("hints: login without a terminal names the environment and user, not ENV and USER") {
  Cli c;
  REQUIRE(c({"env", "add", "prod", "--adapter", "https://127.0.0.1:9"}).code == 0);
  auto r = c({"login", "prod", "-u", "ci"});
  INFO(r);
  CHECK(r.code == 5);
  CHECK(contains(r.err, "portico login prod -u ci --password-stdin"));
  CHECK(!contains(r.err, "ENV"));
}

TEST_CASE("hints: a TLS failure against a pinned CA says the certificate does not chain to it") {
  TempGateway g, other;
  Cli c;
  REQUIRE(c({"env", "add", "local", "--adapter", g.origin(), "--ca-cert", other.ca()}).code == 0);
  auto r = c({"list", "-e", "local"}, admin_credentials());
  INFO(r);
  CHECK(r.code == 6);
  CHECK(contains(r.err, "does not chain to the pinned CA " + other.ca()));
  CHECK(!contains(r.err, "pass the adapter's CA with --ca-cert"));
}

TEST_CASE("hints: an expired stored token is not sent without a way to renew it: 'run portico login NAME'") {
  TempGateway g({"--token-lifetime", "1"});
  Cli c;
  add_and_login(c, "local", g.origin(), {"--ca-cert", g.ca()});
  std::this_thread::sleep_for(2500ms);
  std::string before = g.log();
  auto r = c({"list", "-e", "local"});
  INFO(r);
  CHECK(r.code == 5);
  CHECK(contains(r.err, "expired"));
  CHECK(contains(r.err, "portico login local -u admin"));
  std::this_thread::sleep_for(200ms);
  CHECK(g.log() == before);  // nothing was sent
}

TEST_CASE("validate: tab indentation is reported at the tab: YAML cannot be indented with tabs") {
  Cli c;
  TempDir t;
  write_file(t.path + "/tab.yaml", "openapi: 3.0.1\ninfo:\n  title: x\n  version: '1'\n"
                                   "x-wso2-production-endpoints:\n  urls:\n\t- http://a.example.com/v1\npaths: {}\n");
  auto r = c({"validate", t.path + "/tab.yaml"});
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "tab.yaml:7:1: error: a tab indents this line: YAML cannot be indented with tabs"));
}

// ================================================ item 13: smaller things

TEST_CASE("list: --query without a match says so, and --limit says '2 of 4'") {
  Cli c;
  auto opt = fake_for();
  for (const char* n : {"Alpha", "Beta", "Gamma", "Delta"}) {
    FakeApi a;
    a.name = n;
    a.version = "1.0.0";
    a.context = std::string("/") + n;
    opt.preloaded.push_back(a);
  }
  FakeAdapter fake(opt);
  auto q = c({"list", "-e", fake.url(), "--query", "type:ws"}, admin_credentials());
  INFO(q);
  CHECK(q.code == 0);
  CHECK(contains(q.out, "no APIs match --query type:ws"));
  CHECK(!contains(q.out, "no APIs deployed"));
  auto l = c({"list", "-e", fake.url(), "--limit", "2"}, admin_credentials());
  INFO(l);
  CHECK(contains(l.out, "2 of 4 APIs shown (--limit 2)"));
  auto j = json::parse(c({"list", "-e", fake.url(), "--limit", "2", "--format", "json"}, admin_credentials()).out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["count"] == 2);
  CHECK(j["total"] == 4);
  auto all = c({"list", "-e", fake.url()}, admin_credentials());
  CHECK(!contains(all.out, " of "));
}

TEST_CASE("env list: an http:// environment shows no TLS, not 'system CAs'") {
  Cli c;
  REQUIRE(c({"env", "add", "plain", "--adapter", "http://127.0.0.1:9080"}).code == 0);
  auto r = c({"env", "list"});
  INFO(r);
  CHECK(contains(r.out, "none (plain HTTP)"));
  CHECK(!contains(r.out, "system CAs"));
}

TEST_CASE("deploy: each retry of a refused connection is printed as it starts") {
  Cli c;
  TempDir t;
  write_client_project(t.path + "/proj");
  auto r = c({"deploy", t.path + "/proj", "-e", "http://127.0.0.1:" + std::to_string(closed_port()), "--retries", "2"},
             admin_credentials());
  INFO(r);
  CHECK(r.code == 6);
  CHECK(contains(r.err, "retrying in "));
  CHECK(contains(r.err, "retry 1/2: POST http://127.0.0.1:"));
  CHECK(contains(r.err, "retry 2/2: POST http://127.0.0.1:"));
}

TEST_CASE("deploy: a 413 states the archive's size and the gateway's limit") {
  TempGateway g({"--max-upload", "100000"});
  Cli c;
  TempDir t;
  write_client_project(t.path + "/proj");
  write_file(t.path + "/proj/Docs/big.bin", noise(300000));
  auto r = c({"deploy", t.path + "/proj", "-e", g.origin(), "--ca-cert", g.ca()}, admin_credentials());
  INFO(r);
  CHECK(r.code == 4);
  CHECK(contains(r.err, "too large (413): the archive is "));
  CHECK(contains(r.err, "limit of 100000 bytes"));
}

TEST_CASE("probe: a refused connection reads 'connection refused', not 'refused: Connection refused'") {
  Cli c;
  TempDir t;
  Api a;
  a.urls = {"http://127.0.0.1:" + std::to_string(closed_port()) + "/v1",
            "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1"};
  write_file(t.path + "/def.yaml", definition_yaml(a));
  auto r = c({"probe", t.path + "/def.yaml", "--timeout", "300"});
  INFO(r);
  CHECK(contains(r.out, "connection refused"));
  CHECK(!contains(lower(r.out), "refused: connection refused"));
}

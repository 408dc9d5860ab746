// Secrets (issue 12): no password or token in the argv of portico (which
// starts no child process: lib/ and cli/ hold no fork, exec, posix_spawn,
// popen or system), in -v traces, in error messages (a wrong password, a 401,
// a 500 whose body echoes the request's headers), in the gateway's logs, or
// in the archive that is uploaded or kept. The credentials file's mode and
// --insecure's warning are tested in test_client.cpp ("login: --password-stdin
// stores a token ... 0600", "a credentials.yaml readable by group or others
// is refused", "--insecure skips verification and prints a warning"); -v with
// a fake adapter in "contract: -v traces requests with credentials redacted".
//
// Servers: a real `portico gateway` (HTTPS, its own data directory, a user
// whose password is set here) and the fake adapter (plain HTTP) where a
// server must stall or echo; all on 127.0.0.1.
#include <doctest/doctest.h>

#include <dirent.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "fake_servers.hpp"
#include "gateway_process.hpp"
#include "http.hpp"
#include "portico_cli.hpp"
#include "strings.hpp"

using namespace portico::test;
using namespace std::chrono_literals;

namespace {

const std::string kPassword = "Vx9-Secret.Pw_7731";

// Everything a secret must not be found in, given the password and the tokens issued.
void check_clean(const std::string& where, const std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    INFO(where << " must not hold " << s);
    CHECK(!contains(text, s));
  }
}

// The argv of a process, NULs as spaces.
std::string cmdline_of(pid_t pid) {
  std::string c = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  for (auto& ch : c)
    if (ch == '\0') ch = ' ';
  return c;
}

// The pids of the children of `pid` (all its threads).
std::vector<std::string> children_of(pid_t pid) {
  std::vector<std::string> out;
  std::string task = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& t : std::filesystem::directory_iterator(task, ec))
    for (const auto& w : words_of(read_file(t.path().string() + "/children"))) out.push_back(w);
  return out;
}

// Waits (at most 10 s) until the fake adapter has seen `n` requests.
bool wait_requests(const FakeAdapter& f, std::size_t n) {
  for (int i = 0; i < 200 && f.requests().size() < n; ++i) std::this_thread::sleep_for(50ms);
  return f.requests().size() >= n;
}

}  // namespace

TEST_CASE("secrets: portico blocked on a stalling adapter holds no password in its argv and starts no process") {
  TempDir t;
  PorticoCli c;
  write_client_project(t.path + "/proj");
  auto opt = FakeAdapter::Options{};
  opt.password = kPassword;
  opt.hostile = FakeAdapter::Hostile::Silent;
  opt.hostile_count = 100;
  opt.hostile_method = "";
  opt.hostile_path = "";
  FakeAdapter fake(opt);
  REQUIRE(c({"env", "add", "stall", "--adapter", fake.url()}).code == 0);

  auto look = [&](ChildProcess& p) {
    REQUIRE(wait_requests(fake, fake.requests().size() + 1));
    std::string argv = cmdline_of(p.pid());
    INFO("argv: " << argv);
    CHECK(contains(argv, "portico"));
    check_clean("argv", argv, {kPassword, base64_encode("admin:" + kPassword)});
    CHECK(children_of(p.pid()).empty());
  };
  // The password from the environment (deploy) and from stdin (login).
  auto d = c({"deploy", t.path + "/proj", "-e", "stall", "--timeout", "3", "--retries", "0"},
             admin_credentials(kPassword), "", 30s, look);
  INFO(d);
  CHECK(d.code == 6);
  auto l = c({"login", "stall", "-u", "admin", "--password-stdin", "--timeout", "3"}, {}, kPassword, 30s, look);
  INFO(l);
  CHECK(l.code == 6);
  check_clean("stderr", d.err + l.err, {kPassword});
}

TEST_CASE("secrets: error messages never echo a password or token, even when the adapter's body does") {
  TempDir t;
  PorticoCli c;
  write_client_project(t.path + "/proj");
  const std::string basic = base64_encode("admin:" + kPassword);
  // A 500 (and a 401) whose body repeats the request's credentials, as a
  // careless proxy or adapter might.
  FakeReply echo = FakeReply::json(
      500, R"({"code":500,"message":"rejected: Authorization: Basic )" + basic + " password=" + kPassword + R"("})");
  for (int status : {500, 401, 409}) {
    CAPTURE(status);
    echo.status = status;
    auto opt = FakeAdapter::Options{};
    opt.password = kPassword;
    opt.api.name = "Pets";
    opt.api.version = "1.0.0";
    opt.hostile = FakeAdapter::Hostile::Custom;
    opt.hostile_count = 100;
    opt.hostile_method = "";
    opt.hostile_path = "";
    opt.custom_reply = echo;
    FakeAdapter fake(opt);
    auto d = c({"deploy", t.path + "/proj", "-e", fake.url(), "--retries", "0"}, admin_credentials(kPassword));
    INFO(d);
    CHECK(d.code != 0);
    CHECK(contains(d.err, "[redacted]"));
    check_clean("deploy stderr", d.out + d.err, {kPassword, basic});
    REQUIRE(c({"env", "add", "echo" + std::to_string(status), "--adapter", fake.url()}).code == 0);
    auto l = c({"login", "echo" + std::to_string(status), "-u", "admin", "--password-stdin"}, {}, kPassword);
    INFO(l);
    CHECK(l.code != 0);
    check_clean("login stderr", l.out + l.err, {kPassword, basic});
  }
}

TEST_CASE("secrets: login and deploy through a real gateway: nothing secret in -v output, errors, logs or the archive") {
  const std::string unzip = find_program("unzip");
  REQUIRE_MESSAGE(!unzip.empty(), "the `unzip` program is needed (apt-get install unzip)");
  TempGateway g({"--user", "ci"}, {{"PORTICO_GATEWAY_PASSWORD", kPassword}});
  PorticoCli c;
  TempDir t;
  const std::string proj = t.path + "/proj";
  write_client_project(proj);
  // A backend credential whose password the adapter takes from its own
  // environment: the definition names only the user.
  write_file(proj + "/Definitions/swagger.yaml",
             read_file(proj + "/Definitions/swagger.yaml") +
                 "x-wso2-sandbox-endpoints:\n  urls:\n    - http://sandbox.example.com/v1\n"
                 "  securityConfig:\n    type: BASIC\n    username: backend\n");
  std::vector<std::string> secrets{kPassword, base64_encode("ci:" + kPassword)};
  std::string out, err;
  auto step = [&](const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                  const std::string& input = "") {
    auto r = c(args, env, input);
    out += r.out;
    err += r.err;
    return r;
  };
  REQUIRE(step({"env", "add", "local", "--adapter", g.origin(), "--ca-cert", g.ca()}).code == 0);
  auto wrong = step({"-v", "login", "local", "-u", "ci", "--password-stdin"}, {}, "not-" + kPassword);
  INFO(wrong);
  CHECK(wrong.code == 5);
  auto login = step({"-v", "login", "local", "-u", "ci", "--password-stdin"}, {}, kPassword);
  INFO(login);
  REQUIRE(login.code == 0);
  // The token just stored is a secret too.
  std::string creds = read_file(c.cfg.path + "/credentials.yaml");
  auto at = creds.find("eyJ");
  REQUIRE(at != std::string::npos);
  std::string token = creds.substr(at, creds.find_first_of("\n\" '", at) - at);
  secrets.push_back(token);
  secrets.push_back(token.substr(token.rfind('.') + 1));  // its signature alone

  const std::string kept = t.path + "/kept.zip";
  auto d = step({"-v", "deploy", proj, "-e", "local", "--keep-archive", kept},
                {{"PORTICO_USERNAME", "ci"}, {"PORTICO_PASSWORD", kPassword}});
  INFO(d);
  CHECK(d.code == 0);
  auto again = step({"-v", "deploy", proj, "-e", "local"});  // with the stored token: 409, an error message
  INFO(again);
  CHECK(again.code == 4);
  auto bad = step({"-v", "list", "-e", "local"}, {{"PORTICO_TOKEN", token + "x"}});  // a refused token: 401
  INFO(bad);
  CHECK(bad.code == 5);
  CHECK(contains(err, "Authorization: Bearer [redacted]"));
  CHECK(contains(err, "Authorization: Basic [redacted]"));
  check_clean("portico stdout", out, secrets);
  check_clean("portico stderr", err, secrets);
  check_clean("gateway stderr", g.log(), secrets);
  check_clean("gateway stdout", g.proc->process().stdout_text(), secrets);

  // Every entry of the kept archive, read with the real unzip.
  auto names = run({unzip, "-Z1", kept});
  REQUIRE(names.exit_code == 0);
  auto entries = lines_of(names.out);
  CHECK(entries.size() >= 3);
  for (const auto& e : entries) {
    CAPTURE(e);
    auto data = run({unzip, "-p", kept, e});
    check_clean("archive entry " + e, data.out, secrets);
  }
  check_clean("the kept archive's bytes", read_file(kept), secrets);
}

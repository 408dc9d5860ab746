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

#include "fake_servers.hpp"
#include "gateway_process.hpp"
#include "process.hpp"
#include "projects.hpp"
#include "strings.hpp"

using namespace portico::test;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* kUnset = "\x01unset";

struct Out {
  int code = -1;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const Out& r) {
  return os << "exit " << r.code << "\n--- stdout:\n" << r.out << "--- stderr:\n" << r.err;
}

// A config directory of its own, no credentials or proxies from the
// caller's environment unless `env` sets them, stdin empty.
struct Cli {
  TempDir cfg;
  std::map<std::string, std::string> env;

  std::map<std::string, std::string> full_env(const std::map<std::string, std::string>& extra) const {
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
    std::vector<std::string> a{portico_binary()};
    a.insert(a.end(), args.begin(), args.end());
    return a;
  }
  Out operator()(const std::vector<std::string>& args, const std::map<std::string, std::string>& extra = {},
                 const std::string& cwd = {}) const {
    ChildProcess p(argv(args), full_env(extra), false, false, cwd);
    Out r;
    auto st = p.wait_exit(60s);
    r.code = st ? *st : p.terminate(SIGKILL, 2s);
    p.wait_drained(5s);
    r.out = p.stdout_text();
    r.err = p.stderr_text();
    return r;
  }
};

std::map<std::string, std::string> admin() { return {{"PORTICO_USERNAME", "admin"}, {"PORTICO_PASSWORD", "admin"}}; }

// A hand-written project for `a` (api.yaml, the definition, deployment_environments.yaml).
void write_project(const std::string& dir, const Api& a = {}) {
  write_file(dir + "/api.yaml", "type: api\nversion: v4.0.0\ndata:\n  name: " + a.name + "\n  version: \"" +
                                    a.version + "\"\n  context: " + a.basepath +
                                    "\n  type: HTTP\n  endpointImplementationType: ENDPOINT\n"
                                    "  endpointConfig:\n    endpoint_type: failover\n"
                                    "    production_endpoints:\n      url: " + a.urls[0] + "\n"
                                    "    production_failovers:\n      - url: " + a.urls[1] + "\n");
  write_file(dir + "/Definitions/swagger.yaml", definition_yaml(a));
  write_file(dir + "/deployment_environments.yaml", deployment_environments_yaml());
}

FakeAdapter::Options fake_for(const Api& a = {}) {
  FakeAdapter::Options o;
  o.api.name = a.name;
  o.api.version = a.version;
  o.api.context = a.basepath;
  return o;
}

// Pseudo-random, incompressible bytes: archiving them takes a while.
std::string noise(std::size_t n) {
  std::string s(n, '\0');
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x & 0xFF);
  }
  return s;
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
  TempDir t, tmp;
  const std::string proj = t.path + "/big";
  write_project(proj);
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
      auto env = c.full_env(admin());
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

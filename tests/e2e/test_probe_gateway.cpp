// `portico probe --gateway` end to end: a real `portico gateway` (router on
// plain HTTP, health timing shortened by flags), real loopback backends, and
// the built binary reading the router's /portico/clusters view beside its
// own probe. Every wait is bounded.
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends.hpp"
#include "cli_run.hpp"
#include "loopback.hpp"
#include "process.hpp"
#include "router_gateway.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

// A project directory for NAME VERSION with this definition (the same files
// RouterGateway::zip deploys).
std::string write_project(const TempDir& dir, const std::string& name, const std::string& version, const std::string& def) {
  std::string p = dir.path + "/" + name;
  std::filesystem::create_directories(p + "/Definitions");
  write_file(p + "/api.yaml", api_yaml(name, version));
  write_file(p + "/Definitions/swagger.yaml", def);
  return p;
}

ProcessResult probe(const std::vector<std::string>& more, const std::string& config_dir = {}) {
  std::vector<std::string> args{"probe"};
  args.insert(args.end(), more.begin(), more.end());
  return run_portico_neutral(args, {}, {{"PORTICO_CONFIG_DIR", config_dir}});
}

const json& host_of(const json& gateway, const std::string& url) {
  static const json none;
  for (const auto& h : gateway["hosts"])
    if (h["url"] == url) return h;
  return none;
}

}  // namespace

TEST_CASE("probe --gateway: a failover list [dead, alive]: the router serves the alive URL, the dead one is unhealthy, exit 7") {
  std::string dead = "http://127.0.0.1:" + std::to_string(closed_port()) + "/api";
  EchoBackend alive("alive");
  RouterGateway g;
  std::string def = definition("Inventory", "2.1.0", failover_root({dead, alive.url("/api")}), kGetItems);
  g.deploy(g.zip("Inventory", "2.1.0", def));
  TempDir dir;
  std::string project = write_project(dir, "Inventory", "2.1.0", def);
  // After the router's checks have marked the dead URL down.
  g.wait_checked("Inventory 2.1.0 production");
  auto end = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < end && g.clusters()["clusters"][0]["serving"] != alive.url("/api"))
    std::this_thread::sleep_for(20ms);

  auto r = probe({project, "--gateway", g.proc->router_url(), "--format", "json"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 7);
  json j = json::parse(r.out);
  CHECK(j["gateway"]["url"] == g.proc->router_url());
  CHECK(j["gateway"]["health_check"]["interval_ms"] == 150);
  REQUIRE(j["groups"].size() == 1);
  const json& grp = j["groups"][0];
  CHECK(grp["verdict"] == "failed-over");  // portico's own, unchanged
  const json& gw = grp["gateway"];
  CHECK(gw["status"] == "deployed");
  CHECK(gw["cluster"] == "Inventory 2.1.0 production");
  CHECK(gw["serving"] == alive.url("/api"));
  CHECK(gw["panic"] == false);
  CHECK(gw["health_checked"] == true);
  CHECK(host_of(gw, dead)["health"] == "unhealthy");
  CHECK(host_of(gw, alive.url("/api"))["health"] == "healthy");
  CHECK(gw["agrees"] == true);
  CHECK(gw["list_differs"] == false);

  // The human table shows the router's column beside portico's own.
  auto h = probe({project, "--gateway", g.proc->router_url()});
  INFO("human: " << h.out);
  CHECK(h.exit_code == 7);
  CHECK(h.out.find("ROUTER (now)") != std::string::npos);
  CHECK(h.out.find("healthy, serving") != std::string::npos);
  CHECK(h.out.find("unhealthy") != std::string::npos);
  CHECK(h.out.find("what the gateway's router at " + g.proc->router_url() + " does now") != std::string::npos);
  CHECK(h.out.find("disagree:") == std::string::npos);

  // JUnit carries the router's view as the testcase's output.
  auto x = probe({project, "--gateway", g.proc->router_url(), "--format", "junit"});
  CHECK(x.exit_code == 7);
  CHECK(x.out.find("<system-out>router at " + g.proc->router_url() + ": deployed, serving " + alive.url("/api")) !=
        std::string::npos);
}

TEST_CASE("probe --gateway: a primary killed after the router's last check: the router still serves it, and probe says they disagree") {
  // Checks every 60 s: after the first one, the router cannot notice a kill during the test.
  RouterGateway g({"--plain-http", "--health-interval", "60000", "--no-traffic-interval", "60000", "--health-timeout", "150"});
  auto primary = std::make_unique<EchoBackend>("primary");
  std::string primary_url = primary->url("/api");
  EchoBackend backup("backup");
  std::string def = definition("Inventory", "2.1.0", failover_root({primary_url, backup.url("/api")}), kGetItems);
  g.deploy(g.zip("Inventory", "2.1.0", def));
  TempDir dir;
  std::string project = write_project(dir, "Inventory", "2.1.0", def);
  g.wait_checked("Inventory 2.1.0 production");
  primary.reset();  // killed

  auto r = probe({project, "--gateway", g.proc->router_url(), "--format", "json"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 7);  // portico's own measurement decides
  json j = json::parse(r.out);
  const json& gw = j["groups"][0]["gateway"];
  CHECK(gw["serving"] == primary_url);
  CHECK(host_of(gw, primary_url)["health"] == "healthy");
  CHECK(gw["agrees"] == false);
  REQUIRE(gw["notes"].size() >= 1);
  CHECK(gw["notes"][0].get<std::string>().find("has not yet noticed that " + primary_url + " is down") != std::string::npos);

  auto h = probe({project, "--gateway", g.proc->router_url()});
  CHECK(h.exit_code == 7);
  CHECK(h.out.find("disagree: (API) production: the router sends traffic to " + primary_url) != std::string::npos);
}

TEST_CASE("probe --gateway: an API that is not deployed says so, and the exit code stays portico's") {
  EchoBackend alive("alive");
  RouterGateway g;
  TempDir dir;
  std::string project =
      write_project(dir, "Absent", "1.0", definition("Absent", "1.0", failover_root({alive.url("/a")}), kGetItems));
  auto r = probe({project, "--gateway", g.proc->router_url(), "--format", "json"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  json j = json::parse(r.out);
  CHECK(j["groups"][0]["gateway"]["status"] == "not-deployed");
  CHECK(j["groups"][0]["gateway"]["serving"].is_null());
  auto h = probe({project, "--gateway", g.proc->router_url()});
  CHECK(h.exit_code == 0);
  CHECK(h.out.find("API not deployed") != std::string::npos);
  CHECK(h.out.find("Absent 1.0 is not deployed on the gateway") != std::string::npos);
}

TEST_CASE("probe --gateway: an unreachable router, or a server that is not the router, is exit 6 with a clear message") {
  EchoBackend alive("alive");
  TempDir dir;
  std::string project =
      write_project(dir, "Inventory", "2.1.0", definition("Inventory", "2.1.0", failover_root({alive.url("/a")}), kGetItems));
  std::string nobody = "http://127.0.0.1:" + std::to_string(closed_port());
  auto r = probe({project, "--gateway", nobody});
  CHECK(r.exit_code == 6);
  CHECK(r.out.empty());
  CHECK(r.err.find("cannot read the gateway's router at " + nobody + ": nothing accepts connections there") !=
        std::string::npos);
  CHECK(r.err.find("is 'portico gateway' running") != std::string::npos);

  // An HTTP server that is not the router (it answers 200 with other text).
  auto other = probe({project, "--gateway", alive.url()});
  CHECK(other.exit_code == 6);
  CHECK(other.out.empty());
  CHECK(other.err.find("is not the router's cluster view") != std::string::npos);

  // With --format json, stdout holds the error document (as for every command).
  auto js = probe({project, "--gateway", nobody, "--format", "json"});
  CHECK(js.exit_code == 6);
  json doc = json::parse(js.out);
  CHECK(doc["ok"] == false);
  CHECK(doc["exit_code"] == 6);
  CHECK(doc["message"].get<std::string>().find("cannot read the gateway's router") != std::string::npos);

  // The gateway's adapter port: 404 there.
  RouterGateway g;
  auto adapter = probe({project, "--gateway", "http://127.0.0.1:" + std::to_string(g.proc->port())});
  INFO("stderr: " << adapter.err);
  CHECK(adapter.exit_code == 6);
  CHECK(adapter.out.empty());
  CHECK(adapter.err.find("GET /portico/clusters") != std::string::npos);
}

TEST_CASE("probe --gateway ENV: an unknown environment is a usage error, a known one uses its host and port 9095") {
  EchoBackend alive("alive");
  TempDir dir;
  std::string project =
      write_project(dir, "Inventory", "2.1.0", definition("Inventory", "2.1.0", failover_root({alive.url("/a")}), kGetItems));
  std::string config = dir.path + "/config";
  auto r = probe({project, "--gateway", "nosuch"}, config);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("unknown environment 'nosuch'") != std::string::npos);

  // 127.0.0.3: loopback, where no router listens on 9095.
  auto add = run_portico_neutral({"env", "add", "local", "--adapter", "http://127.0.0.3:9843"}, {},
                                 {{"PORTICO_CONFIG_DIR", config}});
  REQUIRE_MESSAGE(add.exit_code == 0, add.err);
  auto e = probe({project, "--gateway", "local"}, config);
  CHECK(e.exit_code == 6);
  CHECK(e.err.find("router at http://127.0.0.3:9095") != std::string::npos);
}

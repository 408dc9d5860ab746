// probe::plan, probe::evaluate and probe::exit_code: the pure part of
// `portico probe` (no sockets). Groups come from real definitions through
// endpoints::resolve; probe results are written by hand.
#include <doctest/doctest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "doc/document.hpp"
#include "endpoints/resolve.hpp"
#include "probe/evaluate.hpp"
#include "probe/gateway.hpp"
#include "util/error.hpp"
#include "probe/prober.hpp"

using namespace portico;
using probe::Reason;
using probe::Verdict;

namespace {

constexpr std::size_t npos = std::string::npos;

// A definition and its resolution, kept together (groups point into both).
struct Resolved {
  explicit Resolved(const std::string& yaml)
      : document(std::make_unique<doc::Document>(doc::parse("x.yaml", yaml))),
        resolution(endpoints::resolve(*document)) {}
  std::unique_ptr<doc::Document> document;
  endpoints::Resolution resolution;
};

const char* kHead =
    "openapi: 3.0.1\n"
    "info: {title: Probe, version: 1.0.0}\n"
    "x-wso2-basePath: /probe\n";

const char* kOperation = "    get:\n      responses:\n        '200': {description: OK}\n";

// API-level production failover and sandbox load balancing, and two path
// items with production blocks that name some of the same host:ports.
std::string shared_targets_yaml() {
  return std::string(kHead) +
         "x-wso2-production-endpoints:\n"
         "  type: failover\n"
         "  urls: [http://a.example:8080/v1, http://b.example/v1]\n"
         "x-wso2-sandbox-endpoints:\n"
         "  urls: [https://a.example:8080/v1, https://c.example/v1]\n"
         "paths:\n"
         "  /x:\n"
         "    x-wso2-production-endpoints:\n"
         "      type: failover\n"
         "      urls: [http://a.example:8080/other, b.example/other]\n" +
         kOperation +
         "  /y:\n"
         "    x-wso2-production-endpoints:\n"
         "      urls: ['  http://b.example:80/v1  ', http://a.example:8080/v1/]\n" +
         kOperation;
}

probe::Result up(double ms = 1.5) {
  probe::Result r;
  r.available = true;
  r.reason = Reason::Ok;
  r.address = "127.0.0.1";
  r.connect_ms = ms;
  r.attempts = 1;
  return r;
}

probe::Result down(Reason why = Reason::Refused) {
  probe::Result r;
  r.available = false;
  r.reason = why;
  r.address = "127.0.0.1";
  r.attempts = 2;
  return r;
}

std::vector<std::size_t> targets_of(const probe::GroupPlan& g) {
  std::vector<std::size_t> out;
  for (const auto& u : g.urls) out.push_back(u.target);
  return out;
}

probe::GroupOutcome outcome(Verdict v) {
  probe::GroupOutcome o;
  o.verdict = v;
  return o;
}

}  // namespace

TEST_CASE("probe: plan keeps one target per distinct host:port:tls and shares it between groups") {
  Resolved r(shared_targets_yaml());
  REQUIRE(r.resolution.groups.size() == 4);
  probe::Plan p = probe::plan(r.resolution, "");

  // Targets in order of first appearance: API production, API sandbox, /x, /y.
  std::vector<probe::Target> expected{
      {"a.example", 8080, false},
      {"b.example", 80, false},
      {"a.example", 8080, true},  // same host:port, but https: a different probe (TLS handshake)
      {"c.example", 443, true},
  };
  CHECK(p.targets == expected);

  REQUIRE(p.groups.size() == 4);
  CHECK(p.groups[0].group == &r.resolution.groups[0]);
  CHECK(p.groups[0].group->environment == endpoints::Environment::Production);
  CHECK(p.groups[0].group->type == endpoints::GroupType::Failover);
  CHECK(targets_of(p.groups[0]) == std::vector<std::size_t>{0, 1});
  CHECK(targets_of(p.groups[1]) == std::vector<std::size_t>{2, 3});
  CHECK(p.groups[1].group->environment == endpoints::Environment::Sandbox);
  // A different path, the scheme left out, an explicit :80, spaces, a
  // trailing '/': still the same host:port, probed once.
  CHECK(targets_of(p.groups[2]) == std::vector<std::size_t>{0, 1});
  CHECK(targets_of(p.groups[3]) == std::vector<std::size_t>{1, 0});
  CHECK(p.groups[2].group->path == "/x");
  CHECK(p.groups[3].group->path == "/y");

  // The URLs are kept as the report shows them, one entry per URL.
  CHECK(p.groups[0].urls[0].url == "http://a.example:8080/v1");
  CHECK(p.groups[2].urls[1].url == "http://b.example/other");
  for (const auto& g : p.groups)
    for (const auto& u : g.urls) CHECK(u.problem.empty());
}

TEST_CASE("probe: plan uses port 80 for http and 443 for https unless a port is written") {
  Resolved r(std::string(kHead) +
             "x-wso2-production-endpoints:\n"
             "  urls: [http://h.example, https://h.example, http://h.example:443, https://h.example:80,"
             " h.example:8443, https://h.example/]\n"
             "paths:\n  /p:\n" +
             kOperation);
  probe::Plan p = probe::plan(r.resolution, "");
  std::vector<probe::Target> expected{
      {"h.example", 80, false},
      {"h.example", 443, true},
      {"h.example", 443, false},
      {"h.example", 80, true},
      {"h.example", 8443, false},  // no scheme: http:// is prefixed, as the adapter does
  };
  CHECK(p.targets == expected);
  REQUIRE(p.groups.size() == 1);
  CHECK(targets_of(p.groups[0]) == std::vector<std::size_t>{0, 1, 2, 3, 4, 1});
}

TEST_CASE("probe: plan with an environment keeps only that environment's groups and targets") {
  Resolved r(shared_targets_yaml());

  probe::Plan sandbox = probe::plan(r.resolution, "sandbox");
  REQUIRE(sandbox.groups.size() == 1);
  CHECK(sandbox.groups[0].group->environment == endpoints::Environment::Sandbox);
  CHECK(sandbox.targets == std::vector<probe::Target>{{"a.example", 8080, true}, {"c.example", 443, true}});
  CHECK(targets_of(sandbox.groups[0]) == std::vector<std::size_t>{0, 1});

  probe::Plan production = probe::plan(r.resolution, "production");
  REQUIRE(production.groups.size() == 3);
  for (const auto& g : production.groups) CHECK(g.group->environment == endpoints::Environment::Production);
  CHECK(production.targets == std::vector<probe::Target>{{"a.example", 8080, false}, {"b.example", 80, false}});

  CHECK(probe::plan(r.resolution, "").groups.size() == 4);
}

TEST_CASE("probe: plan with an environment that has no groups is empty") {
  Resolved r(std::string(kHead) +
             "x-wso2-production-endpoints:\n  urls: [http://only.example]\n"
             "paths:\n  /p:\n" +
             kOperation);
  probe::Plan p = probe::plan(r.resolution, "sandbox");
  CHECK(p.groups.empty());
  CHECK(p.targets.empty());
}

TEST_CASE("probe: plan marks URLs it cannot probe with a problem and no target") {
  Resolved r(std::string(kHead) +
             "x-wso2-production-endpoints:\n"
             "  type: failover\n"
             "  urls:\n"
             "    - 'http:..mockBackend/v2'\n"      // a scheme without '//' (the corpus's malformed file)
             "    - ws://socket.example/v2\n"       // not http or https
             "    - http://big.example:70000/v2\n"  // port out of range
             "    - http://zero.example:0/v2\n"     // port 0
             "    - 'http://bad.example:8o/v2'\n"   // port not a number
             "    - '://nothing.example/v2'\n"      // nothing before ://
             "    - http://fine.example/v2\n"
             "paths:\n  /p:\n" +
             kOperation);
  probe::Plan p = probe::plan(r.resolution, "");
  REQUIRE(p.groups.size() == 1);
  const auto& urls = p.groups[0].urls;
  REQUIRE(urls.size() == 7);
  for (std::size_t i = 0; i + 1 < urls.size(); ++i) {
    CAPTURE(urls[i].url);
    CHECK(urls[i].target == npos);
    CHECK_FALSE(urls[i].problem.empty());
  }
  CHECK(urls[1].problem.find("ws") != std::string::npos);
  CHECK(urls[2].problem.find("70000") != std::string::npos);
  CHECK(urls[6].problem.empty());
  REQUIRE(urls[6].target == 0);
  CHECK(p.targets == std::vector<probe::Target>{{"fine.example", 80, false}});

  // Unprobeable URLs count as unavailable: the group is served by the last one.
  auto out = probe::evaluate(p, {up()});
  REQUIRE(out.size() == 1);
  CHECK(out[0].verdict == Verdict::FailedOver);
  REQUIRE(out[0].serving.has_value());
  CHECK(*out[0].serving == 6);
  CHECK(out[0].available == 1);
  CHECK(probe::evaluate(p, {down()})[0].verdict == Verdict::Unavailable);
}

TEST_CASE("probe: evaluate a failover group: primary, degraded, failed-over, unavailable") {
  Resolved r(std::string(kHead) +
             "x-wso2-production-endpoints:\n"
             "  type: failover\n"
             "  urls: [http://p.example, http://s1.example, http://s2.example]\n"
             "paths:\n  /p:\n" +
             kOperation);
  probe::Plan p = probe::plan(r.resolution, "");
  REQUIRE(p.targets.size() == 3);

  SUBCASE("the primary is up: it serves; a backup down is a loss of redundancy (degraded, exit 7)") {
    for (auto rest : {up(), down(Reason::Timeout)}) {
      auto o = probe::evaluate(p, {up(), rest, rest});
      REQUIRE(o.size() == 1);
      CHECK(o[0].verdict == (rest.available ? Verdict::Primary : Verdict::Degraded));
      REQUIRE(o[0].serving.has_value());
      CHECK(*o[0].serving == 0);
      CHECK(probe::exit_code(o) == (rest.available ? 0 : 7));
    }
    auto one_backup_down = probe::evaluate(p, {up(), up(), down(Reason::Refused)});
    CHECK(one_backup_down[0].verdict == Verdict::Degraded);
    CHECK(probe::exit_code(one_backup_down) == 7);
  }
  SUBCASE("the primary is down: the first available one serves, in list order") {
    auto o = probe::evaluate(p, {down(Reason::Refused), up(), up()});
    CHECK(o[0].verdict == Verdict::FailedOver);
    REQUIRE(o[0].serving.has_value());
    CHECK(*o[0].serving == 1);
    CHECK(o[0].available == 2);
    CHECK(probe::exit_code(o) == 7);

    o = probe::evaluate(p, {down(Reason::Timeout), down(Reason::Dns), up()});
    CHECK(o[0].verdict == Verdict::FailedOver);
    REQUIRE(o[0].serving.has_value());
    CHECK(*o[0].serving == 2);
    CHECK(o[0].available == 1);
    CHECK(probe::exit_code(o) == 7);
  }
  SUBCASE("nothing is up: unavailable, nothing serves") {
    auto o = probe::evaluate(p, {down(Reason::Refused), down(Reason::Tls), down(Reason::Reset)});
    CHECK(o[0].verdict == Verdict::Unavailable);
    CHECK_FALSE(o[0].serving.has_value());
    CHECK(o[0].available == 0);
    CHECK(probe::exit_code(o) == 8);
  }
  SUBCASE("missing results count as unavailable") {
    auto o = probe::evaluate(p, {});
    REQUIRE(o.size() == 1);
    CHECK(o[0].verdict == Verdict::Unavailable);
    CHECK_FALSE(o[0].serving.has_value());
  }
}

TEST_CASE("probe: evaluate a single-URL failover group: primary or unavailable") {
  Resolved r(std::string(kHead) +
             "x-wso2-production-endpoints:\n  type: failover\n  urls: [http://one.example]\n"
             "paths:\n  /p:\n" +
             kOperation);
  probe::Plan p = probe::plan(r.resolution, "");
  CHECK(probe::evaluate(p, {up()})[0].verdict == Verdict::Primary);
  CHECK(probe::evaluate(p, {down()})[0].verdict == Verdict::Unavailable);
}

TEST_CASE("probe: evaluate a load-balanced group: all-up, degraded, unavailable") {
  // `type` missing and `Failover` (capital F) both mean round robin for the gateway.
  for (std::string type : {"", "  type: loadbalance\n", "  type: Failover\n"}) {
    CAPTURE(type);
    Resolved r(std::string(kHead) + "x-wso2-production-endpoints:\n" + type +
               "  urls: [http://m1.example, http://m2.example, http://m3.example]\n"
               "paths:\n  /p:\n" +
               kOperation);
    probe::Plan p = probe::plan(r.resolution, "");
    REQUIRE(p.groups.size() == 1);
    REQUIRE(p.groups[0].group->type == endpoints::GroupType::LoadBalance);

    auto o = probe::evaluate(p, {up(), up(), up()});
    CHECK(o[0].verdict == Verdict::AllUp);
    CHECK(o[0].available == 3);
    REQUIRE(o[0].serving.has_value());
    CHECK(*o[0].serving == 0);
    CHECK(probe::exit_code(o) == 0);

    o = probe::evaluate(p, {down(Reason::Timeout), up(), down()});
    CHECK(o[0].verdict == Verdict::Degraded);
    CHECK(o[0].available == 1);
    REQUIRE(o[0].serving.has_value());
    CHECK(*o[0].serving == 1);  // the first available member
    CHECK(probe::exit_code(o) == 7);

    o = probe::evaluate(p, {down(), down(Reason::Dns), down(Reason::Timeout)});
    CHECK(o[0].verdict == Verdict::Unavailable);
    CHECK(o[0].available == 0);
    CHECK_FALSE(o[0].serving.has_value());
    CHECK(probe::exit_code(o) == 8);
  }
}

TEST_CASE("probe: evaluate reads one shared result for every group naming a target") {
  Resolved r(shared_targets_yaml());
  probe::Plan p = probe::plan(r.resolution, "");
  REQUIRE(p.targets.size() == 4);
  // a.example:8080 (plain) is down; b.example:80 is up; the https ones are up.
  auto o = probe::evaluate(p, {down(Reason::Refused), up(), up(), up()});
  REQUIRE(o.size() == 4);
  CHECK(o[0].verdict == Verdict::FailedOver);  // API production: [a:8080, b:80]
  CHECK(*o[0].serving == 1);
  CHECK(o[1].verdict == Verdict::AllUp);  // API sandbox: https targets
  CHECK(o[2].verdict == Verdict::FailedOver);  // /x: [a:8080, b:80]
  CHECK(*o[2].serving == 1);
  CHECK(o[3].verdict == Verdict::Degraded);  // /y, load balanced: [b:80, a:8080]
  CHECK(*o[3].serving == 0);
  CHECK(probe::exit_code(o) == 7);

  o = probe::evaluate(p, {up(), down(Reason::Timeout), down(Reason::Tls), up()});
  CHECK(o[0].verdict == Verdict::Degraded);  // primary serves, its backup is down
  CHECK(*o[0].serving == 0);
  CHECK(o[1].verdict == Verdict::Degraded);
  CHECK(o[2].verdict == Verdict::Degraded);
  CHECK(o[3].verdict == Verdict::Degraded);
  CHECK(*o[3].serving == 1);
  CHECK(probe::exit_code(o) == 7);

  o = probe::evaluate(p, {up(), up(), down(Reason::Tls), down(Reason::Tls)});
  CHECK(o[1].verdict == Verdict::Unavailable);
  CHECK(probe::exit_code(o) == 8);
}

TEST_CASE("probe: exit_code is 0, 7 for failed-over or degraded, 8 when a group has nothing, 8 wins over 7") {
  CHECK(probe::exit_code({}) == 0);
  CHECK(probe::exit_code({outcome(Verdict::Primary), outcome(Verdict::AllUp)}) == 0);
  CHECK(probe::exit_code({outcome(Verdict::FailedOver)}) == 7);
  CHECK(probe::exit_code({outcome(Verdict::Primary), outcome(Verdict::Degraded)}) == 7);
  CHECK(probe::exit_code({outcome(Verdict::Unavailable)}) == 8);
  CHECK(probe::exit_code({outcome(Verdict::FailedOver), outcome(Verdict::Unavailable)}) == 8);
  CHECK(probe::exit_code({outcome(Verdict::Unavailable), outcome(Verdict::Degraded)}) == 8);
  CHECK(probe::exit_code({outcome(Verdict::AllUp), outcome(Verdict::Degraded), outcome(Verdict::Unavailable),
                          outcome(Verdict::Primary)}) == 8);
}

TEST_CASE("probe: verdicts and reasons have the names of the JSON report") {
  CHECK(probe::to_string(Verdict::Primary) == "primary");
  CHECK(probe::to_string(Verdict::FailedOver) == "failed-over");
  CHECK(probe::to_string(Verdict::AllUp) == "all-up");
  CHECK(probe::to_string(Verdict::Degraded) == "degraded");
  CHECK(probe::to_string(Verdict::Unavailable) == "unavailable");
  CHECK(probe::to_string(Reason::Ok) == "ok");
  CHECK(probe::to_string(Reason::Dns) == "dns");
  CHECK(probe::to_string(Reason::Refused) == "refused");
  CHECK(probe::to_string(Reason::Timeout) == "timeout");
  CHECK(probe::to_string(Reason::Reset) == "reset");
  CHECK(probe::to_string(Reason::Tls) == "tls");
}

// ------------------------------------------------------------ probe --gateway

namespace {

// The router's view as `portico gateway` serves it, for the API of `r`.
struct ViewCluster {
  std::string environment, scope, path;
  std::vector<std::pair<std::string, std::string>> hosts;  // url, health
  std::string serving;                                     // "" = null
  bool panic = false;
};

std::string view_json(const endpoints::Resolution& r, const std::vector<ViewCluster>& cs, bool deployed = true) {
  nlohmann::json clusters = nlohmann::json::array();
  for (const auto& c : cs) {
    nlohmann::json hosts = nlohmann::json::array();
    for (std::size_t i = 0; i < c.hosts.size(); ++i)
      hosts.push_back({{"url", c.hosts[i].first}, {"priority", i}, {"health", c.hosts[i].second}});
    clusters.push_back({{"name", r.name.value + " " + r.version.value + " " + c.environment + (c.path.empty() ? "" : " " + c.path)},
                        {"type", "failover"},
                        {"api", {{"name", r.name.value}, {"version", r.version.value}}},
                        {"environment", c.environment},
                        {"scope", c.scope},
                        {"path", c.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.path)},
                        {"health_checked", c.hosts.size() > 1},
                        {"panic", c.panic},
                        {"serving", c.serving.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.serving)},
                        {"hosts", hosts}});
  }
  nlohmann::json apis = nlohmann::json::array();
  if (deployed) apis.push_back({{"name", r.name.value}, {"version", r.version.value}, {"basepath", "/probe"}});
  return nlohmann::json{{"apis", apis},
                        {"clusters", clusters},
                        {"health_check", {{"interval_ms", 10000}, {"unhealthy_threshold", 2}, {"healthy_threshold", 2}}}}
      .dump();
}

std::vector<probe::GatewayGroup> matched(const Resolved& r, const probe::Plan& p, const std::vector<probe::Result>& res,
                                         const probe::RouterView& view) {
  return probe::match_gateway(r.resolution, p, res, probe::evaluate(p, res), view);
}

}  // namespace

TEST_CASE("probe gateway: each group is matched to the cluster that carries its traffic, by environment, scope and path") {
  Resolved r(std::string(kHead) +
             "x-wso2-production-endpoints:\n  type: failover\n  urls: [http://p.example/v1, http://s.example/v1]\n"
             "x-wso2-sandbox-endpoints:\n  urls: [http://sb.example/v1]\n"
             "paths:\n  /orders:\n    x-wso2-production-endpoints:\n      urls: [http://o.example/v1]\n" +
             kOperation);
  probe::Plan p = probe::plan(r.resolution, "");
  REQUIRE(p.groups.size() == 3);
  auto view = probe::parse_router_view(
      view_json(r.resolution, {{"production", "resource", "/orders", {{"http://o.example/v1", "not checked (single URL)"}}, "http://o.example/v1"},
                               {"sandbox", "api", "", {{"http://sb.example/v1", "not checked (single URL)"}}, "http://sb.example/v1"},
                               {"production", "api", "", {{"http://p.example/v1", "healthy"}, {"http://s.example/v1", "unhealthy"}}, "http://p.example/v1"}}),
      "test");
  std::vector<probe::Result> res(p.targets.size(), up());
  auto m = matched(r, p, res, view);
  REQUIRE(m.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO(i);
    REQUIRE(m[i].status == probe::GatewayStatus::Serving);
    REQUIRE(m[i].cluster);
    CHECK(m[i].cluster->environment == endpoints::to_string(p.groups[i].group->environment));
    CHECK(m[i].cluster->path == (p.groups[i].group->resource() ? p.groups[i].group->path : ""));
    CHECK_FALSE(m[i].list_differs);
  }
  // Per URL, the router's word.
  const auto& api_prod = p.groups[0].group->scope == endpoints::Scope::Api &&
                                 p.groups[0].group->environment == endpoints::Environment::Production
                             ? m[0]
                             : m[1];
  CHECK(api_prod.health == std::vector<std::string>{"healthy", "unhealthy"});
  // The router counts s.example unhealthy, portico finds it up: a failover
  // group still agrees on the serving URL (the primary).
  CHECK_FALSE(api_prod.disagrees);
}

TEST_CASE("probe gateway: a reference uses its named list's cluster, a sandbox list on production's host uses production's") {
  Resolved r(std::string(kHead) +
             "x-wso2-endpoints:\n  - shared:\n      urls: [http://n.example/v1]\n"
             "x-wso2-production-endpoints:\n  urls: [http://p.example/v1]\n"
             "x-wso2-sandbox-endpoints:\n  urls: [http://p.example/v1]\n"
             "paths:\n  /ref:\n    x-wso2-production-endpoints: '#/x-wso2-endpoints/shared'\n" +
             kOperation);
  probe::Plan p = probe::plan(r.resolution, "");
  auto view = probe::parse_router_view(
      view_json(r.resolution, {{"production", "api", "", {{"http://p.example/v1", "not checked (single URL)"}}, "http://p.example/v1"},
                               {"production", "named", "shared", {{"http://n.example/v1", "not checked (single URL)"}}, "http://n.example/v1"}}),
      "test");
  auto m = matched(r, p, std::vector<probe::Result>(p.targets.size(), up()), view);
  REQUIRE(m.size() == p.groups.size());
  bool saw_ref = false, saw_sandbox = false;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const auto& g = *p.groups[i].group;
    INFO(g.scope_name() << " " << endpoints::to_string(g.environment));
    REQUIRE(m[i].status == probe::GatewayStatus::Serving);
    if (g.resource()) {
      saw_ref = true;
      CHECK(m[i].cluster->scope == "named");
      CHECK(m[i].cluster->path == "shared");
    } else if (g.environment == endpoints::Environment::Sandbox) {
      saw_sandbox = true;
      CHECK(g.uses_production_cluster);
      CHECK(m[i].cluster->environment == "production");
      CHECK(m[i].cluster->scope == "api");
    }
  }
  CHECK(saw_ref);
  CHECK(saw_sandbox);
}

TEST_CASE("probe gateway: not deployed, no cluster, a different list, and a router behind portico's measurement") {
  Resolved r(std::string(kHead) +
             "x-wso2-production-endpoints:\n  type: failover\n  urls: [http://p.example/v1, http://s.example/v1]\n"
             "paths:\n  /p:\n" +
             kOperation);
  probe::Plan p = probe::plan(r.resolution, "");
  REQUIRE(p.groups.size() == 1);
  std::vector<probe::Result> primary_down{down(), up()};

  SUBCASE("the API is not on the gateway") {
    auto view = probe::parse_router_view(view_json(r.resolution, {}, false), "test");
    auto m = matched(r, p, primary_down, view);
    CHECK(m[0].status == probe::GatewayStatus::NotDeployed);
    CHECK(m[0].cluster == nullptr);
    CHECK(probe::to_string(m[0].status) == "not-deployed");
  }
  SUBCASE("the API is there, but not this list") {
    auto view = probe::parse_router_view(
        view_json(r.resolution, {{"production", "resource", "/p", {{"http://x.example/v1", "not checked (single URL)"}}, ""}}), "test");
    auto m = matched(r, p, primary_down, view);
    CHECK(m[0].status == probe::GatewayStatus::NoCluster);
    REQUIRE(m[0].notes.size() == 1);
    CHECK(m[0].notes[0].find("deploy again") != std::string::npos);
  }
  SUBCASE("the router still sends traffic to the primary portico finds down") {
    auto view = probe::parse_router_view(
        view_json(r.resolution, {{"production", "api", "", {{"http://p.example/v1", "healthy"}, {"http://s.example/v1", "healthy"}}, "http://p.example/v1"}}),
        "test");
    auto m = matched(r, p, primary_down, view);
    REQUIRE(m[0].status == probe::GatewayStatus::Serving);
    CHECK(m[0].disagrees);
    REQUIRE(m[0].notes.size() == 1);
    CHECK(m[0].notes[0].find("the router sends traffic to http://p.example/v1, portico finds http://s.example/v1 should take it: "
                             "the router has not yet noticed that http://p.example/v1 is down") != std::string::npos);
    CHECK(m[0].notes[0].find("every 10000 ms") != std::string::npos);
  }
  SUBCASE("both agree: failed over") {
    auto view = probe::parse_router_view(
        view_json(r.resolution, {{"production", "api", "", {{"http://p.example/v1", "unhealthy"}, {"http://s.example/v1", "healthy"}}, "http://s.example/v1"}}),
        "test");
    auto m = matched(r, p, primary_down, view);
    CHECK_FALSE(m[0].disagrees);
    CHECK(m[0].notes.empty());
  }
  SUBCASE("the primary is back up: the router returns traffic after its passed checks") {
    auto view = probe::parse_router_view(
        view_json(r.resolution, {{"production", "api", "", {{"http://p.example/v1", "unhealthy"}, {"http://s.example/v1", "healthy"}}, "http://s.example/v1"}}),
        "test");
    auto m = matched(r, p, {up(), up()}, view);
    CHECK(m[0].disagrees);
    CHECK(m[0].notes[0].find("http://p.example/v1 is up again") != std::string::npos);
  }
  SUBCASE("the deployed list is another one") {
    auto view = probe::parse_router_view(
        view_json(r.resolution, {{"production", "api", "", {{"http://p.example/v1", "healthy"}, {"http://t.example/v1", "healthy"}}, "http://p.example/v1"}}),
        "test");
    auto m = matched(r, p, {up(), up()}, view);
    CHECK(m[0].list_differs);
    CHECK(m[0].health == std::vector<std::string>{"healthy", ""});
  }
  SUBCASE("panic is said") {
    auto view = probe::parse_router_view(
        view_json(r.resolution, {{"production", "api", "", {{"http://p.example/v1", "unhealthy"}, {"http://s.example/v1", "unhealthy"}}, "http://p.example/v1", true}}),
        "test");
    auto m = matched(r, p, {down(), down()}, view);
    REQUIRE_FALSE(m[0].notes.empty());
    CHECK(m[0].notes[0].find("panic") == 0);
  }
}

TEST_CASE("probe gateway: what is not the router's view is a network error (exit 6), never a crash") {
  for (std::string body : {"", "<html>Not Found</html>", "[]", "{\"apis\": []}", "{\"clusters\": 3}",
                           "{\"clusters\": [{\"name\": \"old gateway, no scope\"}]}", "{\"clusters\": [7]}"}) {
    INFO(body);
    try {
      probe::parse_router_view(body, "the gateway's router at http://x");
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::Network);
      CHECK(std::string(e.what()).find("is not the router's cluster view") != std::string::npos);
    }
  }
  CHECK(probe::parse_router_view("{\"clusters\": []}", "x").clusters.empty());
}

TEST_CASE("probe gateway: --gateway URL is the router's base, ENV is its adapter's scheme and host with port 9095") {
  std::map<std::string, config::Environment> envs{
      {"local", {"http://127.0.0.1:9843/api/mgw/adapter/0.1", "", false}},
      {"prod", {"https://gw.example:9843/api/mgw/adapter/0.1", "/etc/ca.pem", false}},
      {"v6", {"https://[::1]:9843/api/mgw/adapter/0.1", "", true}}};
  auto u = probe::gateway_location("http://127.0.0.1:19095/", envs, "");
  CHECK(u.base_url == "http://127.0.0.1:19095");
  CHECK(probe::gateway_location("https://h:1", envs, "/ca.pem").ca_file == "/ca.pem");
  CHECK(probe::gateway_location("local", envs, "").base_url == "http://127.0.0.1:9095");
  auto prod = probe::gateway_location("prod", envs, "");
  CHECK(prod.base_url == "https://gw.example:9095");
  CHECK(prod.ca_file == "/etc/ca.pem");
  CHECK(probe::gateway_location("prod", envs, "/mine.pem").ca_file == "/mine.pem");
  auto v6 = probe::gateway_location("v6", envs, "");
  CHECK(v6.base_url == "https://[::1]:9095");
  CHECK(v6.insecure);
  for (std::string bad : {"nosuch", "ftp://h:1"}) {
    INFO(bad);
    try {
      probe::gateway_location(bad, envs, "");
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::Usage);
    }
  }
  try {
    probe::gateway_location("nosuch", envs, "");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "unknown environment 'nosuch'");
    CHECK(e.hint().find("known: local, prod, v6") == 0);
  }
}

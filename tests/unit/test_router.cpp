// The router's pure logic: the table built from the gateway model, route
// matching, tokens, key types, rewriting, and the clusters' health and host
// choice with a fake clock (check results fed by hand), and the engine on a
// fake event loop.
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "crypto/jwt.hpp"
#include "crypto/keys.hpp"
#include "gateway/router/engine.hpp"
#include "gateway/router/health.hpp"
#include "gateway/router/router.hpp"
#include "router_sample.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"

using namespace portico;
using namespace portico::gateway::router;

namespace {

const char* kApiYaml = test::router_sample::kApiYaml;
const std::string kDefinition = test::router_sample::inventory_definition();

LoadedApi api(const std::string& def = kDefinition, std::vector<std::string> vhosts = {"localhost"}) {
  return test::router_sample::loaded_api("Inventory", "2.1.0", "/inventory/2.1.0", def, std::move(vhosts));
}

struct Fixture : test::router_sample::Signing {
  std::shared_ptr<const Table> table = build_table({api()});
  Context ctx() const { return context("j1"); }
  std::string token(const std::string& keytype = "PRODUCTION") {
    serve::Request r;
    r.method = "POST";
    r.target = "/testkey";
    r.headers = {{"Host", "localhost:9095"}, {"Authorization", "Basic " + base64::encode("admin:admin")}};
    if (keytype == "SANDBOX") r.body = "keytype=SANDBOX";
    auto d = route(*table, r, ctx());
    REQUIRE(d.response.status == 200);
    return d.response.body;
  }
  Decision call(const std::string& method, const std::string& target, const std::string& token = "",
                const std::string& host = "localhost") {
    serve::Request r;
    r.method = method;
    r.target = target;
    r.headers.push_back({"Host", host});
    if (!token.empty()) r.headers.push_back({"Authorization", "Bearer " + token});
    r.headers.push_back({"X-Custom", "kept"});
    return route(*table, r, ctx());
  }
};

std::string header(const std::vector<serve::Header>& hs, const std::string& name) {
  for (const auto& h : hs)
    if (h.name == name) return h.value;
  return "";
}

}  // namespace

TEST_CASE("router: route regexes follow Choreo Connect (params, optional trailing slash, /*)") {
  CHECK(route_regex("/p/v1", "/pets/{id}") == "^/p/v1/pets/([^/]+)[/]{0,1}$");
  CHECK(route_regex("/p/v1", "/files/*") == "^/p/v1/files(/.*)*$");
  std::regex r(route_regex("/p/v1", "/pets/{id}"));
  CHECK(std::regex_match("/p/v1/pets/7", r));
  CHECK(std::regex_match("/p/v1/pets/7/", r));
  CHECK_FALSE(std::regex_match("/p/v1/pets/7/x", r));
  std::regex w(route_regex("/p/v1", "/files/*"));
  CHECK(std::regex_match("/p/v1/files", w));
  CHECK(std::regex_match("/p/v1/files/a/b", w));
  CHECK_FALSE(std::regex_match("/p/v1/filesx", w));
}

TEST_CASE("router: the table has one cluster per list the model builds, with the list's settings") {
  Fixture f;
  const Table& t = *f.table;
  REQUIRE(t.apis.size() == 1);
  // API level, /orders production and sandbox; /mixed is dropped (mixed paths).
  REQUIRE(t.clusters.size() == 3);
  const ClusterSpec& c = t.clusters[0];
  CHECK(c.label == "Inventory 2.1.0 production");
  REQUIRE(c.hosts.size() == 2);
  CHECK(c.hosts[0].priority == 0);
  CHECK(c.hosts[1].priority == 1);
  CHECK(c.timeout_ms == 60000);  // clamped
  CHECK(c.retry_count == 2);
  CHECK(c.retry_statuses == std::set<int>{503});
  CHECK(c.max_connections == 3);
  CHECK(c.max_requests == 0);
  CHECK(c.basic_auth == "Basic " + base64::encode("u:p"));
  CHECK(c.health_checked());
  CHECK_FALSE(t.clusters[1].health_checked());
  // Literal paths first, then fewer parameters, /* last.
  std::vector<std::string> order;
  for (const auto& r : *t.apis[0].routes) order.push_back(r.resource);
  CHECK(order == std::vector<std::string>{"/items", "/items/mine", "/orders", "/mixed", "/items/{id}", "/files/*"});
}

TEST_CASE("router: unknown paths, undeclared methods and other hosts get 404 NR") {
  Fixture f;
  auto tok = f.token();
  auto d = f.call("GET", "/inventory/2.1.0/nope", tok);
  CHECK(d.flag == Flag::NR);
  CHECK(d.response.status == 404);
  auto j = nlohmann::json::parse(d.response.body);
  CHECK(j == nlohmann::json{{"code", "404"}, {"message", "Not Found"}, {"description", "The requested resource is not available."}});
  CHECK(f.call("POST", "/inventory/2.1.0/items", tok).response.status == 404);
  CHECK(f.call("GET", "/inventory/2.1.0/items", tok, "other.example.com").response.status == 404);
  CHECK(f.call("GET", "/inventory/2.1.0/items", tok, "LOCALHOST:9095").kind == Decision::Kind::Proxy);
  // OPTIONS is always routed, without a token.
  CHECK(f.call("OPTIONS", "/inventory/2.1.0/items").kind == Decision::Kind::Proxy);
}

TEST_CASE("router: missing, malformed, foreign and expired tokens get the enforcer's 401") {
  Fixture f;
  auto expect401 = [](const Decision& d) {
    CHECK(d.response.status == 401);
    auto j = nlohmann::json::parse(d.response.body);
    CHECK(j["code"] == "900901");
    CHECK(j["error_message"] == "Invalid Credentials");
    CHECK(header(d.response.headers, "WWW-Authenticate") == R"(Bearer realm="Choreo Connect", error="invalid_token")");
  };
  expect401(f.call("GET", "/inventory/2.1.0/items"));
  expect401(f.call("GET", "/inventory/2.1.0/items", "not.a.jwt"));
  // Found by fuzz/jwt: a header {"alg":5} threw out of route() (the router's loop).
  expect401(f.call("GET", "/inventory/2.1.0/items", "eyJhbGciOjV9.e30.eA"));
  auto other = crypto::generate_rsa(2048);
  expect401(f.call("GET", "/inventory/2.1.0/items",
                   crypto::jwt_sign_rs256({{"iss", "https://localhost:9095/testkey"}, {"exp", 1'800'000'000}}, other.get())));
  expect401(f.call("GET", "/inventory/2.1.0/items",
                   crypto::jwt_sign_rs256({{"iss", "https://localhost:9095/testkey"}, {"exp", 1'600'000'000}}, f.key.get())));
  // Found by fuzz/router_request: claims of the wrong type (a token only the
  // gateway's key could sign) threw out of route() instead of a 401.
  expect401(f.call("GET", "/inventory/2.1.0/items",
                   crypto::jwt_sign_rs256({{"iss", 0}, {"exp", 1'800'000'000}}, f.key.get())));
  CHECK(f.call("GET", "/inventory/2.1.0/items",
               crypto::jwt_sign_rs256({{"iss", "https://localhost:9095/testkey"}, {"keytype", 5}, {"exp", 1'800'000'000}},
                                      f.key.get()))
            .kind == Decision::Kind::Proxy);
  // The adapter's own tokens (same key, another issuer) are not router tokens.
  expect401(f.call("GET", "/inventory/2.1.0/items",
                   crypto::jwt_sign_rs256({{"iss", "portico-gateway"}, {"exp", 1'800'000'000}}, f.key.get())));
}

TEST_CASE("router: /testkey issues an RS256 JWT with the gateway's claims, bad credentials get 401") {
  Fixture f;
  auto claims = crypto::jwt_verify_rs256(f.token(), f.key.get(), 1'700'000'000);
  REQUIRE(claims);
  CHECK((*claims)["iss"] == "https://localhost:9095/testkey");
  CHECK((*claims)["aud"] == "http://org.wso2.apimgt/gateway");
  CHECK((*claims)["sub"] == "admin");
  CHECK((*claims)["keytype"] == "PRODUCTION");
  CHECK((*claims)["exp"] == 1'700'003'600);
  CHECK((*claims)["jti"] == "j1");
  CHECK((*claims).contains("scope"));
  CHECK((*claims)["iat"] == 1'700'000'000);
  auto sb = crypto::jwt_verify_rs256(f.token("SANDBOX"), f.key.get(), 1'700'000'000);
  CHECK((*sb)["keytype"] == "SANDBOX");
  serve::Request r;
  r.method = "GET";
  r.target = "/testkey";
  r.headers = {{"Host", "localhost"}, {"Authorization", "Basic " + base64::encode("admin:wrong")}};
  CHECK(route(*f.table, r, f.ctx()).response.status == 401);
}

TEST_CASE("router: the base path is rewritten to the chosen list's path, query kept, bearer dropped") {
  Fixture f;
  auto d = f.call("GET", "/inventory/2.1.0/items/7?x=1&y", f.token());
  REQUIRE(d.kind == Decision::Kind::Proxy);
  CHECK(d.cluster == 0);
  CHECK(d.target == "/api/items/7?x=1&y");
  CHECK(header(d.headers, "Authorization").empty());
  CHECK(header(d.headers, "X-Custom") == "kept");
  CHECK(header(d.headers, "Host").empty());
  auto o = f.call("POST", "/inventory/2.1.0/orders", f.token());
  CHECK(o.cluster == 1);
  CHECK(o.target == "/orders-api/orders");
  // A literal path beats a template.
  CHECK(f.call("GET", "/inventory/2.1.0/items/mine", f.token()).kind == Decision::Kind::Proxy);
  CHECK(f.call("GET", "/inventory/2.1.0/files/a/b.txt", f.token()).target == "/api/files/a/b.txt");
}

TEST_CASE("router: a dropped resource list falls back to the API-level cluster, as the model says") {
  Fixture f;
  auto d = f.call("GET", "/inventory/2.1.0/mixed", f.token());
  REQUIRE(d.kind == Decision::Kind::Proxy);
  CHECK(d.cluster == 0);
  // The rewrite follows the model's production_base for the route (non-strict
  // mode: the dropped list's route keeps no base of its own).
  auto meta = project::read_api_yaml(std::make_shared<doc::Document>(doc::parse("api.yaml", kApiYaml)));
  auto def = doc::parse("swagger.yaml", kDefinition);
  auto res = endpoints::resolve(def, &meta);
  std::string base;
  for (const auto& r : res.routes)
    if (r.path == "/mixed") base = r.production_base;
  CHECK(d.target == base + "/mixed");
}

TEST_CASE("router: key type picks the list, and no list for it is the enforcer's 401") {
  Fixture f;
  auto sb = f.call("POST", "/inventory/2.1.0/orders", f.token("SANDBOX"));
  REQUIRE(sb.kind == Decision::Kind::Proxy);
  CHECK(sb.cluster == 2);
  CHECK(sb.target == "/sb/orders");
  auto none = f.call("GET", "/inventory/2.1.0/items", f.token("SANDBOX"));
  CHECK(none.response.status == 401);
  CHECK(nlohmann::json::parse(none.response.body)["error_description"] ==
        "Sandbox key offered to an API with no sandbox endpoint");
}

TEST_CASE("router: x-wso2-disable-security at the operation, path item and API level") {
  Fixture f;
  CHECK(f.call("DELETE", "/inventory/2.1.0/items/3").kind == Decision::Kind::Proxy);
  CHECK(f.call("GET", "/inventory/2.1.0/items/3").response.status == 401);
  std::string def = kDefinition;
  f.table = build_table({api("x-wso2-disable-security: true\n" + def)});
  CHECK(f.call("GET", "/inventory/2.1.0/items").kind == Decision::Kind::Proxy);
  std::string item = def;
  item.replace(item.find("  /items:\n"), 10, "  /items:\n    x-wso2-disable-security: true\n");
  f.table = build_table({api(item)});
  CHECK(f.call("GET", "/inventory/2.1.0/items").kind == Decision::Kind::Proxy);
  CHECK(f.call("GET", "/inventory/2.1.0/items/mine").response.status == 401);
}

TEST_CASE("router: /health and /ready on the localhost vhost only") {
  Fixture f;
  auto h = f.call("GET", "/health");
  CHECK(h.response.status == 200);
  CHECK(nlohmann::json::parse(h.response.body) == nlohmann::json{{"status", "healthy"}});
  CHECK(f.call("GET", "/health", "", "example.com").response.status == 404);
}

TEST_CASE("router: a new failover cluster sends to priority 0 (panic) until its first check decides") {
  ClusterSpec s;
  s.label = "Inventory 2.1.0 production";
  s.hosts = {{"http://a:1", "http", "a", 1, 0, ""}, {"http://b:1", "http", "b", 1, 1, ""}, {"http://c:1", "http", "c", 1, 2, ""}};
  HealthConfig c;
  ClusterHealth h(s);
  CHECK(h.panic(s));
  CHECK(h.pick(s) == 0);
  // One check decides at the start: a down, b up.
  h.record(s, 0, false, "connection refused", c);
  h.record(s, 1, true, "ok", c);
  h.record(s, 2, true, "ok", c);
  CHECK(h.pick(s) == 1);
  // b goes down: unhealthy only after 2 failures in a row.
  CHECK(h.record(s, 1, false, "connection refused", c).empty());
  CHECK(h.pick(s) == 1);
  CHECK(h.record(s, 1, false, "connection refused", c) ==
        "Inventory 2.1.0 production: http://b:1 unhealthy after 2 failed checks; "
        "traffic now to priority 2 http://c:1");
  CHECK(h.pick(s) == 2);
  // a comes back after 2 passed checks and takes the traffic again.
  CHECK(h.record(s, 0, true, "ok", c).empty());
  CHECK(h.pick(s) == 2);
  CHECK(h.record(s, 0, true, "ok", c) ==
        "Inventory 2.1.0 production: http://a:1 healthy after 2 passed checks; traffic now to priority 0 http://a:1");
  CHECK(h.pick(s) == 0);
  // Everything down: panic, priority 0.
  for (int i = 0; i < 2; ++i)
    for (std::size_t k = 0; k < 3; ++k) h.record(s, k, false, "timeout", c);
  CHECK(h.panic(s));
  CHECK(h.pick(s) == 0);
}

TEST_CASE("router: a load-balanced cluster round-robins over its healthy hosts") {
  ClusterSpec s;
  s.type = endpoints::GroupType::LoadBalance;
  s.hosts = {{"http://a:1", "http", "a", 1, 0, ""}, {"http://b:1", "http", "b", 1, 0, ""}, {"http://c:1", "http", "c", 1, 0, ""}};
  HealthConfig c;
  ClusterHealth h(s);
  for (std::size_t k = 0; k < 3; ++k) h.record(s, k, true, "ok", c);
  std::set<int> seen;
  for (int i = 0; i < 3; ++i) seen.insert(h.pick(s));
  CHECK(seen == std::set<int>{0, 1, 2});
  h.record(s, 1, false, "refused", c);
  h.record(s, 1, false, "refused", c);
  seen.clear();
  for (int i = 0; i < 6; ++i) seen.insert(h.pick(s));
  CHECK(seen == std::set<int>{0, 2});
}

namespace {

// A fake event loop: timers and fetches are queued and run by the test.
struct FakeLoop : serve::Loop {
  long long now = 0;
  std::deque<std::pair<long long, std::function<void()>>> timers;
  std::vector<std::pair<serve::UpstreamRequest, std::function<void(serve::UpstreamResult)>>> fetches;
  std::function<bool(const std::string&)> check_ok = [](const std::string&) { return true; };
  void post(std::function<void()> fn) override { timers.emplace_back(now, std::move(fn)); }
  void after(long ms, std::function<void()> fn) override { timers.emplace_back(now + ms, std::move(fn)); }
  void fetch(serve::UpstreamRequest r, std::function<void(serve::UpstreamResult)> done) override {
    fetches.emplace_back(std::move(r), std::move(done));
  }
  void tcp_check(std::string host, int, long, std::function<void(bool, std::string)> done) override {
    bool ok = check_ok(host);
    done(ok, ok ? "ok" : "connection refused");
  }
  long long now_ms() override { return now; }
  // Runs the timers due within `ms` from now, advancing the clock.
  void advance(long long ms) {
    long long end = now + ms;
    for (;;) {
      auto it = std::min_element(timers.begin(), timers.end(), [](auto& a, auto& b) { return a.first < b.first; });
      if (it == timers.end() || it->first > end) break;
      now = std::max(now, it->first);
      auto fn = std::move(it->second);
      timers.erase(it);
      fn();
    }
    now = end;
  }
};

serve::UpstreamResult status(int code) {
  serve::UpstreamResult r;
  r.response.status = code;
  r.response.body = "b";
  return r;
}

}  // namespace

TEST_CASE("router engine: status-code retries on the same cluster, connect failure not retried, overflow at once") {
  Fixture f;
  FakeLoop loop;
  std::vector<std::string> log;
  EngineConfig ec;
  ec.key = f.key.get();
  ec.users = f.users;
  ec.log = [&](const std::string& l) { log.push_back(l); };
  ec.wall_clock = [] { return 1'700'000'000LL; };
  Engine e(loop, ec);
  e.set_table(f.table);
  loop.advance(0);  // first checks: both healthy
  auto tok = f.token();
  auto request = [&](const std::string& target) {
    serve::Request r;
    r.method = "GET";
    r.target = target;
    r.headers = {{"Host", "localhost"}, {"Authorization", "Bearer " + tok}};
    return r;
  };
  std::vector<serve::Response> answers;
  e.handle(request("/inventory/2.1.0/items"), [&](serve::Response r) { answers.push_back(r); });
  REQUIRE(loop.fetches.size() == 1);
  CHECK(loop.fetches[0].first.port == 8001);
  CHECK(loop.fetches[0].first.target == "/api/items");
  CHECK(header(loop.fetches[0].first.headers, "Authorization") == "Basic " + base64::encode("u:p"));
  loop.fetches[0].second(status(503));
  loop.advance(100);
  REQUIRE(loop.fetches.size() == 2);
  loop.fetches[1].second(status(503));
  loop.advance(200);
  REQUIRE(loop.fetches.size() == 3);
  loop.fetches[2].second(status(503));  // count 2: three attempts, then the 503 goes back
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].status == 503);
  CHECK(log.back().find("(3 attempts)") != std::string::npos);

  // A connect failure is not retried: 503 102503.
  e.handle(request("/inventory/2.1.0/items"), [&](serve::Response r) { answers.push_back(r); });
  serve::UpstreamResult refused;
  refused.error = serve::UpstreamError::Connect;
  refused.detail = "connection refused";
  loop.fetches.back().second(refused);
  REQUIRE(answers.size() == 2);
  CHECK(answers[1].status == 503);
  CHECK(nlohmann::json::parse(answers[1].body)["code"] == "102503");
  CHECK(log.back().find(" UF ") != std::string::npos);

  // maxConnections 3 and the default maxPendingRequests go to the
  // connection pool with the cluster as the group; an overflow there is 503 102505.
  std::size_t before = loop.fetches.size();
  for (int i = 0; i < 4; ++i)
    e.handle(request("/inventory/2.1.0/items"), [&](serve::Response r) { answers.push_back(r); });
  REQUIRE(loop.fetches.size() == before + 4);
  CHECK(loop.fetches[before].first.max_connections == 3);
  CHECK(loop.fetches[before].first.max_pending == 1024);
  CHECK(loop.fetches[before].first.group == f.table->clusters[0].key);
  serve::UpstreamResult full;
  full.error = serve::UpstreamError::Overflow;
  loop.fetches.back().second(full);
  REQUIRE(answers.size() == 3);
  CHECK(answers[2].status == 503);
  CHECK(nlohmann::json::parse(answers[2].body)["code"] == "102505");
  CHECK(e.clusters_json()["clusters"][0]["active_requests"] == 3);
  for (std::size_t i = before; i + 1 < loop.fetches.size(); ++i) loop.fetches[i].second(status(200));
  CHECK(answers.size() == 6);
  CHECK(e.clusters_json()["clusters"][0]["active_requests"] == 0);

  // A timeout is 504 102504.
  e.handle(request("/inventory/2.1.0/items"), [&](serve::Response r) { answers.push_back(r); });
  serve::UpstreamResult late;
  late.error = serve::UpstreamError::Timeout;
  loop.fetches.back().second(late);
  CHECK(answers.back().status == 504);
  CHECK(nlohmann::json::parse(answers.back().body)["code"] == "102504");
}

TEST_CASE("router engine: health checks move traffic to the backup and back, a new table keeps health") {
  Fixture f;
  FakeLoop loop;
  std::vector<std::string> log;
  EngineConfig ec;
  ec.key = f.key.get();
  ec.users = f.users;
  ec.health.interval_ms = 100;
  ec.health.no_traffic_interval_ms = 100;
  ec.log = [&](const std::string& l) { log.push_back(l); };
  ec.wall_clock = [] { return 1'700'000'000LL; };
  Engine e(loop, ec);
  e.set_table(f.table);
  loop.advance(0);
  auto clusters = e.clusters_json()["clusters"];
  CHECK(clusters[0]["serving"] == "http://127.0.0.1:8001/api");
  CHECK(clusters[0]["hosts"][0]["health"] == "healthy");
  CHECK(clusters[1]["hosts"][0]["health"] == "not checked (single URL)");
  // Each cluster names the list it is built from (probe --gateway matches on these).
  CHECK(clusters[0]["api"] == nlohmann::json{{"name", "Inventory"}, {"version", "2.1.0"}});
  CHECK(clusters[0]["environment"] == "production");
  CHECK(clusters[0]["scope"] == "api");
  CHECK(clusters[0]["path"].is_null());
  CHECK(clusters[1]["scope"] == "resource");
  CHECK(clusters[1]["path"] == "/orders");
  CHECK(clusters[1]["name"] == "Inventory 2.1.0 production /orders");
  CHECK(clusters[2]["environment"] == "sandbox");
  CHECK(clusters[2]["path"] == "/orders");
  bool primary_up = false;
  loop.check_ok = [&](const std::string&) { return primary_up; };
  // Checks of both hosts (same host name here) fail twice: both unhealthy, panic.
  loop.advance(200);
  CHECK(e.clusters_json()["clusters"][0]["panic"] == true);
  primary_up = true;
  loop.advance(200);
  CHECK(e.clusters_json()["clusters"][0]["panic"] == false);
  // The same cluster in a rebuilt table keeps its state.
  e.set_table(build_table({api()}));
  CHECK(e.clusters_json()["clusters"][0]["hosts"][0]["health"] == "healthy");
  bool logged = false;
  for (const auto& l : log) logged = logged || l.find("unhealthy after 2 failed checks") != std::string::npos;
  CHECK(logged);
}

TEST_CASE("serve: the pool reuses, opens within maxConnections, queues up to maxPendingRequests, then overflows") {
  using serve::Admit;
  using serve::admit;
  CHECK(admit(1, 0, 5, 0, 5, 0) == Admit::Reuse);        // an idle connection to this upstream
  CHECK(admit(0, 0, 100, 0, 0, 0) == Admit::Open);       // no limit
  CHECK(admit(0, 0, 2, 0, 3, 1) == Admit::Open);         // under maxConnections
  CHECK(admit(0, 1, 3, 0, 3, 1) == Admit::Evict);        // at the limit, an idle one elsewhere gives way
  CHECK(admit(0, 0, 3, 0, 3, 1) == Admit::Queue);        // at the limit: waits
  CHECK(admit(0, 0, 3, 1, 3, 1) == Admit::Overflow);     // the queue is full: 503 102505
  CHECK(admit(0, 0, 3, 1023, 3, 1024) == Admit::Queue);  // Envoy's default 1024
}

TEST_CASE("router: maxPendingRequests is read from circuitBreakers, Envoy's 1024 otherwise") {
  Fixture f;
  CHECK(f.table->clusters[0].max_pending == 1024);
  std::string def = kDefinition;
  def.replace(def.find("maxRequests: -1"), 15, "maxRequests: 4, maxPendingRequests: 2");
  auto t = build_table({api(def)});
  CHECK(t->clusters[0].max_pending == 2);
  CHECK(t->clusters[0].max_requests == 4);
}

TEST_CASE("router: the adapter's environment variables give an API-level list's Basic credentials") {
  // api_<hex SHA-1 of "NAME:VERSION">_{prod,sand}_basic_{username,password}, as the adapter names them
  // (`printf 'Env:1.0' | sha1sum` is 3bf64c0f...).
  CHECK(env_credential_name("Env", "1.0", false, false) == "api_3bf64c0f9adba267fe5052a198a65d00175459bf_prod_basic_username");
  CHECK(env_credential_name("Env", "1.0", true, true) == "api_3bf64c0f9adba267fe5052a198a65d00175459bf_sand_basic_password");
  std::map<std::string, std::string> vars{{env_credential_name("Inventory", "2.1.0", false, false), "envuser"},
                                          {env_credential_name("Inventory", "2.1.0", false, true), "\"s3\\\"cret\""}};
  EnvLookup env = [&](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto t = build_table({api()}, env);
  CHECK(t->clusters[0].basic_auth == "Basic " + base64::encode("envuser:s3\"cret"));  // Go-unquoted
  // No securityConfig on the list: the variables are not used.
  std::string def = kDefinition;
  def.erase(def.find("  securityConfig: {type: basic, username: u, password: p}\n"), 58);
  auto none = build_table({api(def)}, env);
  CHECK(none->clusters[0].basic_auth.empty());
  // A resource-level list keeps its own (the adapter reads the variables for API-level lists only).
  std::string res = kDefinition;
  res.replace(res.find("      urls: [http://127.0.0.1:9001/orders-api]\n"), 47,
              "      urls: [http://127.0.0.1:9001/orders-api]\n      securityConfig: {type: BASIC, username: r, password: q}\n");
  auto rt = build_table({api(res)}, env);
  CHECK(rt->clusters[1].basic_auth == "Basic " + base64::encode("r:q"));
}

namespace {

LoadedApi named_api(const std::string& name, const std::string& basepath, const std::string& def,
                    std::vector<std::string> vhosts = {"localhost"}) {
  LoadedApi a = api(def, std::move(vhosts));
  a.name = name;
  a.basepath = basepath;
  return a;
}

// Everything a table holds, routes and clusters in order (a route's target
// by its index in Table::clusters and that cluster's key).
std::string describe(const Table& t) {
  auto key = [](std::string k) {
    std::replace(k.begin(), k.end(), '\n', '|');
    return k;
  };
  std::string out;
  auto target = [&](const ApiEntry& a, const Target& x) {
    std::string s = std::string(x.has_list ? "list" : "none") + " base=" + x.base;
    if (x.cluster == kNoCluster) return s + " cluster=-";
    std::size_t i = a.cluster_base + x.cluster;
    return s + " cluster=" + std::to_string(i) + (i < t.clusters.size() ? " (" + key(t.clusters[i].key) + ")" : " (out of range)");
  };
  for (const auto& a : t.apis) {
    out += "api " + a.name + " " + a.version + " " + a.basepath + " base=" + std::to_string(a.cluster_base);
    for (const auto& v : a.vhosts) out += " " + v;
    out += "\n";
    for (const auto& r : *a.routes) {
      out += "  " + r.resource + " " + r.pattern + " params=" + std::to_string(r.params) + (r.wildcard ? " wild" : "");
      for (const auto& m : r.methods) out += " " + m + (r.open_methods.count(m) ? "(open)" : "");
      out += "\n    production: " + target(a, r.production) + "\n    sandbox: " + target(a, r.sandbox) + "\n";
    }
  }
  for (const auto& c : t.clusters) {
    out += "cluster " + key(c.key) + " : " + c.label + " " + std::string(endpoints::to_string(c.type)) +
           " timeout=" + std::to_string(c.timeout_ms) + " retries=" + std::to_string(c.retry_count) +
           " max=" + std::to_string(c.max_connections) + "/" + std::to_string(c.max_requests) + "/" +
           std::to_string(c.max_pending) + " auth=" + c.basic_auth;
    for (int s : c.retry_statuses) out += " " + std::to_string(s);
    for (const auto& h : c.hosts)
      out += " [" + h.url + " " + h.scheme + " " + h.host + ":" + std::to_string(h.port) + " p" +
             std::to_string(h.priority) + " ca=" + h.ca_pem + "]";
    out += "\n";
  }
  return out;
}

// What route() decides for a few requests on each base path (the decision's
// cluster by its key).
std::string decisions(const Table& t, const std::vector<std::string>& basepaths) {
  std::string out;
  Context ctx;
  for (const auto& bp : basepaths)
    for (auto [method, path, host] : {std::tuple{"GET", "/a", "localhost"}, std::tuple{"GET", "/a/7", "localhost"},
                                      std::tuple{"DELETE", "/items/7", "localhost"}, std::tuple{"GET", "/a", "other.example"},
                                      std::tuple{"GET", "/files/x/y", "localhost"}, std::tuple{"POST", "/orders", "localhost"}}) {
      serve::Request r;
      r.method = method;
      r.target = bp + path;
      r.headers = {{"Host", host}};
      auto d = route(t, r, ctx);
      out += std::string(method) + " " + host + r.target + " -> " + d.api + " " + flag_name(d.flag) + " " +
             std::to_string(d.response.status);
      if (d.kind == Decision::Kind::Proxy)
        out += " proxy " + (d.cluster < t.clusters.size() ? t.clusters[d.cluster].key : "out of range") + " " + d.target;
      out += "\n";
    }
  return out;
}

}  // namespace

TEST_CASE("router: the table kept between deploys equals a full rebuild after deploys, overrides and undeploys") {
  // Open routes on an API-level list (one cluster) and a named list.
  const std::string small = R"(openapi: 3.0.1
info: {title: Small, version: 2.1.0}
x-wso2-disable-security: true
x-wso2-production-endpoints:
  urls: [http://127.0.0.1:7001/s]
x-wso2-endpoints:
  - backup:
      urls: [http://127.0.0.1:7002/s, http://127.0.0.1:7003/s]
      type: loadbalance
paths:
  /a:
    get: {responses: {'200': {description: OK}}}
  /a/{id}:
    x-wso2-production-endpoints: "#/x-wso2-endpoints/backup"
    get: {responses: {'200': {description: OK}}}
)";
  // No list in the definition: one cluster, from api.yaml's endpointConfig.
  const std::string bare = "openapi: 3.0.1\ninfo: {title: Bare, version: 2.1.0}\nx-wso2-disable-security: true\n"
                           "paths:\n  /a:\n    get: {responses: {'200': {description: OK}}}\n";
  std::string fewer = kDefinition;  // kDefinition without /orders' two lists
  for (std::string line : {"    x-wso2-production-endpoints:\n      urls: [http://127.0.0.1:9001/orders-api]\n",
                           "    x-wso2-sandbox-endpoints:\n      urls: [http://127.0.0.1:9002/sb]\n"}) {
    REQUIRE(fewer.find(line) != std::string::npos);
    fewer.erase(fewer.find(line), line.size());
  }

  // A store as the gateway's: a put replaces in place or appends, a remove erases.
  struct Slot {
    std::string key;
    std::uint64_t revision;
    std::optional<LoadedApi> api;  // nullopt: cannot be served
  };
  std::vector<Slot> store;
  std::uint64_t revision = 0;
  auto put = [&](std::optional<LoadedApi> a, const std::string& key) {
    auto it = std::find_if(store.begin(), store.end(), [&](const Slot& s) { return s.key == key; });
    if (it != store.end())
      *it = {key, ++revision, std::move(a)};
    else
      store.push_back({key, ++revision, std::move(a)});
  };
  auto remove = [&](const std::string& key) {
    std::erase_if(store, [&](const Slot& s) { return s.key == key; });
  };

  TableCache cache;
  std::size_t loads = 0, errors = 0, gone_once = 0;
  std::set<std::string> vanish;  // keys whose next load finds them gone
  auto update = [&] {
    std::vector<TableCache::Deployed> deployed;
    for (const auto& s : store) deployed.push_back({s.key, s.revision});
    return cache.update(
        deployed,
        [&](std::size_t i) -> std::optional<LoadedApi> {
          ++loads;
          if (vanish.erase(store[i].key)) {
            ++gone_once;
            return std::nullopt;
          }
          if (!store[i].api) throw Error(ExitCode::Input, "no definition");
          return *store[i].api;
        },
        [&](std::size_t, const std::string& what) {
          ++errors;
          CHECK(what == "no definition");
        });
  };
  auto check = [&](std::size_t loaded) {
    // The full rebuild: every API that can be served, in the store's order.
    std::vector<LoadedApi> all;
    std::vector<std::string> basepaths;
    for (const auto& s : store)
      if (s.api && !vanish.count(s.key)) all.push_back(*s.api);
    for (const auto& a : all) basepaths.push_back(a.basepath);
    auto full = build_table(all);
    std::size_t before = loads;
    auto incremental = update();
    CHECK(loads - before == loaded);  // only the APIs that changed were loaded and built
    std::size_t i = 0;  // the clusters read in sequence are the clusters by index
    for (const auto& c : incremental->clusters) CHECK(&c == &incremental->clusters[i++]);
    CHECK(i == incremental->clusters.size());
    CHECK(describe(*incremental) == describe(*full));
    CHECK(decisions(*incremental, basepaths) == decisions(*full, basepaths));
    return incremental;
  };

  put(named_api("Small", "/shop/1", small), "Small");
  check(1);
  put(named_api("Inventory", "/inventory/2.1.0", kDefinition), "Inventory");
  check(1);
  put(named_api("Cart", "/cart/1", small, {"localhost", "other.example"}), "Cart");  // as long as /shop/1
  put(named_api("Bare", "/x", bare), "Bare");
  auto t = check(2);
  REQUIRE(t->apis.size() == 4);
  CHECK(t->apis[0].name == "Inventory");  // the longest base path first
  CHECK(t->apis[1].name == "Small");      // then the store's order among equal lengths
  CHECK(t->apis[2].name == "Cart");
  CHECK(t->clusters.size() == 2 + 3 + 2 + 1);  // Bare's from its api.yaml
  CHECK(t->apis[2].cluster_base == 5);
  {  // route() gives an index into the whole table: Cart's named list, not Small's
    serve::Request r;
    r.method = "GET";
    r.target = "/cart/1/a/7";
    r.headers = {{"Host", "localhost"}};
    auto d = route(*t, r, Context{});
    REQUIRE(d.kind == Decision::Kind::Proxy);
    CHECK(d.cluster == 6);
    CHECK(t->clusters[d.cluster].label == "Cart 2.1.0 production x-wso2-endpoints backup");
    CHECK(d.target == "/s/a/7");
  }
  check(0);  // nothing changed: nothing loaded

  // Override of an API in the middle with fewer clusters: the later APIs' clusters move down.
  put(named_api("Inventory", "/inventory/2.1.0", fewer), "Inventory");
  t = check(1);
  CHECK(t->clusters.size() == 2 + 1 + 2 + 1);
  // Its environments changed (a new revision, the same archive).
  put(named_api("Cart", "/cart/1", small, {"other.example"}), "Cart");
  check(1);
  // An override with a longer base path moves the API first.
  put(named_api("Small", "/shop/1/longer/than/inventory", small), "Small");
  t = check(1);
  CHECK(t->apis[0].name == "Small");
  // Undeploy the API in the middle.
  remove("Inventory");
  t = check(0);
  CHECK(t->clusters.size() == 2 + 2 + 1);

  // An API that cannot be served is left out, said once, not loaded again at the same revision.
  put(std::nullopt, "Broken");
  check(1);
  CHECK(errors == 1);
  check(0);
  CHECK(errors == 1);
  put(named_api("Broken", "/broken", kDefinition), "Broken");
  check(1);
  // One that is gone meanwhile is left out and loaded at the next update.
  put(named_api("Late", "/late", small), "Late");
  vanish.insert("Late");
  check(1);
  CHECK(gone_once == 1);
  t = check(1);
  CHECK(std::any_of(t->apis.begin(), t->apis.end(), [](const ApiEntry& a) { return a.name == "Late"; }));
  CHECK(cache.parts_built() == 9);
  // Everything undeployed: an empty table.
  store.clear();
  t = check(0);
  CHECK(t->apis.empty());
  CHECK(t->clusters.empty());
}

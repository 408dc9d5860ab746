#include <doctest/doctest.h>

#include <filesystem>

#include "doc/document.hpp"
#include "endpoints/resolve.hpp"
#include "process.hpp"
#include "util/file.hpp"

using namespace portico;
using endpoints::Environment;
using endpoints::GroupType;

namespace {

std::vector<std::string> urls_of(const endpoints::Group& g) {
  std::vector<std::string> out;
  for (const auto& u : g.urls) out.push_back(u.url);
  return out;
}

const endpoints::Group* find(const endpoints::Resolution& r, bool resource, const std::string& path,
                             Environment env) {
  for (const auto& g : r.groups)
    if (g.resource() == resource && g.path == path && g.environment == env) return &g;
  return nullptr;
}

std::shared_ptr<project::ApiYaml> meta_of(const std::string& yaml) {
  auto d = std::make_shared<doc::Document>(doc::parse("api.yaml", yaml));
  return std::make_shared<project::ApiYaml>(project::read_api_yaml(d));
}

}  // namespace

TEST_CASE("resolve: agrees with the cluster assertions of Choreo Connect's unit tests") {
  std::string shared = test::shared_dir();
  if (shared.empty()) {
    MESSAGE("skipped: ../shared is absent");
    return;
  }
  std::string dir = shared + "/corpus/choreo-connect/unit/";
  auto load = [&](const std::string& name) { return doc::parse(name, file::read(dir + name)); };

  for (const char* name : {"openapi_with_extensions_only.yaml", "openapi_with_extensions_servers.yaml"}) {
    CAPTURE(name);
    auto d = load(name);
    auto r = endpoints::resolve(d);
    auto* api = find(r, false, "", Environment::Production);
    REQUIRE(api);
    CHECK(api->type == GroupType::LoadBalance);
    CHECK(urls_of(*api) == std::vector<std::string>{"http://apiLevelEndpoint", "http://apiLevelLBEndpoint:8080"});
    auto* res = find(r, true, "/pets", Environment::Production);
    REQUIRE(res);
    CHECK(res->type == GroupType::Failover);
    CHECK(urls_of(*res) ==
          std::vector<std::string>{"https://resourceLevelEndpoint", "https://resourceLevelLBEndpoint:8080"});
  }
  {
    auto d = load("openapi_with_endpoint_ref.yaml");
    auto r = endpoints::resolve(d);
    auto* api = find(r, false, "", Environment::Production);
    REQUIRE(api);
    CHECK(api->source == "#/x-wso2-endpoints/my-api-endpoints");
    CHECK(api->type == GroupType::LoadBalance);
    CHECK(urls_of(*api) == std::vector<std::string>{"http://apiLevelEndpoint", "http://apiLevelLBEndpoint:8080"});
    auto* res = find(r, true, "/pets", Environment::Production);
    REQUIRE(res);
    CHECK(res->source == "#/x-wso2-endpoints/my-resource-endpoints");
    CHECK(res->type == GroupType::Failover);
    CHECK(urls_of(*res) ==
          std::vector<std::string>{"https://resourceLevelEndpoint", "https://resourceLevelLBEndpoint:8080"});
  }
  {
    auto d = load("openapi_prod_sand_clusters.yaml");
    auto r = endpoints::resolve(d);
    for (auto env : {Environment::Production, Environment::Sandbox}) {
      auto* api = find(r, false, "", env);
      REQUIRE(api);
      CHECK(api->type == GroupType::LoadBalance);
      CHECK(urls_of(*api).front() == "http://apiLevelProdEndpoint");
      auto* res = find(r, true, "/pets/{petId}", env);
      REQUIRE(res);
      CHECK(urls_of(*res).front() == "https://resourceLevelProdEndpoint");
    }
  }
}

TEST_CASE("resolve: precedence is path extension > root extension > servers > api.yaml") {
  auto meta = meta_of(
      "data:\n  name: A\n  version: v1\n  context: /a\n  type: HTTP\n  endpointConfig:\n"
      "    endpoint_type: failover\n    production_endpoints: {url: http://meta-a.example.com/v1}\n"
      "    production_failovers: [{url: http://meta-b.example.com/v1}]\n"
      "    sandbox_endpoints: {url: http://meta-s.example.com/v1}\n");

  SUBCASE("api.yaml alone: its endpoints, failover because of the failovers list") {
    auto d = doc::parse("d.yaml", "openapi: 3.0.0\ninfo: {title: A, version: v1}\npaths: {}\n");
    auto r = endpoints::resolve(d, meta.get());
    auto* p = r.api_group(Environment::Production);
    REQUIRE(p);
    CHECK(p->source == "api.yaml");
    CHECK(p->type == GroupType::Failover);
    CHECK(urls_of(*p) == std::vector<std::string>{"http://meta-a.example.com/v1", "http://meta-b.example.com/v1"});
    REQUIRE(r.api_group(Environment::Sandbox));
    CHECK(r.basepath.value == "/a/v1");
  }
  SUBCASE("servers replace api.yaml, and wipe its sandbox") {
    auto d = doc::parse("d.yaml",
                        "openapi: 3.0.0\ninfo: {title: A, version: v1}\nservers:\n"
                        "  - url: http://s1.example.com/base\n  - url: /relative\npaths: {}\n");
    auto r = endpoints::resolve(d, meta.get());
    auto* p = r.api_group(Environment::Production);
    REQUIRE(p);
    CHECK(p->source == "servers");
    CHECK(urls_of(*p) == std::vector<std::string>{"http://s1.example.com/base"});
    CHECK_FALSE(r.api_group(Environment::Sandbox));
    CHECK(r.basepath.value == "/base");
  }
  SUBCASE("a root sandbox extension without production drops production endpoints") {
    auto d = doc::parse("d.yaml",
                        "openapi: 3.0.0\ninfo: {title: A, version: v1}\n"
                        "x-wso2-sandbox-endpoints: {urls: [http://sb.example.com/v1]}\npaths: {}\n");
    auto r = endpoints::resolve(d, meta.get());
    CHECK_FALSE(r.api_group(Environment::Production));
    REQUIRE(r.api_group(Environment::Sandbox));
  }
  SUBCASE("path items with their own block get a resource group; others inherit") {
    auto d = doc::parse("d.yaml",
                        "openapi: 3.0.0\ninfo: {title: A, version: v1}\nx-wso2-basePath: /x\n"
                        "x-wso2-production-endpoints: {urls: [http://root.example.com/v1]}\n"
                        "paths:\n  /a:\n    x-wso2-sandbox-endpoints:\n      urls: [http://a1.example.com/v1, "
                        "http://a2.example.com/v1]\n      type: failover\n    get: {}\n  /b:\n    get: {}\n");
    auto r = endpoints::resolve(d, meta.get());
    REQUIRE(r.groups.size() == 3);  // root production, api.yaml sandbox, /a sandbox
    CHECK(r.api_group(Environment::Production)->source == "x-wso2-production-endpoints");
    CHECK(r.api_group(Environment::Sandbox)->source == "api.yaml");
    auto* a = find(r, true, "/a", Environment::Sandbox);
    REQUIRE(a);
    CHECK(a->type == GroupType::Failover);
    CHECK(r.basepath.value == "/x");
  }
}

TEST_CASE("resolve: type starting with 'failover' fails over, anything else load-balances") {
  for (auto [type, expect] : {std::pair{"failover", GroupType::Failover}, std::pair{"failover2", GroupType::Failover},
                              std::pair{"Failover", GroupType::LoadBalance},
                              std::pair{"loadbalance", GroupType::LoadBalance}}) {
    CAPTURE(type);
    auto d = doc::parse("d.yaml", std::string("openapi: 3.0.0\ninfo: {title: A, version: v1}\n"
                                              "x-wso2-production-endpoints: {urls: [http://a.example.com, "
                                              "http://b.example.com], type: ") +
                                      type + "}\npaths: {}\n");
    auto r = endpoints::resolve(d);
    REQUIRE(r.api_group(Environment::Production));
    CHECK(r.api_group(Environment::Production)->type == expect);
  }
}

TEST_CASE("resolve: Swagger 2 base path is unconditional and host gives the endpoint") {
  auto d = doc::parse("d.yaml",
                      "swagger: '2.0'\ninfo: {title: A, version: v1}\nhost: backend.example.com:8080\n"
                      "schemes: [https]\npaths: {}\n");
  auto r = endpoints::resolve(d);
  CHECK(r.basepath.value.empty());
  auto* p = r.api_group(Environment::Production);
  REQUIRE(p);
  CHECK(p->source == "host");
  CHECK(urls_of(*p) == std::vector<std::string>{"https://backend.example.com:8080"});
}

// ---- The gateway model: which lists the adapter builds, which it drops,
// and where the traffic goes (adapter.md section 3).

namespace {

const char* kHead = "openapi: 3.0.1\ninfo: {title: Shop, version: 1.0.0}\nx-wso2-basePath: /shop\n";
const char* kGet = "    get: {responses: {'200': {description: OK}}}\n";

std::size_t clusters(const endpoints::Resolution& r) {
  std::size_t n = 0;
  for (const auto& g : r.groups) n += g.cluster ? 1 : 0;
  return n;
}

const endpoints::Route* route(const endpoints::Resolution& r, const std::string& path) {
  for (const auto& x : r.routes)
    if (x.path == path) return &x;
  return nullptr;
}

std::size_t index_of(const endpoints::Resolution& r, const endpoints::Group* g) {
  return g ? static_cast<std::size_t>(g - r.groups.data()) : endpoints::kNone;
}

}  // namespace

TEST_CASE("model: builds exactly the clusters of Choreo Connect's unit tests") {
  std::string shared = test::shared_dir();
  if (shared.empty()) {
    MESSAGE("skipped: ../shared is absent");
    return;
  }
  std::string dir = shared + "/corpus/choreo-connect/unit/";
  // routes_with_clusters_test.go: two clusters each (API and /pets, or the two
  // named lists); in openapi_prod_sand_clusters.yaml the sandbox lists name
  // the production lists' hosts, so they get no cluster of their own.
  for (const char* name : {"openapi_with_extensions_only.yaml", "openapi_with_extensions_servers.yaml",
                           "openapi_with_endpoint_ref.yaml", "openapi_prod_sand_clusters.yaml"}) {
    CAPTURE(name);
    auto d = doc::parse(name, file::read(dir + name));
    auto r = endpoints::resolve(d);
    CHECK(clusters(r) == 2);
    for (const auto& g : r.groups) CHECK_FALSE(g.dropped());
  }
  auto d = doc::parse("c.yaml", file::read(dir + "openapi_prod_sand_clusters.yaml"));
  auto r = endpoints::resolve(d);
  auto* sand = r.api_group(Environment::Sandbox);
  REQUIRE(sand);
  CHECK(sand->uses_production_cluster);
  CHECK_FALSE(sand->cluster);
  // The sandbox traffic of /pets/{petId} goes to its production cluster.
  auto* rt = route(r, "/pets/{petId}");
  REQUIRE(rt);
  CHECK(rt->sandbox == rt->production);
  CHECK(rt->production == index_of(r, find(r, true, "/pets/{petId}", Environment::Production)));
}

TEST_CASE("model: an API-level list with mixed paths is dropped and production has no backend") {
  auto d = doc::parse("d.yaml", std::string(kHead) +
                                    "x-wso2-production-endpoints:\n  type: failover\n"
                                    "  urls: [http://a.example.com/v1, http://b.example.com/v2]\n"
                                    "paths:\n  /orders:\n" + kGet);
  auto r = endpoints::resolve(d);
  auto* api = r.api_group(Environment::Production);
  REQUIRE(api);
  CHECK(api->drop == endpoints::DropReason::MixedPaths);
  CHECK(api->drop_at == 1);
  CHECK(api->fallback == endpoints::Fallback::None);
  CHECK(api->fallback_message().find("have no backend") != std::string::npos);
  auto* rt = route(r, "/orders");
  REQUIRE(rt);
  CHECK(rt->production == endpoints::kNone);
  CHECK(clusters(r) == 0);
}

TEST_CASE("model: strict mode drops a resource list off the API path and sends its traffic to the API list") {
  std::string y = std::string(kHead) +
                  "x-wso2-production-endpoints: {urls: [http://a.example.com/v1]}\n"
                  "x-wso2-endpoints:\n  - shared: {urls: [http://s.example.com/v1]}\n"
                  "paths:\n"
                  "  /orders:\n    x-wso2-production-endpoints: {type: failover, urls: [http://o.example.com/v2, "
                  "http://p.example.com/v2]}\n" + kGet +
                  "  /pets:\n    x-wso2-production-endpoints: {type: failover, urls: [http://q.example.com/v1, "
                  "http://r.example.com/v1]}\n" + kGet;
  auto d = doc::parse("d.yaml", y);
  auto r = endpoints::resolve(d);
  CHECK(r.strict);
  CHECK(r.api_path == "/v1");
  auto* orders = find(r, true, "/orders", Environment::Production);
  REQUIRE(orders);
  CHECK(orders->drop == endpoints::DropReason::ApiPathMismatch);
  CHECK(orders->expected_path == "/v1");
  CHECK(orders->found_path == "/v2");
  CHECK(orders->fallback == endpoints::Fallback::Api);
  CHECK(route(r, "/orders")->production == index_of(r, r.api_group(Environment::Production)));
  CHECK(route(r, "/orders")->production_base == "/v1");
  auto* pets = find(r, true, "/pets", Environment::Production);
  REQUIRE(pets);
  CHECK_FALSE(pets->dropped());
  CHECK(route(r, "/pets")->production == index_of(r, pets));
  CHECK(clusters(r) == 3);  // API, shared, /pets

  SUBCASE("without a root x-wso2-endpoints list the same resource list is built on its own path") {
    auto d2 = doc::parse("d.yaml", std::string(kHead) + "x-wso2-production-endpoints: {urls: [http://a.example.com/v1]}\n"
                                   "paths:\n  /orders:\n    x-wso2-production-endpoints: {type: failover, urls: "
                                   "[http://o.example.com/v2, http://p.example.com/v2]}\n" + kGet);
    auto r2 = endpoints::resolve(d2);
    CHECK_FALSE(r2.strict);
    auto* o2 = find(r2, true, "/orders", Environment::Production);
    REQUIRE(o2);
    CHECK_FALSE(o2->dropped());
    CHECK(route(r2, "/orders")->production_base == "/v2");
  }
}

TEST_CASE("model: path-item servers are the resource's load-balanced production list, mixed paths fall back") {
  std::string y = std::string(kHead) +
                  "x-wso2-production-endpoints: {urls: [http://a.example.com/v1]}\n"
                  "paths:\n"
                  "  /reports:\n    servers: [{url: 'http://r1.example.com/api'}, {url: 'http://r2.example.com/api/'}]\n" + kGet +
                  "  /mixed:\n    servers: [{url: 'http://m1.example.com/v1'}, {url: 'http://m2.example.com/v2'}]\n" + kGet;
  auto d = doc::parse("d.yaml", y);
  auto r = endpoints::resolve(d);
  auto* reports = find(r, true, "/reports", Environment::Production);
  REQUIRE(reports);
  CHECK(reports->source == "servers");
  CHECK(reports->type == GroupType::LoadBalance);
  CHECK(urls_of(*reports) == std::vector<std::string>{"http://r1.example.com/api", "http://r2.example.com/api/"});
  CHECK(reports->urls[1].pointer == "/paths/~1reports/servers/1/url");
  CHECK_FALSE(reports->dropped());
  auto* mixed = find(r, true, "/mixed", Environment::Production);
  REQUIRE(mixed);
  CHECK(mixed->drop == endpoints::DropReason::MixedPaths);
  CHECK(mixed->fallback == endpoints::Fallback::Api);
  CHECK(route(r, "/mixed")->production == index_of(r, r.api_group(Environment::Production)));
}

TEST_CASE("model: root servers with mixed paths are dropped") {
  auto d = doc::parse("d.yaml", std::string(kHead) +
                                    "servers: [{url: 'http://a.example.com/v1'}, {url: 'http://b.example.com/v2'}]\n"
                                    "paths:\n  /orders:\n" + kGet);
  auto r = endpoints::resolve(d);
  auto* api = r.api_group(Environment::Production);
  REQUIRE(api);
  CHECK(api->source == "servers");
  CHECK(api->drop == endpoints::DropReason::MixedPaths);
  CHECK(api->urls[api->drop_at].pointer == "/servers/1/url");
}

TEST_CASE("model: every key of an x-wso2-endpoints entry is a named list, references reach each") {
  auto d = doc::parse("d.yaml", std::string(kHead) +
                                    "x-wso2-production-endpoints: '#/x-wso2-endpoints/second'\n"
                                    "x-wso2-endpoints:\n  - first: {urls: [http://f.example.com/v1]}\n"
                                    "    second: {type: failover, urls: [http://s.example.com/v1, http://t.example.com/v1]}\n"
                                    "paths:\n  /orders:\n" + kGet);
  auto r = endpoints::resolve(d);
  auto* api = r.api_group(Environment::Production);
  REQUIRE(api);
  CHECK(api->source == "#/x-wso2-endpoints/second");
  CHECK(api->type == GroupType::Failover);
  CHECK(urls_of(*api) == std::vector<std::string>{"http://s.example.com/v1", "http://t.example.com/v1"});
  CHECK(api->urls[0].pointer == "/x-wso2-endpoints/0/second/urls/0");
  CHECK(clusters(r) == 2);  // the two named lists; the reference uses 'second'
  CHECK(r.strict);
}

TEST_CASE("model: a reference to a dropped named list leads to a cluster that does not exist") {
  auto d = doc::parse("d.yaml", std::string(kHead) +
                                    "x-wso2-production-endpoints: {urls: [http://a.example.com/v1]}\n"
                                    "x-wso2-endpoints:\n  - other: {urls: [http://o.example.com/v9]}\n"
                                    "paths:\n  /orders:\n    x-wso2-production-endpoints: '#/x-wso2-endpoints/other'\n" +
                                    kGet);
  auto r = endpoints::resolve(d);
  CHECK_FALSE(r.strict);
  const endpoints::Group* named = nullptr;
  for (const auto& g : r.groups)
    if (g.scope == endpoints::Scope::Named) named = &g;
  REQUIRE(named);
  CHECK(named->drop == endpoints::DropReason::ApiPathMismatch);
  auto* orders = find(r, true, "/orders", Environment::Production);
  REQUIRE(orders);
  CHECK(orders->drop == endpoints::DropReason::NamedListDropped);
  CHECK(orders->fallback == endpoints::Fallback::None);
  CHECK(route(r, "/orders")->production == index_of(r, named));  // NC at the router
}

TEST_CASE("model: with no API-level production list, which named list fixes the path depends on map order") {
  // (The adapter rejects an API without API-level endpoints; the model still
  // says what CreateRoutesWithClusters would do, which paths' resources use.)
  auto d = doc::parse("d.yaml", std::string(kHead) +
                                    "x-wso2-endpoints:\n  - a: {urls: [http://a.example.com/v1]}\n"
                                    "  - b: {urls: [http://b.example.com/v2]}\n"
                                    "paths:\n  /orders:\n" + kGet);
  auto r = endpoints::resolve(d);
  std::size_t dropped = 0;
  for (const auto& g : r.groups)
    if (g.scope == endpoints::Scope::Named && g.dropped()) {
      ++dropped;
      CHECK(g.order_dependent);
      CHECK(g.drop_message().find("map iteration order") != std::string::npos);
    }
  CHECK(dropped == 1);

  SUBCASE("an API-level sandbox list fixes the path first: no doubt") {
    auto d2 = doc::parse("d.yaml", std::string(kHead) +
                                       "x-wso2-sandbox-endpoints: '#/x-wso2-endpoints/a'\n"
                                       "x-wso2-endpoints:\n  - a: {urls: [http://a.example.com/v1]}\n"
                                       "  - b: {urls: [http://b.example.com/v2]}\n"
                                       "paths:\n  /orders:\n" + kGet);
    auto r2 = endpoints::resolve(d2);
    CHECK(r2.api_path == "/v1");
    for (const auto& g : r2.groups) {
      CHECK_FALSE(g.order_dependent);
      if (g.scope == endpoints::Scope::Named) CHECK(g.dropped() == (g.path == "b"));
    }
  }
}

TEST_CASE("model: api.yaml endpoints with mixed paths are dropped like any list") {
  auto meta = meta_of(
      "type: api\nversion: v4.0.0\ndata:\n  name: Shop\n  version: 1.0.0\n  context: /shop\n  type: HTTP\n"
      "  endpointConfig:\n    endpoint_type: failover\n"
      "    production_endpoints: {url: 'http://a.example.com/v1'}\n"
      "    production_failovers: [{url: 'http://b.example.com/v2'}]\n");
  auto d = doc::parse("swagger.yaml", "openapi: 3.0.1\ninfo: {title: Shop, version: 1.0.0}\npaths:\n  /orders:\n" +
                                          std::string(kGet));
  auto r = endpoints::resolve(d, meta.get());
  auto* api = r.api_group(Environment::Production);
  REQUIRE(api);
  CHECK(api->source == "api.yaml");
  CHECK(api->type == GroupType::Failover);
  CHECK(api->drop == endpoints::DropReason::MixedPaths);
  CHECK(api->document == &meta->doc());
  CHECK(api->urls[1].pointer == "/data/endpointConfig/production_failovers/0/url");
}

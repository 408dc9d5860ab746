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

TEST_CASE("resolve: type starting with 'failover' fails over; anything else load-balances") {
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

// The router's sample API, shared by its unit tests (tests/unit/test_router.cpp)
// and its fuzz target (fuzz/router_request.cpp), so that both route through
// the same table: Inventory 2.1.0 at /inventory/2.1.0, an API-level failover
// list with timeouts, retries, circuit breakers and Basic credentials for
// its backend, path-level lists, a path with two lists' worth of URLs, a
// wildcard resource and an operation without security; and what routing
// needs besides the table (a signing key, a user, a fixed clock).
//
// Header-only, the library only: the fuzz build has no test support library.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crypto/keys.hpp"
#include "doc/document.hpp"
#include "gateway/router/router.hpp"

namespace portico::test::router_sample {

inline constexpr const char* kApiYaml =
    "type: api\nversion: v4.0.0\ndata:\n  name: Inventory\n  version: 2.1.0\n  context: /inventory\n"
    "  type: HTTP\n  endpointConfig:\n    endpoint_type: http\n"
    "    production_endpoints: {url: http://yaml.example.com/v1}\n";

// Inventory's definition; `root` is added before its paths (more root
// keys), `more_paths` after them (more path items).
inline std::string inventory_definition(const std::string& root = {}, const std::string& more_paths = {}) {
  return R"(openapi: 3.0.1
info: {title: Inventory, version: 2.1.0}
x-wso2-basePath: /inventory/2.1.0
x-wso2-production-endpoints:
  urls: [http://127.0.0.1:8001/api, http://127.0.0.1:8002/api]
  type: failover
  advanceEndpointConfig:
    timeoutInMillis: 90000
    retryConfig: {count: 2, statusCodes: [503, 200, 599]}
    circuitBreakers: {maxConnections: 3, maxRequests: -1}
  securityConfig: {type: basic, username: u, password: p}
)" + root + R"(paths:
  /items:
    get: {responses: {'200': {description: OK}}}
  /items/{id}:
    get: {responses: {'200': {description: OK}}}
    delete:
      x-wso2-disable-security: true
      responses: {'200': {description: OK}}
  /items/mine:
    get: {responses: {'200': {description: OK}}}
  /files/*:
    get: {responses: {'200': {description: OK}}}
  /orders:
    x-wso2-production-endpoints:
      urls: [http://127.0.0.1:9001/orders-api]
    x-wso2-sandbox-endpoints:
      urls: [http://127.0.0.1:9002/sb]
    post: {responses: {'200': {description: OK}}}
  /mixed:
    x-wso2-production-endpoints:
      urls: [http://127.0.0.1:9003/a, http://127.0.0.1:9004/b]
    get: {responses: {'200': {description: OK}}}
)" + more_paths;
}

// An API as the gateway's store hands it to the router (api.yaml: kApiYaml).
inline gateway::router::LoadedApi loaded_api(std::string name, std::string version, std::string basepath,
                                             const std::string& definition, std::vector<std::string> vhosts) {
  gateway::router::LoadedApi a;
  a.name = std::move(name);
  a.version = std::move(version);
  a.basepath = std::move(basepath);
  a.vhosts = std::move(vhosts);
  a.definition = std::make_shared<doc::Document>(doc::parse("swagger.yaml", definition));
  a.api_yaml = std::make_shared<doc::Document>(doc::parse("api.yaml", kApiYaml));
  return a;
}

// The gateway's signing key, the user admin:admin, and a routing context
// at a fixed time (1,700,000,000) with this token id.
struct Signing {
  crypto::Pkey key = crypto::generate_rsa(2048);
  gateway::router::Users users{{{"admin", "admin"}}};
  gateway::router::Context context(std::string jti) const {
    gateway::router::Context c;
    c.key = key.get();
    c.users = &users;
    c.now = 1'700'000'000;
    c.jti = std::move(jti);
    return c;
  }
};

}  // namespace portico::test::router_sample

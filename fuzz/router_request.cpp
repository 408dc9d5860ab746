// The router's request handling: router::route() on a table built from a
// sample API (two vhosts, failover and load-balanced lists, path-level
// lists, sandbox, disabled security, a wildcard resource), with a fuzzed
// request as text (see fuzz_input.hpp). So that the fuzzer gets past the
// token check, "Authorization: Bearer @mint:{...claims...}" is replaced by
// a token with those claims signed with the router's key (a token only the
// gateway itself could issue).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "crypto/jwt.hpp"
#include "crypto/keys.hpp"
#include "doc/document.hpp"
#include "fuzz_input.hpp"
#include "gateway/router/router.hpp"

using namespace portico;
using namespace portico::gateway::router;

namespace {

const char* kApiYaml =
    "type: api\nversion: v4.0.0\ndata:\n  name: Inventory\n  version: 2.1.0\n  context: /inventory\n"
    "  type: HTTP\n  endpointConfig:\n    endpoint_type: http\n"
    "    production_endpoints: {url: http://yaml.example.com/v1}\n";

const char* kDefinition = R"(openapi: 3.0.1
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
x-wso2-sandbox-endpoints:
  urls: [http://127.0.0.1:8101/sb, http://127.0.0.1:8102/sb]
  type: loadbalance
x-wso2-endpoints:
  - backup:
      urls: [https://127.0.0.1:8443/b]
paths:
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
  /refs:
    x-wso2-production-endpoints: "#/x-wso2-endpoints/backup"
    put: {responses: {'200': {description: OK}}}
  /mixed:
    x-wso2-production-endpoints:
      urls: [http://127.0.0.1:9003/a, http://127.0.0.1:9004/b]
    get: {responses: {'200': {description: OK}}}
)";

const char* kOpenDefinition = R"(openapi: 3.0.1
info: {title: Open, version: v1}
x-wso2-basePath: /open
x-wso2-disable-security: true
servers: [{url: 'http://127.0.0.1:7001/o'}]
paths:
  /:
    get: {responses: {'200': {description: OK}}}
  /{a}/{b}:
    patch: {responses: {'200': {description: OK}}}
)";

LoadedApi api(const char* name, const char* version, const char* basepath, const char* def,
              std::vector<std::string> vhosts) {
  LoadedApi a;
  a.name = name;
  a.version = version;
  a.basepath = basepath;
  a.vhosts = std::move(vhosts);
  a.definition = std::make_shared<doc::Document>(doc::parse("swagger.yaml", def));
  a.api_yaml = std::make_shared<doc::Document>(doc::parse("api.yaml", kApiYaml));
  return a;
}

struct World {
  crypto::Pkey key = crypto::generate_rsa(2048);
  Users users{{{"admin", "admin"}}};
  std::shared_ptr<const Table> table =
      build_table({api("Inventory", "2.1.0", "/inventory/2.1.0", kDefinition, {"localhost", "shop.example.com"}),
                   api("Open", "v1", "/open", kOpenDefinition, {"localhost"})});
  Context ctx() const {
    Context c;
    c.key = key.get();
    c.users = &users;
    c.now = 1'700'000'000;
    c.jti = "fuzz";
    return c;
  }
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  serve::Request r = fuzz::parse_http(fuzz::as_view(data, size));
  for (auto& h : r.headers) {
    static constexpr std::string_view kMint = "Bearer @mint:";
    if (h.value.rfind(kMint, 0) == 0) {
      auto claims = nlohmann::json::parse(h.value.substr(kMint.size()), nullptr, false);
      if (claims.is_object()) h.value = "Bearer " + crypto::jwt_sign_rs256(claims, w.key.get());
    }
  }
  Decision d = route(*w.table, r, w.ctx());
  if (d.kind == Decision::Kind::Proxy) {
    if (d.cluster >= w.table->clusters.size()) std::abort();
    if (w.table->clusters[d.cluster].hosts.empty()) std::abort();
  } else if (d.response.status < 100 || d.response.status > 599) {
    std::abort();
  }
  (void)vhost_of(r.header("Host"));
  return 0;
}

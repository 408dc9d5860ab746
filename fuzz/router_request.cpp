// The router's request handling: router::route() on a table of two APIs,
// with a fuzzed request as text (see fuzz_input.hpp): the router's sample
// API (tests/support/router_sample.hpp, shared with its unit tests: failover
// list, path-level lists, disabled security, a wildcard resource) with a
// load-balanced sandbox list, a named list and a path that refers to it
// added, on two vhosts; and an open API on `servers`. So that the fuzzer
// gets past the token check, "Authorization: Bearer @mint:{...claims...}"
// is replaced by a token with those claims signed with the router's key (a
// token only the gateway itself could issue).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "crypto/jwt.hpp"
#include "crypto/keys.hpp"
#include "doc/document.hpp"
#include "fuzz_input.hpp"
#include "gateway/router/router.hpp"
#include "router_sample.hpp"

using namespace portico;
using namespace portico::gateway::router;

namespace {

namespace sample = portico::test::router_sample;

const char* kInventoryRoot = R"(x-wso2-sandbox-endpoints:
  urls: [http://127.0.0.1:8101/sb, http://127.0.0.1:8102/sb]
  type: loadbalance
x-wso2-endpoints:
  - backup:
      urls: [https://127.0.0.1:8443/b]
)";

const char* kInventoryRefs = R"(  /refs:
    x-wso2-production-endpoints: "#/x-wso2-endpoints/backup"
    put: {responses: {'200': {description: OK}}}
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

struct World : sample::Signing {
  std::shared_ptr<const Table> table =
      build_table({sample::loaded_api("Inventory", "2.1.0", "/inventory/2.1.0",
                                      sample::inventory_definition(kInventoryRoot, kInventoryRefs),
                                      {"localhost", "shop.example.com"}),
                   sample::loaded_api("Open", "v1", "/open", kOpenDefinition, {"localhost"})});
  Context ctx() const { return context("fuzz"); }
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

// Test support: the texts of the OpenAPI definitions and Choreo Connect
// project files (adapter.md section 2) that the end-to-end tests write
// (header-only).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace portico::test {

// The API a generated definition describes.
struct Api {
  Api() = default;
  Api(std::string n, std::string v, std::string b) : name(std::move(n)), version(std::move(v)), basepath(std::move(b)) {}

  std::string name = "Pets";
  std::string version = "1.0.0";
  std::string basepath = "/pets";  // x-wso2-basePath; "" = none
  std::string servers_url;         // OpenAPI 3 servers[0].url; "" = none
  std::vector<std::string> urls = {"http://primary.example.com/v1", "http://backup.example.com/v1"};
};

// An OpenAPI 3.0.1 definition of `a`: a failover x-wso2-production-endpoints
// block of a.urls and one operation, GET /items.
inline std::string definition_yaml(const Api& a) {
  std::string y = "openapi: 3.0.1\ninfo:\n  title: " + a.name + "\n  version: " + a.version + "\n";
  if (!a.servers_url.empty()) y += "servers:\n  - url: " + a.servers_url + "\n";
  if (!a.basepath.empty()) y += "x-wso2-basePath: " + a.basepath + "\n";
  y += "x-wso2-production-endpoints:\n  urls:\n";
  for (const auto& u : a.urls) y += "    - " + u + "\n";
  y += "  type: failover\n"
       "paths:\n"
       "  /items:\n"
       "    get:\n"
       "      responses:\n"
       "        '200':\n"
       "          description: OK\n";
  return y;
}

// deployment_environments.yaml: each environment on `vhost`.
inline std::string deployment_environments_yaml(const std::vector<std::string>& envs = {"Default"},
                                                const std::string& vhost = "localhost") {
  std::string y = "type: deployment_environments\nversion: v4.0.0\ndata:\n";
  for (const auto& e : envs)
    y += "  - deploymentEnvironment: " + e + "\n    deploymentVhost: " + vhost + "\n    displayOnDevportal: true\n";
  return y;
}

// A definition without findings: Pets 1.0.0 at /pets, a failover block of two
// URLs, GET /pets.
inline constexpr char kPetsDefinition[] =
    "openapi: 3.0.1\n"
    "info:\n  title: Pets\n  version: 1.0.0\n"
    "x-wso2-basePath: /pets\n"
    "x-wso2-production-endpoints:\n"
    "  urls:\n    - http://primary.example.com/v1\n    - http://backup.example.com/v1\n"
    "  type: failover\n"
    "paths:\n  /pets:\n    get:\n      responses:\n        '200': {description: OK}\n";

// The first lines of a Pets definition whose failover block has two errors:
// URL 2's path differs from URL 1's (line 9, column 7) and `type: Failover`
// (line 10, column 9). No `paths` yet: the test adds the rest.
inline constexpr char kPetsBrokenFailoverHead[] =
    "openapi: 3.0.1\n"
    "info:\n  title: Pets\n  version: 1.0.0\n"
    "x-wso2-basePath: /pets\n"
    "x-wso2-production-endpoints:\n"
    "  urls:\n    - http://primary.example.com/v1\n    - http://backup.example.com/v2\n"
    "  type: Failover\n";

// api.yaml (adapter.md section 2) of an HTTP API at `context`, with one
// production endpoint.
inline std::string api_yaml_text(const std::string& name, const std::string& version, const std::string& context,
                                 const std::string& endpoint = "http://backend.example.com/v1") {
  return "type: api\nversion: v4.0.0\ndata:\n  name: " + name + "\n  version: " + version + "\n  context: " + context +
         "\n  type: HTTP\n  endpointImplementationType: ENDPOINT\n  endpointConfig:\n    endpoint_type: http\n"
         "    production_endpoints:\n      url: \"" + endpoint + "\"\n";
}

}  // namespace portico::test

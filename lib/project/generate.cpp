#include "project/generate.hpp"

#include <yaml-cpp/yaml.h>

#include "endpoints/resolve.hpp"
#include "util/text.hpp"

namespace portico::project {

namespace {

// x-wso2-basePath (or basePath / servers path) without a trailing version segment.
std::string context_of(const std::string& basepath, const std::string& version) {
  std::string c = basepath;
  while (c.size() > 1 && c.back() == '/') c.pop_back();
  std::string suffix = "/" + version;
  if (!version.empty() && c.size() > suffix.size() && c.ends_with(suffix)) c.resize(c.size() - suffix.size());
  if (c.empty() || c == "/") c = "/" + text::to_lower(version);
  return c;
}

void endpoints_yaml(YAML::Emitter& out, const endpoints::Group* g, const std::string& env) {
  if (!g || g->urls.empty()) return;
  out << YAML::Key << env + "_endpoints";
  if (g->type == endpoints::GroupType::Failover || g->urls.size() == 1) {
    out << YAML::Value << YAML::BeginMap << YAML::Key << "url" << YAML::Value << g->urls.front().url << YAML::EndMap;
    if (g->type == endpoints::GroupType::Failover && g->urls.size() > 1) {
      out << YAML::Key << env + "_failovers" << YAML::Value << YAML::BeginSeq;
      for (std::size_t i = 1; i < g->urls.size(); ++i)
        out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << g->urls[i].url << YAML::EndMap;
      out << YAML::EndSeq;
    }
  } else {
    out << YAML::Value << YAML::BeginSeq;
    for (const auto& u : g->urls) out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << u.url << YAML::EndMap;
    out << YAML::EndSeq;
  }
}

std::string endpoint_type(const endpoints::Group* prod, const endpoints::Group* sand) {
  const endpoints::Group* g = prod && !prod->urls.empty() ? prod : sand;
  if (!g) return "http";
  if (g->urls.size() == 1) return "http";
  return g->type == endpoints::GroupType::Failover ? "failover" : "load_balance";
}

}  // namespace

std::string derived_context(const std::string& name) {
  std::string c = "/";
  for (char ch : text::to_lower(name))
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '~' || ch == '_' || ch == '.' || ch == '-') c += ch;
  return c == "/" ? "/api" : c;
}

Generated generate_project(const doc::Document& definition, const std::string& context) {
  Generated g;
  endpoints::Resolution r = endpoints::resolve(definition);
  g.name = r.name.value;
  g.version = r.version.value;
  g.context = !context.empty()             ? context
              : r.basepath.value.empty() ? derived_context(g.name)
                                         : context_of(r.basepath.value, g.version);
  const endpoints::Group* prod = r.api_group(endpoints::Environment::Production);
  const endpoints::Group* sand = r.api_group(endpoints::Environment::Sandbox);

  YAML::Emitter api;
  api << YAML::BeginMap << YAML::Key << "type" << YAML::Value << "api" << YAML::Key << "version" << YAML::Value
      << "v4.0.0" << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  api << YAML::Key << "name" << YAML::Value << g.name;
  api << YAML::Key << "version" << YAML::Value << YAML::DoubleQuoted << g.version;
  api << YAML::Key << "context" << YAML::Value << g.context;
  api << YAML::Key << "type" << YAML::Value << "HTTP";
  api << YAML::Key << "endpointImplementationType" << YAML::Value << "ENDPOINT";
  api << YAML::Key << "endpointConfig" << YAML::Value << YAML::BeginMap;
  api << YAML::Key << "endpoint_type" << YAML::Value << endpoint_type(prod, sand);
  endpoints_yaml(api, prod, "production");
  endpoints_yaml(api, sand, "sandbox");
  api << YAML::EndMap << YAML::EndMap << YAML::EndMap;

  bool json = definition.format == doc::Format::Json;
  g.files.push_back({"api.yaml", std::string(api.c_str()) + "\n"});
  g.files.push_back({json ? "Definitions/swagger.json" : "Definitions/swagger.yaml", definition.source});
  g.files.push_back({"deployment_environments.yaml",
                     "type: deployment_environments\nversion: v4.0.0\ndata:\n"
                     "  - deploymentEnvironment: Default\n    deploymentVhost: localhost\n"
                     "    displayOnDevportal: true\n"});
  YAML::Emitter meta;
  meta << YAML::BeginMap << YAML::Key << "name" << YAML::Value << g.name << YAML::Key << "version" << YAML::Value
       << YAML::DoubleQuoted << g.version << YAML::Key << "deploy" << YAML::Value << YAML::BeginMap << YAML::Key
       << "import" << YAML::Value << YAML::BeginMap << YAML::Key << "update" << YAML::Value << true << YAML::Key
       << "preserveProvider" << YAML::Value << true << YAML::Key << "rotateRevision" << YAML::Value << false
       << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  g.files.push_back({"api_meta.yaml", std::string(meta.c_str()) + "\n"});
  g.files.push_back({"Endpoint-certificates/", ""});
  g.files.push_back({"README.md", "# " + g.name + " " + g.version +
                                      "\n\nA WSO2 Choreo Connect project made by `portico init`.\n\n"
                                      "- `Definitions/`: the OpenAPI definition, with the `x-wso2-*-endpoints` "
                                      "failover blocks\n- `api.yaml`: name, version, context and endpoints "
                                      "derived from it\n- `deployment_environments.yaml`: where it is deployed\n"
                                      "\n    portico validate .\n    portico deploy . -e ENV\n"});
  return g;
}

std::string starter_definition() {
  return R"(openapi: 3.0.3
info:
  title: MyApi
  version: 1.0.0
  description: A starter API with failover endpoints. Replace the backends with yours.
x-wso2-basePath: /myapi/1.0.0
# API level: traffic goes to the first URL, and to the next only when it is not available.
x-wso2-production-endpoints:
  urls:
    - http://primary.example.com:8080/v1
    - http://backup.example.com:8080/v1
  type: failover
x-wso2-sandbox-endpoints:
  urls:
    - http://sandbox.example.com:8080/v1
paths:
  /items:
    get:
      summary: List the items
      responses:
        '200':
          description: The items
  /items/{id}:
    # Resource level: a sibling of get:, never under it.
    x-wso2-production-endpoints:
      urls:
        - http://items-primary.example.com:8080/v1
        - http://items-backup.example.com:8080/v1
      type: failover
    get:
      summary: One item
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: The item
)";
}

}  // namespace portico::project

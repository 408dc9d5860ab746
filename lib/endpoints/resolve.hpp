// Effective endpoints of an API, computed the way the Choreo Connect adapter
// builds its clusters (adapter.md section 3), plus the API's name, version
// and base path. validate, endpoints and probe all use this one module.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "doc/document.hpp"
#include "project/api_yaml.hpp"

namespace portico::endpoints {

enum class Environment { Production, Sandbox };
enum class GroupType { Failover, LoadBalance };

std::string_view to_string(Environment e);
std::string_view to_string(GroupType t);

struct Endpoint {
  std::string url;  // trimmed, http:// prefixed when written without a scheme
  const doc::Node* node = nullptr;
};

struct Group {
  bool resource = false;  // false: API level
  std::string path;       // the path item for resource groups
  Environment environment = Environment::Production;
  GroupType type = GroupType::LoadBalance;
  std::vector<Endpoint> urls;
  // x-wso2-production-endpoints, x-wso2-sandbox-endpoints, #/x-wso2-endpoints/NAME,
  // servers, host, api.yaml
  std::string source;
  const doc::Document* document = nullptr;  // where the URLs stand
};

struct Located {
  std::string value;
  const doc::Node* node = nullptr;          // the node that decided it, if any
  const doc::Document* document = nullptr;
  bool present = false;
};

struct Resolution {
  Located name, version, basepath;
  std::vector<Group> groups;  // API level first, then resource groups in document order

  const Group* api_group(Environment e) const;
};

// An endpoint block: the mapping behind an x-wso2-*-endpoints value, a
// string reference resolved through the root x-wso2-endpoints list.
// Returns null when it cannot be resolved; `ref_name` gets the name of a
// reference.
const doc::Node* resolve_block(const doc::Node* value, const doc::Node* root,
                               std::string* ref_name = nullptr);

// The named entries of the root x-wso2-endpoints list (last one wins).
const doc::Node* find_named_endpoints(const doc::Node* root, std::string_view name);

bool is_failover_type(const doc::Node* type);

// OAS 3 root `servers` URLs that the gateway can use (non-empty, not
// relative, parseable); empty for Swagger 2.
std::vector<const doc::Node*> usable_servers(const doc::Node* root);
bool is_swagger2(const doc::Node* root);

Resolution resolve(const doc::Document& definition, const project::ApiYaml* meta = nullptr);

}  // namespace portico::endpoints

#include "rules/catalog.hpp"

#include <array>

#include "util/text.hpp"

namespace portico::rules {

namespace {
using S = Severity;
constexpr std::array kRules{
    RuleInfo{"syntax", S::Error, "the file is well-formed YAML or JSON, valid UTF-8, one document, not too deep", true},
    RuleInfo{"duplicate-key", S::Error, "no mapping has the same key twice"},
    RuleInfo{"not-openapi", S::Error, "the root declares swagger \"2.0\" or openapi 3.0.x/3.1.x", true},
    RuleInfo{"info-missing", S::Error, "info.title and info.version are non-empty strings"},
    RuleInfo{"paths-key-invalid", S::Error, "every key under paths starts with / or x-", true},
    RuleInfo{"extension-misplaced", S::Error, "endpoint extensions stand at the root or on a path item"},
    RuleInfo{"extension-unknown", S::Warning, "x-wso2 keys are spelled as the gateway expects"},
    RuleInfo{"endpoints-not-map", S::Error, "an endpoint block is a mapping or a reference", true},
    RuleInfo{"endpoint-ref-invalid", S::Error, "a reference names an entry of the root x-wso2-endpoints", true},
    RuleInfo{"urls-missing", S::Error, "an endpoint block has urls", true},
    RuleInfo{"urls-not-list", S::Error, "urls is a sequence", true},
    RuleInfo{"urls-empty", S::Error, "urls is not empty", true},
    RuleInfo{"url-not-string", S::Error, "every item of urls is a string", true},
    RuleInfo{"failover-type-case", S::Error, "type failover is written in lower case"},
    RuleInfo{"type-unknown", S::Warning, "type is failover, loadbalance, load_balance or http"},
    RuleInfo{"type-missing", S::Info, "a list of several URLs says its type"},
    RuleInfo{"failover-single-url", S::Warning, "a failover list has something to fail over to"},
    RuleInfo{"failover-duplicate-url", S::Warning, "no URL appears twice in one list"},
    RuleInfo{"failover-basepath-mismatch", S::Error, "every list the gateway builds shares one path (and the API path in strict mode)"},
    RuleInfo{"advance-config-invalid", S::Error, "advanceEndpointConfig has the shape and number types the gateway reads", true},
    RuleInfo{"advance-config-range", S::Warning, "advanceEndpointConfig values are within the gateway's ranges"},
    RuleInfo{"security-config-invalid", S::Error, "securityConfig.type is BASIC", true},
    RuleInfo{"security-config-incomplete", S::Warning, "securityConfig is a mapping with type and username"},
    RuleInfo{"security-config-plaintext", S::Warning, "no literal backend password in the definition"},
    RuleInfo{"url-invalid", S::Error, "an endpoint URL is absolute and parseable", true},
    RuleInfo{"url-scheme", S::Error, "an endpoint URL's scheme is http or https", true},
    RuleInfo{"url-scheme-missing", S::Warning, "an endpoint URL says its scheme"},
    RuleInfo{"url-host", S::Error, "an endpoint URL's host is one the gateway accepts", true},
    RuleInfo{"url-port", S::Error, "an endpoint URL's port is within 1..65535", true},
    RuleInfo{"url-extra", S::Warning, "an endpoint URL has no query, fragment or user-info"},
    RuleInfo{"basepath-missing", S::Error, "the API has a base path", true},
    RuleInfo{"basepath-invalid", S::Error, "the base path matches ^/[a-zA-Z0-9~/_.-]*$", true},
    RuleInfo{"api-name-invalid", S::Error, "the API name is one the adapter can undeploy"},
    RuleInfo{"api-version-invalid", S::Error, "the API version matches ^[a-zA-Z0-9_.-]{1,15}$"},
    RuleInfo{"no-endpoints", S::Error, "the API has API-level endpoints", true},
    RuleInfo{"sandbox-only", S::Warning, "a root sandbox block comes with a root production block"},
    RuleInfo{"servers-overridden", S::Info, "servers/host are not silently overridden by the extension"},
    RuleInfo{"servers-path-mismatch", S::Error, "the URLs of an OpenAPI 3 servers list share one path"},
    RuleInfo{"project-api-yaml-missing", S::Error, "the project has api.yaml", true},
    RuleInfo{"project-definition-missing", S::Error, "the project has Definitions/swagger.yaml or .json", true},
    RuleInfo{"project-api-yaml-invalid", S::Error, "api.yaml has the fields the adapter requires", true},
    RuleInfo{"project-stray-file", S::Error, "no file the adapter would take for api.yaml or the definition"},
    RuleInfo{"project-symlink", S::Error, "no symbolic link inside the project (deploy cannot archive it)"},
    RuleInfo{"project-special-file", S::Warning, "no socket, FIFO or device inside the project (deploy leaves it out)"},
    RuleInfo{"project-name-mismatch", S::Warning, "api.yaml and the definition name the API alike"},
};
}  // namespace

std::span<const RuleInfo> catalog() { return kRules; }

const RuleInfo* find_rule(std::string_view id) {
  for (const auto& r : kRules)
    if (r.id == id) return &r;
  return nullptr;
}

std::string_view nearest_rule(std::string_view id) {
  std::string_view best;
  std::size_t best_d = 1000;
  for (const auto& r : kRules) {
    auto d = text::edit_distance(id, r.id, 100);
    if (d < best_d) {
      best_d = d;
      best = r.id;
    }
  }
  return best;
}

}  // namespace portico::rules

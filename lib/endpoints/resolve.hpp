// The gateway model: what Choreo Connect builds from a definition (and the
// project's api.yaml). Every endpoint list it reads (API level, the root
// x-wso2-endpoints, each path item), whether the adapter builds it as a
// cluster or drops it, and, for every resource, which list takes its
// production and sandbox traffic. It follows the adapter's own order of
// evaluation (adapter.md section 3, CreateRoutesWithClusters in v1.2.0).
// validate, endpoints, probe, init, deploy and the gateway all read this
// one model; nothing else derives precedence.
#pragma once

#include <cstddef>
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

inline constexpr std::size_t kNone = static_cast<std::size_t>(-1);

struct Endpoint {
  std::string url;  // trimmed, http:// prefixed when written without a scheme
  const doc::Node* node = nullptr;
  std::string pointer;  // RFC 6901 pointer of `node` in its document
};

enum class Scope { Api, Resource, Named };

// Why the adapter drops a list. It logs the drop and still answers 200.
enum class DropReason {
  None,
  MixedPaths,       // the list's URLs do not share one path
  ApiPathMismatch,  // the list shares a path, but not the API path it is checked against
  NamedListDropped  // a reference to an x-wso2-endpoints list that was itself dropped
};

// Where traffic goes when a list is dropped.
enum class Fallback {
  None,  // that traffic has no backend
  Api    // the resource's traffic goes to the API-level list of the same environment
};

struct Group {
  Scope scope = Scope::Api;
  std::string path;  // the path item (Resource), the list's name (Named)
  Environment environment = Environment::Production;
  GroupType type = GroupType::LoadBalance;
  std::vector<Endpoint> urls;
  // x-wso2-production-endpoints, x-wso2-sandbox-endpoints, #/x-wso2-endpoints/NAME,
  // x-wso2-endpoints (Named), servers, host, api.yaml
  std::string source;
  std::string ref;                   // the referenced name, for a reference
  const doc::Node* key = nullptr;    // the key holding the block (or `servers`)
  const doc::Node* block = nullptr;  // the endpoint block mapping, when there is one
  const doc::Document* document = nullptr;  // where the URLs stand

  // The gateway's decision.
  DropReason drop = DropReason::None;
  std::size_t drop_at = 0;      // index into urls of the first URL that fails
  std::string expected_path;    // the path it was checked against
  std::string found_path;       // the path of urls[drop_at]
  Fallback fallback = Fallback::None;
  bool order_dependent = false; // the outcome depends on Go's map iteration order
  // A sandbox list whose first host:port equals the production list's: the
  // adapter builds no cluster for it and sends sandbox traffic to production's.
  bool uses_production_cluster = false;
  // The adapter builds an Envoy cluster from this list (a reference uses the
  // named list's cluster, except a resource's sandbox reference, which the
  // adapter builds again for that resource).
  bool cluster = false;

  bool resource() const { return scope == Scope::Resource; }
  bool dropped() const { return drop != DropReason::None; }
  std::string scope_name() const;  // "(API)", the path, or "x-wso2-endpoints NAME"
  // One sentence: why the list is dropped ("" when built).
  std::string drop_message() const;
  // One sentence: where the list's traffic goes instead ("" when built).
  std::string fallback_message() const;
};

// One path item: which list serves each environment.
struct Route {
  std::string path;
  const doc::Node* key = nullptr;
  // Index into Resolution::groups of the list that takes the traffic, or
  // kNone: that environment has no backend for this resource. A list it
  // names may be dropped (a reference to a dropped named list): then the
  // route points at a cluster that does not exist.
  std::size_t production = kNone, sandbox = kNone;
  // What the router rewrites the base path to (the list's URL path).
  std::string production_base, sandbox_base;
};

struct Located {
  std::string value;
  const doc::Node* node = nullptr;          // the node that decided it, if any
  const doc::Document* document = nullptr;
  bool present = false;
};

struct Resolution {
  Located name, version, basepath;
  // API level first (production, sandbox), then the named lists of the root
  // x-wso2-endpoints, then resource lists in document order.
  std::vector<Group> groups;
  std::vector<Route> routes;  // every path item, in document order
  // At least one root x-wso2-endpoints list is built: every resource-level
  // inline list must then share the API path.
  bool strict = false;
  std::string api_path;  // the API path lists are checked against ("" when none)

  const Group* api_group(Environment e) const;
  // The groups a user sees: API level and resource level (not the named
  // lists, which carry traffic only through references).
  std::vector<const Group*> visible() const;
};

// An endpoint block: the mapping behind an x-wso2-*-endpoints value, a
// string reference resolved through the root x-wso2-endpoints list.
// Returns null when it cannot be resolved; `ref_name` gets the name of a
// reference.
const doc::Node* resolve_block(const doc::Node* value, const doc::Node* root,
                               std::string* ref_name = nullptr);

// A named list of the root x-wso2-endpoints (every key of every mapping
// entry is one; the last of a name wins).
const doc::Node* find_named_endpoints(const doc::Node* root, std::string_view name);

bool is_failover_type(const doc::Node* type);

// OAS 3 `servers` URLs (of the root or of a path item) that the gateway can
// use (non-empty, not relative, parseable); empty for Swagger 2.
std::vector<const doc::Node*> usable_servers(const doc::Node* owner, const doc::Node* root);
inline std::vector<const doc::Node*> usable_servers(const doc::Node* root) { return usable_servers(root, root); }
bool is_swagger2(const doc::Node* root);

Resolution resolve(const doc::Document& definition, const project::ApiYaml* meta = nullptr);

}  // namespace portico::endpoints

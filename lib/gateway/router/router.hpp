// The router of `portico gateway`: Choreo Connect's routing semantics
// (adapter.md section 5) as pure logic. A Table is built from the gateway
// model (endpoints::resolve) of every deployed API; route() decides what to
// do with one request (answer it here, or send it to a cluster, rewritten)
// without sockets or clocks of its own, so unit tests drive it directly.
// The engine (engine.hpp) carries out the decisions on a serve::Loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "doc/document.hpp"
#include "endpoints/resolve.hpp"
#include "project/api_yaml.hpp"
#include "serve/http.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace portico::gateway::router {

// A deployed API as the router reads it from its archive.
struct LoadedApi {
  std::string name, version, basepath;
  std::vector<std::string> vhosts;
  std::shared_ptr<doc::Document> definition;
  std::shared_ptr<const doc::Document> api_yaml;
  std::map<std::string, std::string> endpoint_certs;  // exact endpoint URL -> PEM (Endpoint-certificates)
};

// Reads the definition, api.yaml and endpoint certificates from a deployed
// archive (the adapter's substring classification). Throws Error(Input).
LoadedApi load_api(std::string name, std::string version, std::string basepath, std::vector<std::string> vhosts,
                   std::string_view zip);

struct Host {
  std::string url, scheme, host;
  int port = 80;
  int priority = 0;
  std::string ca_pem;  // from Endpoint-certificates for this URL ("" = the system store)
};

struct ClusterSpec {
  std::string key;    // identity across table rebuilds (API, list and URLs)
  std::string label;  // "Inventory 2.1.0 production", "... production /pets", "... x-wso2-endpoints NAME"
  // The list it is built from, for the view at /portico/clusters (probe --gateway matches on it).
  std::string api_name, api_version;
  endpoints::Environment environment = endpoints::Environment::Production;
  endpoints::Scope scope = endpoints::Scope::Api;
  std::string path;  // the path item (Resource), the list's name (Named), "" (Api)
  endpoints::GroupType type = endpoints::GroupType::Failover;
  std::vector<Host> hosts;
  long timeout_ms = 60000;
  int retry_count = 0;
  std::set<int> retry_statuses;
  long max_connections = 0, max_requests = 0;  // 0: no limit
  long max_pending = 1024;  // requests waiting for a connection at max_connections (Envoy's default)
  std::string basic_auth;                      // "Basic ..." for the backend, or ""
  bool health_checked() const { return hosts.size() > 1; }
};

inline constexpr std::size_t kNoCluster = static_cast<std::size_t>(-1);

// Where one environment of a route sends its traffic.
struct Target {
  bool has_list = false;          // the model names a list for this environment
  std::size_t cluster = kNoCluster;  // index into Table::clusters; kNoCluster with has_list: dropped (NC)
  std::string base;               // what the base path is rewritten to
};

struct RouteEntry {
  std::string resource;  // the path item, e.g. /pets/{id}
  std::regex regex;      // over the whole path, base path included
  int params = 0;
  bool wildcard = false;
  std::set<std::string> methods;          // upper case, OPTIONS included
  std::set<std::string> open_methods;     // methods with security disabled
  Target production, sandbox;
};

struct ApiEntry {
  std::string name, version, basepath;
  std::vector<std::string> vhosts;
  std::vector<RouteEntry> routes;  // in matching order
};

struct Table {
  std::vector<ApiEntry> apis;
  std::vector<ClusterSpec> clusters;
  std::vector<std::string> warnings;  // APIs that could not be loaded
};

// An environment variable's value (nullopt: not set).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Builds the table from the model of each API. Never re-derives precedence:
// every route's list comes from endpoints::resolve. `env` (default: the
// process environment) gives the adapter's endpoint credentials variables.
std::shared_ptr<const Table> build_table(const std::vector<LoadedApi>& apis, const EnvLookup& env = nullptr);

// The adapter's variable for an API-level list's Basic credentials:
// api_<hex SHA-1 of "NAME:VERSION">_{prod,sand}_basic_{username,password}.
std::string env_credential_name(const std::string& name, const std::string& version, bool sandbox, bool password);

// The resource path as Choreo Connect's route regex ({param} -> ([^/]+),
// trailing /* -> (/.*)*, else an optional trailing /), anchored, base path first.
std::string route_regex(const std::string& basepath, const std::string& resource);

// Envoy-style response flags for the access log.
enum class Flag { None, NR, UF, UT, UO, NC, UH, UR };
const char* flag_name(Flag f);

// The router's JSON error body (adapter.md's router table).
serve::Response router_error(Flag f, std::string description = {});
// The enforcer's 401.
serve::Response unauthorized(std::string description = {});

struct Users {
  std::map<std::string, std::string> passwords;
};

struct Decision {
  enum class Kind { Local, Proxy } kind = Kind::Local;
  serve::Response response;  // Local
  Flag flag = Flag::None;    // Local: why (NR, NC...), for the log
  std::string api;           // "Name Version" when a route matched
  // Proxy
  std::size_t cluster = kNoCluster;
  std::string target;  // rewritten path and query
  std::vector<serve::Header> headers;  // request headers to send (hop-by-hop and the bearer removed)
  bool sandbox = false;
};

struct Context {
  EVP_PKEY* key = nullptr;  // verifies tokens and signs /testkey's
  const Users* users = nullptr;
  long long now = 0;        // seconds since the epoch
  std::string jti;          // for /testkey (random, from the caller)
};

// Decides what to do with one request.
Decision route(const Table& table, const serve::Request& req, const Context& ctx);

// The vhost a Host header names (port removed, lower case).
std::string vhost_of(std::string_view host_header);

}  // namespace portico::gateway::router

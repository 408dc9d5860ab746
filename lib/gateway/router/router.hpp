// The router of `portico gateway`: Choreo Connect's routing semantics
// (adapter.md section 5) as pure logic. A Table is built from the gateway
// model (endpoints::resolve) of every deployed API; route() decides what to
// do with one request (answer it here, or send it to a cluster, rewritten)
// without sockets or clocks of its own, so unit tests drive it directly.
// The engine (engine.hpp) carries out the decisions on a serve::Loop.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <unordered_map>
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
  // Index into the API's own clusters (ApiPart::clusters): Table::clusters[ApiEntry::cluster_base + cluster].
  // kNoCluster with has_list: dropped (NC).
  std::size_t cluster = kNoCluster;
  std::string base;               // what the base path is rewritten to
};

struct RouteEntry {
  std::string resource;  // the path item, e.g. /pets/{id}
  std::string pattern;   // the source of `regex`
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
  // In matching order; built once per deployed revision and shared by every
  // table that holds the API (never copied when another API changes).
  std::shared_ptr<const std::vector<RouteEntry>> routes = std::make_shared<const std::vector<RouteEntry>>();
  std::size_t cluster_base = 0;  // where this API's clusters start in Table::clusters
};

// Every API's clusters, one after another, as one sequence: read in place
// from the API parts they belong to (assembling a table copies no cluster).
class ClusterList {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ClusterSpec;
    using difference_type = std::ptrdiff_t;
    using pointer = const ClusterSpec*;
    using reference = const ClusterSpec&;
    const ClusterSpec& operator*() const { return (*list_->chunks_[chunk_])[at_]; }
    const ClusterSpec* operator->() const { return &**this; }
    iterator& operator++() {
      if (++at_ == list_->chunks_[chunk_]->size()) {
        ++chunk_;
        at_ = 0;
      }
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& o) const { return chunk_ == o.chunk_ && at_ == o.at_; }

   private:
    friend class ClusterList;
    iterator(const ClusterList* l, std::size_t chunk) : list_(l), chunk_(chunk) {}
    const ClusterList* list_ = nullptr;
    std::size_t chunk_ = 0, at_ = 0;
  };
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const ClusterSpec& operator[](std::size_t i) const;  // i < size(); a search among the APIs
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, chunks_.size()); }
  // Appends a part's clusters (shared, never copied).
  void append(std::shared_ptr<const std::vector<ClusterSpec>> clusters);

 private:
  std::vector<std::shared_ptr<const std::vector<ClusterSpec>>> chunks_;  // none empty
  std::vector<std::size_t> starts_;                                      // index of each chunk's first
  std::size_t size_ = 0;
};

struct Table {
  std::vector<ApiEntry> apis;  // in matching order (longer base paths first)
  ClusterList clusters;        // each API's, in the order the APIs were given
  std::vector<std::string> warnings;  // APIs that could not be loaded
};

// An environment variable's value (nullopt: not set).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// One API's part of the table: its entry (routes with their regexes
// compiled; cluster_base 0) and its clusters, which the routes' targets index.
struct ApiPart {
  ApiEntry entry;
  std::vector<ClusterSpec> clusters;
};

// Builds one API's part from its model. Never re-derives precedence: every
// route's list comes from endpoints::resolve. `env` (default: the process
// environment) gives the adapter's endpoint credentials variables.
std::shared_ptr<const ApiPart> build_part(const LoadedApi& api, const EnvLookup& env = nullptr);

// The table of the parts, in the order given (the store's): their clusters
// one after another (each entry's cluster_base set), then the APIs in
// matching order, longer base paths first, the given order kept among
// equals. Costs a copy of each entry's names, never of a route or a
// cluster: cheap next to building a part.
std::shared_ptr<const Table> assemble(const std::vector<std::shared_ptr<const ApiPart>>& parts);

// The table of every API, built whole: assemble() of each build_part().
std::shared_ptr<const Table> build_table(const std::vector<LoadedApi>& apis, const EnvLookup& env = nullptr);

// The table kept between deploys, so that a deploy builds the API that
// changed and not every deployed one: each deployed API's part is kept with
// the revision it was built from, and the table is assembled from the parts.
// Equal to build_table() of the same APIs in the same order.
class TableCache {
 public:
  explicit TableCache(EnvLookup env = nullptr) : env_(std::move(env)) {}
  struct Deployed {
    std::string key;             // the deployment's identity (its name and version)
    std::uint64_t revision = 0;  // changes whenever anything the API is built from changes
  };
  // The API at deployed[index]: nullopt when it is gone meanwhile (left out,
  // tried again at the next update); throws when it cannot be served (left
  // out until its revision changes).
  using Loader = std::function<std::optional<LoadedApi>(std::size_t index)>;
  using OnError = std::function<void(std::size_t index, const std::string& what)>;

  // The table of `deployed` (in the store's order): an API whose part is not
  // kept at its revision is loaded and built; the parts of APIs no longer
  // deployed are dropped.
  std::shared_ptr<const Table> update(const std::vector<Deployed>& deployed, const Loader& load,
                                      const OnError& on_error = nullptr);
  std::size_t parts_built() const { return built_; }  // since construction

 private:
  struct Kept {
    std::uint64_t revision = 0;
    std::shared_ptr<const ApiPart> part;  // null: could not be served at this revision
    std::uint64_t generation = 0;         // the last update that found it deployed
  };
  EnvLookup env_;
  std::unordered_map<std::string, Kept> kept_;
  std::size_t built_ = 0;
  std::uint64_t generation_ = 0;
};

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

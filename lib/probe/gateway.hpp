// `probe --gateway`: what a running `portico gateway` router does now, beside
// what portico measures itself. The router serves a JSON view of its
// clusters at GET /portico/clusters (loopback clients only); this reads it
// through net::Transport and matches each probed group to the cluster that
// carries its traffic. Matching is pure (no sockets).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "endpoints/resolve.hpp"
#include "net/http.hpp"
#include "probe/evaluate.hpp"

namespace portico::probe {

// Choreo Connect's router port; --gateway ENV uses it with the adapter's host.
inline constexpr int kRouterPort = 9095;

struct GatewayLocation {
  std::string label;     // what the user gave (ENV name or URL)
  std::string base_url;  // scheme://host:port, no trailing slash
  std::string ca_file;   // verify an https router with this bundle ("" = the system store)
  bool insecure = false;
};

// `--gateway ENV-or-URL`: an http(s):// URL is the router's base URL; else a
// configured environment: its adapter's scheme and host with port 9095, and
// its TLS settings. `ca_flag` (probe's --ca-cert) verifies an https:// URL.
// Throws Error(Usage) for an unknown environment or a URL that is not http(s).
GatewayLocation gateway_location(const std::string& env_or_url,
                                 const std::map<std::string, config::Environment>& environments,
                                 const std::string& ca_flag);

struct RouterHost {
  std::string url;
  int priority = 0;
  std::string health;  // healthy, unhealthy, waiting for its first check, not checked (single URL)
};

struct RouterCluster {
  std::string name;  // "Inventory 2.1.0 production /pets"
  std::string api_name, api_version, environment, scope, path;  // scope: api, resource, named
  std::string type;
  bool health_checked = false;
  bool panic = false;
  std::optional<std::string> serving;
  std::vector<RouterHost> hosts;
};

struct RouterView {
  std::vector<std::pair<std::string, std::string>> apis;  // name, version
  std::vector<RouterCluster> clusters;
  long interval_ms = 0, unhealthy_threshold = 0, healthy_threshold = 0;
};

// Throws Error(Network) when `body` is not the router's view (not JSON, or
// no "clusters" list: an older portico, or not a portico router at all).
RouterView parse_router_view(const std::string& body, const std::string& where);

// GET <base>/portico/clusters. Throws Error(Network) with a clear message
// when the router cannot be reached or answers something else than the view.
RouterView fetch_router_view(net::Transport& transport, const GatewayLocation& at, long timeout_ms);

enum class GatewayStatus {
  Serving,      // the cluster carrying the group's traffic is found
  NotDeployed,  // the API (name and version) is not on the gateway
  NoCluster,    // the API is there but no cluster for this list (deployed from another definition?)
  Dropped       // portico says the gateway drops this list: no cluster expected
};
std::string_view to_string(GatewayStatus s);

struct GatewayGroup {
  GatewayStatus status = GatewayStatus::NotDeployed;
  const RouterCluster* cluster = nullptr;  // for Serving
  // Per URL of the group (same order): the router's word for it, "" when the
  // cluster has no such URL.
  std::vector<std::string> health;
  bool list_differs = false;  // the cluster's URLs are not the project's list
  // The router and portico disagree on where traffic goes (failover: the
  // serving URL; load balancing: which URLs are up).
  bool disagrees = false;
  std::vector<std::string> notes;  // one sentence each
};

// One entry per plan group. `outcomes` are portico's own.
std::vector<GatewayGroup> match_gateway(const endpoints::Resolution& resolution, const Plan& plan,
                                        const std::vector<Result>& results,
                                        const std::vector<GroupOutcome>& outcomes, const RouterView& view);

}  // namespace portico::probe

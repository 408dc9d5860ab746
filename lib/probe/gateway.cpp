#include "probe/gateway.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace portico::probe {

namespace {

bool is_url(const std::string& s) { return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0; }

// "https://host:9843/api/mgw/adapter/0.1" -> "https://host:9095".
std::string router_of_adapter(const std::string& adapter) {
  auto sep = adapter.find("://");
  if (sep == std::string::npos) return "";
  std::string scheme = adapter.substr(0, sep);
  std::string authority = adapter.substr(sep + 3, adapter.find('/', sep + 3) - (sep + 3));
  auto at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  std::string host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return scheme + "://" + host + ":" + std::to_string(kRouterPort);
}

std::string describe(const net::TransportError& e) {
  switch (e.failure) {
    case net::Failure::Resolve: return "cannot resolve its host";
    case net::Failure::Connect: return "nothing accepts connections there";
    case net::Failure::Tls: return "the TLS handshake failed";
    case net::Failure::TlsVerify: return "its TLS certificate was not verified";
    case net::Failure::Timeout: return "it did not answer in time";
    case net::Failure::Reset: return "the connection was reset";
    case net::Failure::TooLarge: return "its answer was too large";
    case net::Failure::Protocol: return "its answer is not HTTP that can be read";
    case net::Failure::Other: break;
  }
  return e.what();
}

std::string text_of(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct Key {
  std::string environment, scope, path;
};

// The cluster that carries a group's traffic on the router, as the adapter
// builds it (endpoints::resolve decided which list has a cluster).
std::optional<Key> traffic_key(const endpoints::Resolution& r, const endpoints::Group& g, int depth = 0) {
  if (g.dropped() || depth > 3) return std::nullopt;
  if (g.uses_production_cluster) {
    for (const auto& p : r.groups)
      if (p.scope == g.scope && p.path == g.path && p.environment == endpoints::Environment::Production)
        return traffic_key(r, p, depth + 1);
    if (const auto* api = r.api_group(endpoints::Environment::Production)) return traffic_key(r, *api, depth + 1);
    return std::nullopt;
  }
  if (g.cluster) {
    std::string scope = g.scope == endpoints::Scope::Api ? "api" : g.scope == endpoints::Scope::Resource ? "resource" : "named";
    return Key{std::string(endpoints::to_string(g.environment)), scope, g.scope == endpoints::Scope::Api ? "" : g.path};
  }
  if (!g.ref.empty()) return Key{"production", "named", g.ref};  // a reference uses the named list's cluster
  return std::nullopt;
}

bool checked_word(const std::string& h) { return h == "healthy" || h == "unhealthy"; }

}  // namespace

std::string_view to_string(GatewayStatus s) {
  switch (s) {
    case GatewayStatus::Serving: return "deployed";
    case GatewayStatus::NotDeployed: return "not-deployed";
    case GatewayStatus::NoCluster: return "no-cluster";
    case GatewayStatus::Dropped: return "dropped";
  }
  return "?";
}

GatewayLocation gateway_location(const std::string& env_or_url,
                                 const std::map<std::string, config::Environment>& environments,
                                 const std::string& ca_flag) {
  GatewayLocation at;
  at.label = env_or_url;
  if (is_url(env_or_url)) {
    at.base_url = env_or_url;
    while (!at.base_url.empty() && at.base_url.back() == '/') at.base_url.pop_back();
    if (at.base_url.size() <= std::string_view("https://").size() ||
        at.base_url.find_first_of(" \t\r\n?#") != std::string::npos)
      throw Error(ExitCode::Usage, "--gateway: '" + env_or_url + "' is not a URL",
                  "pass the router's base URL, e.g. http://127.0.0.1:9095, or an environment name");
    at.ca_file = ca_flag;
    return at;
  }
  if (env_or_url.find("://") != std::string::npos)
    throw Error(ExitCode::Usage, "--gateway: '" + env_or_url + "' is neither http:// nor https://",
                "pass the router's base URL, e.g. https://localhost:9095, or an environment name");
  auto it = environments.find(env_or_url);
  if (it == environments.end()) {
    std::string known;
    for (const auto& [n, _] : environments) known += (known.empty() ? "" : ", ") + n;
    throw Error(ExitCode::Usage, "unknown environment '" + env_or_url + "'",
                known.empty() ? "add one with 'portico env add " + env_or_url +
                                    " --adapter https://host:9843', or pass the router's URL (https://host:9095)"
                              : "known: " + known + "; or pass the router's URL (https://host:9095)");
  }
  at.base_url = router_of_adapter(it->second.adapter);
  at.ca_file = ca_flag.empty() ? it->second.ca_cert : ca_flag;
  at.insecure = it->second.insecure;
  return at;
}

RouterView parse_router_view(const std::string& body, const std::string& where) {
  auto not_view = [&](const std::string& why) {
    return Error(ExitCode::Network, where + " is not the router's cluster view (" + why + ")",
                 "--gateway takes a 'portico gateway' router (default port 9095); the adapter's port or a "
                 "Choreo Connect router has no such view");
  };
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw not_view("not a JSON object");
  auto clusters = j.find("clusters");
  if (clusters == j.end() || !clusters->is_array()) throw not_view("no \"clusters\" list");
  RouterView v;
  if (auto apis = j.find("apis"); apis != j.end() && apis->is_array())
    for (const auto& a : *apis)
      if (a.is_object()) v.apis.emplace_back(text_of(a, "name"), text_of(a, "version"));
  if (auto hc = j.find("health_check"); hc != j.end() && hc->is_object()) {
    v.interval_ms = hc->value("interval_ms", 0L);
    v.unhealthy_threshold = hc->value("unhealthy_threshold", 0L);
    v.healthy_threshold = hc->value("healthy_threshold", 0L);
  }
  for (const auto& c : *clusters) {
    if (!c.is_object()) throw not_view("a cluster that is not an object");
    RouterCluster rc;
    rc.name = text_of(c, "name");
    rc.type = text_of(c, "type");
    if (auto api = c.find("api"); api != c.end() && api->is_object()) {
      rc.api_name = text_of(*api, "name");
      rc.api_version = text_of(*api, "version");
    }
    rc.environment = text_of(c, "environment");
    rc.scope = text_of(c, "scope");
    rc.path = text_of(c, "path");
    if (rc.scope.empty()) throw not_view("clusters carry no \"scope\": a portico gateway older than this portico");
    rc.health_checked = c.value("health_checked", false);
    rc.panic = c.value("panic", false);
    if (auto s = c.find("serving"); s != c.end() && s->is_string()) rc.serving = s->get<std::string>();
    if (auto hs = c.find("hosts"); hs != c.end() && hs->is_array())
      for (const auto& h : *hs)
        if (h.is_object()) rc.hosts.push_back({text_of(h, "url"), h.value("priority", 0), text_of(h, "health")});
    v.clusters.push_back(std::move(rc));
  }
  return v;
}

RouterView fetch_router_view(net::Transport& transport, const GatewayLocation& at, long timeout_ms) {
  net::HttpRequest req;
  req.url = at.base_url + "/portico/clusters";
  req.ca_file = at.ca_file;
  req.insecure = at.insecure;
  req.connect_timeout_ms = timeout_ms;
  req.timeout_ms = std::max(timeout_ms, 10000L);
  req.headers.push_back({"Accept", "application/json"});
  std::string where = "the gateway's router at " + at.base_url;
  net::HttpResponse res;
  try {
    res = transport.send(req);
  } catch (const net::TransportError& e) {
    std::string hint;
    if (e.failure == net::Failure::Connect || e.failure == net::Failure::Resolve || e.failure == net::Failure::Timeout)
      hint = "is 'portico gateway' running with its router there? --gateway ENV uses the adapter's host and port " +
             std::to_string(kRouterPort) + "; pass the router's URL for another port";
    else if (e.failure == net::Failure::TlsVerify)
      hint = "pass --ca-cert with the gateway's certificate ('portico gateway' prints where it is)";
    else if (e.failure == net::Failure::Tls || e.failure == net::Failure::Protocol)
      hint = "a gateway started with --plain-http serves http://, otherwise https://";
    throw Error(ExitCode::Network, "cannot read " + where + ": " + describe(e), hint);
  }
  if (res.status == 404)
    throw Error(ExitCode::Network, where + " has no cluster view (GET /portico/clusters: 404)",
                "a 'portico gateway' router serves it to clients on the same machine only; a Choreo Connect "
                "router has none");
  if (res.status != 200)
    throw Error(ExitCode::Network, where + " answered HTTP " + std::to_string(res.status) + " to GET /portico/clusters",
                "--gateway takes a 'portico gateway' router (default port 9095)");
  return parse_router_view(res.body, where);
}

std::vector<GatewayGroup> match_gateway(const endpoints::Resolution& resolution, const Plan& plan,
                                        const std::vector<Result>& results,
                                        const std::vector<GroupOutcome>& outcomes, const RouterView& view) {
  bool deployed = false;
  for (const auto& [n, v] : view.apis) deployed = deployed || (n == resolution.name.value && v == resolution.version.value);
  std::string timing = view.interval_ms > 0
                           ? fmt::format("its checks run every {} ms and change a host after {} failed or {} passed "
                                         "checks in a row",
                                         view.interval_ms, view.unhealthy_threshold, view.healthy_threshold)
                           : "its checks run at intervals";
  std::vector<GatewayGroup> out;
  for (std::size_t gi = 0; gi < plan.groups.size(); ++gi) {
    const auto& gp = plan.groups[gi];
    const auto& o = outcomes[gi];
    GatewayGroup gg;
    gg.health.assign(gp.urls.size(), "");
    if (!deployed) {
      gg.status = GatewayStatus::NotDeployed;
      out.push_back(std::move(gg));
      continue;
    }
    if (gp.group->dropped()) {
      gg.status = GatewayStatus::Dropped;
      out.push_back(std::move(gg));
      continue;
    }
    auto key = traffic_key(resolution, *gp.group);
    const RouterCluster* found = nullptr;
    if (key)
      for (const auto& c : view.clusters)
        if (c.api_name == resolution.name.value && c.api_version == resolution.version.value &&
            c.environment == key->environment && c.scope == key->scope && c.path == key->path)
          found = &c;
    if (!found) {
      gg.status = GatewayStatus::NoCluster;
      gg.notes.push_back("the API is deployed, but the router has no cluster for this list: the deployed "
                         "definition differs from this one; deploy again");
      out.push_back(std::move(gg));
      continue;
    }
    gg.status = GatewayStatus::Serving;
    gg.cluster = found;
    std::vector<std::string> theirs, ours;
    for (const auto& h : found->hosts) theirs.push_back(h.url);
    for (const auto& u : gp.urls) ours.push_back(u.url);
    gg.list_differs = theirs != ours;
    for (std::size_t i = 0; i < gp.urls.size(); ++i)
      for (const auto& h : found->hosts)
        if (h.url == gp.urls[i].url) gg.health[i] = h.health;
    if (gg.list_differs)
      gg.notes.push_back("the router's list is not this project's (" + std::to_string(theirs.size()) + " URLs there, " +
                         std::to_string(ours.size()) + " here): the deployed definition differs; deploy again");
    auto up = [&](std::size_t i) -> std::optional<bool> {
      const auto& u = gp.urls[i];
      if (u.target == std::string::npos || u.target >= results.size()) return std::nullopt;
      return results[u.target].available;
    };
    if (found->panic)
      gg.notes.push_back("panic: the router finds no healthy host and spreads traffic over priority 0 anyway");
    if (!found->health_checked) {
      // One URL: the router sends traffic there without checks.
      if (gp.urls.size() == 1 && up(0) == false)
        gg.notes.push_back("the router sends traffic to " + gp.urls[0].url +
                           " without health checks (a single URL), and portico found it down: calls fail (503)");
    } else if (gp.group->type == endpoints::GroupType::Failover) {
      std::optional<std::string> ours_serving;
      if (o.serving && *o.serving < gp.urls.size()) ours_serving = gp.urls[*o.serving].url;
      if (ours_serving != found->serving) {
        gg.disagrees = true;
        std::string s = "the router sends traffic to " + found->serving.value_or(std::string("nothing")) +
                        ", portico finds " + ours_serving.value_or(std::string("no available URL")) + " should take it";
        if (found->serving) {
          for (std::size_t i = 0; i < gp.urls.size(); ++i)
            if (gp.urls[i].url == *found->serving && up(i) == false)
              s += ": the router has not yet noticed that " + *found->serving + " is down";
          for (std::size_t i = 0; i < gp.urls.size(); ++i)
            if (ours_serving && gp.urls[i].url == *ours_serving && gg.health[i] == "unhealthy")
              s += ": " + *ours_serving + " is up again, and the router returns traffic to it only after enough passed checks";
        }
        gg.notes.push_back(s + " (" + timing + ")");
      }
    } else {
      for (std::size_t i = 0; i < gp.urls.size(); ++i) {
        auto u = up(i);
        if (!u || !checked_word(gg.health[i]) || *u == (gg.health[i] == "healthy")) continue;
        gg.disagrees = true;
        gg.notes.push_back("the router counts " + gp.urls[i].url + " " + gg.health[i] + ", portico finds it " +
                           (*u ? "up" : "down") + " (" + timing + ")");
      }
    }
    out.push_back(std::move(gg));
  }
  return out;
}

}  // namespace portico::probe

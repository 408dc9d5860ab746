#include "gateway/router/health.hpp"

#include <algorithm>

namespace portico::gateway::router {

ClusterHealth::ClusterHealth(const ClusterSpec& spec) : hosts_(spec.hosts.size()) {}

std::vector<int> ClusterHealth::candidates(const ClusterSpec& spec) const {
  std::vector<int> out;
  if (spec.hosts.empty()) return out;
  if (!spec.health_checked()) {
    for (std::size_t i = 0; i < spec.hosts.size(); ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  // The highest priority (lowest number) with a healthy host.
  int best = -1;
  for (std::size_t i = 0; i < spec.hosts.size(); ++i)
    if (hosts_[i].healthy && (best < 0 || spec.hosts[i].priority < best)) best = spec.hosts[i].priority;
  if (best < 0) {  // panic: every host of priority 0, healthy or not
    for (std::size_t i = 0; i < spec.hosts.size(); ++i)
      if (spec.hosts[i].priority == 0) out.push_back(static_cast<int>(i));
    return out;
  }
  for (std::size_t i = 0; i < spec.hosts.size(); ++i)
    if (hosts_[i].healthy && spec.hosts[i].priority == best) out.push_back(static_cast<int>(i));
  return out;
}

bool ClusterHealth::panic(const ClusterSpec& spec) const {
  if (!spec.health_checked()) return false;
  return std::none_of(hosts_.begin(), hosts_.end(), [](const HostHealth& h) { return h.healthy; });
}

int ClusterHealth::pick(const ClusterSpec& spec) {
  auto c = candidates(spec);
  if (c.empty()) return -1;
  return c[rr_++ % c.size()];
}

int ClusterHealth::serving(const ClusterSpec& spec) const {
  auto c = candidates(spec);
  return c.empty() ? -1 : c[0];
}

std::string ClusterHealth::record(const ClusterSpec& spec, std::size_t i, bool ok, const std::string& why,
                                  const HealthConfig& c) {
  if (i >= hosts_.size()) return "";
  HostHealth& h = hosts_[i];
  int before = serving(spec);
  bool was_healthy = h.healthy, first = !h.checked;
  h.last = why;
  std::string change;
  if (first) {
    h.checked = true;
    h.healthy = ok;
    h.failures = ok ? 0 : 1;
    h.successes = ok ? 1 : 0;
    change = ok ? " healthy at its first check" : " unhealthy at its first check (" + why + ")";
  } else if (ok) {
    h.failures = 0;
    ++h.successes;
    if (!h.healthy && h.successes >= c.healthy_threshold) {
      h.healthy = true;
      change = " healthy after " + std::to_string(h.successes) + " passed check" + (h.successes == 1 ? "" : "s");
    }
  } else {
    h.successes = 0;
    ++h.failures;
    if (h.healthy && h.failures >= c.unhealthy_threshold) {
      h.healthy = false;
      change = " unhealthy after " + std::to_string(h.failures) + " failed check" + (h.failures == 1 ? "" : "s");
    }
  }
  if (change.empty() || (!first && was_healthy == h.healthy)) return "";
  std::string line = spec.label + ": " + spec.hosts[i].url + change;
  int after = serving(spec);
  if (first && after == before) return line;
  if (after < 0) return line + "; no host left";
  if (panic(spec)) return line + "; no healthy host: traffic to priority 0 (panic) " + spec.hosts[static_cast<std::size_t>(after)].url;
  if (after != before || !first)
    line += "; traffic now to priority " + std::to_string(spec.hosts[static_cast<std::size_t>(after)].priority) + " " +
            spec.hosts[static_cast<std::size_t>(after)].url;
  return line;
}

}  // namespace portico::gateway::router

// Health of one cluster's hosts and the choice of a host, as Envoy does it
// for Choreo Connect (adapter.md section 4): TCP-connect checks only for
// lists of two or more URLs; a new cluster's hosts wait for their first
// check, which alone decides; then unhealthy after N consecutive failures,
// healthy after M successes; traffic to the highest priority with a healthy
// host, else (panic) to priority 0. Pure: the engine feeds it check results.
#pragma once

#include <string>
#include <vector>

#include "gateway/router/router.hpp"

namespace portico::gateway::router {

struct HealthConfig {
  long interval_ms = 10000, timeout_ms = 1000, no_traffic_interval_ms = 60000;
  int unhealthy_threshold = 2, healthy_threshold = 2;
};

struct HostHealth {
  bool checked = false;  // a first check has completed
  bool healthy = false;
  int failures = 0, successes = 0;  // consecutive
  std::string last;                 // the last check's outcome ("ok", "connection refused", ...)
};

class ClusterHealth {
 public:
  ClusterHealth() = default;
  explicit ClusterHealth(const ClusterSpec& spec);

  // A check result for host i; returns the transition line to log, or "".
  std::string record(const ClusterSpec& spec, std::size_t i, bool ok, const std::string& why, const HealthConfig& c);

  // The host for the next request, or -1 when the cluster has no host.
  int pick(const ClusterSpec& spec);
  // The host that takes traffic now (no round-robin step), -1 when none.
  int serving(const ClusterSpec& spec) const;
  bool panic(const ClusterSpec& spec) const;

  const std::vector<HostHealth>& hosts() const { return hosts_; }
  bool had_traffic = false;
  long active = 0;  // requests (and upstream connections) in flight

 private:
  std::vector<int> candidates(const ClusterSpec& spec) const;
  std::vector<HostHealth> hosts_;
  std::size_t rr_ = 0;
};

}  // namespace portico::gateway::router

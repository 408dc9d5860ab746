// From the gateway model's groups and probe results to what the gateway
// would do: which URL of each group takes traffic, and the verdict. A list
// the gateway drops is not probed. Pure: no sockets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "endpoints/resolve.hpp"
#include "probe/prober.hpp"

namespace portico::probe {

// Failover: primary, degraded (primary serving, a backup down: no
// redundancy), failed-over, unavailable. Load balancing: all-up, degraded,
// unavailable. dropped: the gateway drops the list and its traffic goes to
// the API-level list (a dropped list whose traffic has nowhere to go is
// unavailable).
enum class Verdict { Primary, FailedOver, AllUp, Degraded, Unavailable, Dropped };
std::string_view to_string(Verdict v);

struct UrlStatus {
  std::string url;
  std::size_t target = 0;  // index into Plan::targets; npos when the URL cannot be probed
  std::string problem;     // why it cannot be probed (not parseable, unsupported scheme)
};

struct GroupPlan {
  const endpoints::Group* group = nullptr;
  std::vector<UrlStatus> urls;
  bool probed = true;  // false for a list the gateway drops
  // For a dropped list whose traffic falls back: the index in Plan::groups
  // of the API-level group that takes it, else npos.
  std::size_t served_by = std::string::npos;
};

struct Plan {
  std::vector<Target> targets;  // distinct host:port(:tls)
  std::vector<GroupPlan> groups;
};

// `environment`: empty for both, else "production" or "sandbox".
Plan plan(const endpoints::Resolution& r, const std::string& environment);

struct GroupOutcome {
  std::optional<std::size_t> serving;  // index into the group's URLs
  std::size_t available = 0;
  Verdict verdict = Verdict::Unavailable;
  std::optional<Verdict> via;  // dropped: the verdict of the group that takes the traffic
};

std::vector<GroupOutcome> evaluate(const Plan& p, const std::vector<Result>& results);

// 0, 7 (failed over / degraded) or 8 (a group with no available endpoint,
// or dropped with nowhere for its traffic to go). A dropped group that falls
// back adds nothing: the group that takes its traffic counts.
int exit_code(const std::vector<GroupOutcome>& outcomes);

}  // namespace portico::probe

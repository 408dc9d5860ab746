// From endpoint groups and probe results to what the gateway would do:
// which URL of each group takes traffic, and the verdict. Pure: no sockets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "endpoints/resolve.hpp"
#include "probe/prober.hpp"

namespace portico::probe {

enum class Verdict { Primary, FailedOver, AllUp, Degraded, Unavailable };
std::string_view to_string(Verdict v);

struct UrlStatus {
  std::string url;
  std::size_t target = 0;  // index into Plan::targets; npos when the URL cannot be probed
  std::string problem;     // why it cannot be probed (not parseable, unsupported scheme)
};

struct GroupPlan {
  const endpoints::Group* group = nullptr;
  std::vector<UrlStatus> urls;
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
};

std::vector<GroupOutcome> evaluate(const Plan& p, const std::vector<Result>& results);

// 0, 7 (failed over / degraded) or 8 (a group with no available endpoint).
int exit_code(const std::vector<GroupOutcome>& outcomes);

}  // namespace portico::probe

#include "probe/evaluate.hpp"

#include <algorithm>

#include "endpoints/url.hpp"

namespace portico::probe {

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::Primary: return "primary";
    case Verdict::FailedOver: return "failed-over";
    case Verdict::AllUp: return "all-up";
    case Verdict::Degraded: return "degraded";
    case Verdict::Unavailable: return "unavailable";
    case Verdict::Dropped: return "dropped";
  }
  return "?";
}

Plan plan(const endpoints::Resolution& r, const std::string& environment) {
  Plan p;
  for (const endpoints::Group* gptr : r.visible()) {
    const auto& g = *gptr;
    if (!environment.empty() && endpoints::to_string(g.environment) != environment) continue;
    GroupPlan gp;
    gp.group = &g;
    gp.probed = !g.dropped();
    if (g.dropped() && g.fallback == endpoints::Fallback::Api)
      for (std::size_t i = 0; i < p.groups.size(); ++i)
        if (p.groups[i].group->scope == endpoints::Scope::Api && p.groups[i].group->environment == g.environment)
          gp.served_by = i;
    for (const auto& u : g.urls) {
      UrlStatus s;
      s.url = u.url;
      s.target = std::string::npos;
      endpoints::Url parsed = endpoints::parse_url(u.url);
      if (!gp.probed) {
        s.problem = "not probed: the gateway drops this list";
      } else if (!parsed.ok()) {
        s.problem = parsed.why;
      } else if (parsed.scheme != "http" && parsed.scheme != "https") {
        s.problem = "scheme '" + parsed.scheme + "' is not probed";
      } else if (!parsed.host_valid()) {
        s.problem = "host '" + parsed.host + "' is not one the gateway accepts";
      } else if (parsed.port < 1 || parsed.port > 65535) {
        s.problem = "port " + parsed.port_text + " is out of range";
      } else {
        Target t{parsed.host, static_cast<int>(parsed.port), parsed.scheme == "https"};
        auto it = std::find(p.targets.begin(), p.targets.end(), t);
        s.target = static_cast<std::size_t>(it - p.targets.begin());
        if (it == p.targets.end()) p.targets.push_back(t);
      }
      gp.urls.push_back(std::move(s));
    }
    p.groups.push_back(std::move(gp));
  }
  return p;
}

std::vector<GroupOutcome> evaluate(const Plan& p, const std::vector<Result>& results) {
  std::vector<GroupOutcome> out;
  for (const auto& g : p.groups) {
    GroupOutcome o;
    for (std::size_t i = 0; i < g.urls.size(); ++i) {
      std::size_t t = g.urls[i].target;
      bool up = t != std::string::npos && t < results.size() && results[t].available;
      if (!up) continue;
      ++o.available;
      if (!o.serving) o.serving = i;
    }
    bool failover = g.group->type == endpoints::GroupType::Failover;
    if (!g.probed)
      o = GroupOutcome{};  // Unavailable unless it falls back (below)
    else if (o.available == 0)
      o.verdict = Verdict::Unavailable;
    else if (failover && *o.serving != 0)
      o.verdict = Verdict::FailedOver;
    else if (o.available < g.urls.size())
      o.verdict = Verdict::Degraded;  // a backup or a member is down
    else
      o.verdict = failover ? Verdict::Primary : Verdict::AllUp;
    out.push_back(o);
  }
  // API-level groups come first, so their verdicts are known here.
  for (std::size_t i = 0; i < p.groups.size(); ++i)
    if (p.groups[i].served_by != std::string::npos) {
      out[i].verdict = Verdict::Dropped;
      out[i].via = out[p.groups[i].served_by].verdict;
    }
  return out;
}

int exit_code(const std::vector<GroupOutcome>& outcomes) {
  int code = 0;
  for (const auto& o : outcomes) {
    if (o.verdict == Verdict::Unavailable) return 8;
    if (o.verdict == Verdict::FailedOver || o.verdict == Verdict::Degraded) code = 7;
  }
  return code;
}

}  // namespace portico::probe

#include "report/probe_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/endpoints_report.hpp"
#include "report/xml.hpp"
#include "util/error.hpp"
#include "util/table.hpp"
#include "util/text.hpp"

namespace portico::report {

namespace {

const probe::Result* result_of(const ProbeView& v, const probe::UrlStatus& u) {
  return u.target == std::string::npos ? nullptr : &v.results[u.target];
}

// A TCP-available endpoint that answers 5xx or not at all over HTTP.
std::string http_warning(const probe::HttpOutcome& h) {
  if (!h.answered) return "no HTTP answer (" + h.error + ")";
  if (h.status >= 500) return "HTTP " + std::to_string(h.status);
  return "";
}

// The router's word for URL i of group gi: its health, ", serving" for the
// URL it sends a failover group's traffic to now; the API's or list's state
// on the first row when there is no cluster.
std::string router_cell(const ProbeView& v, std::size_t gi, std::size_t i) {
  if (!v.gateway) return "";
  const auto& gg = (*v.gateway)[gi];
  switch (gg.status) {
    case probe::GatewayStatus::NotDeployed: return i == 0 ? "API not deployed" : "";
    case probe::GatewayStatus::NoCluster: return i == 0 ? "no cluster for this list" : "";
    case probe::GatewayStatus::Dropped: return i == 0 ? "dropped (no cluster)" : "";
    case probe::GatewayStatus::Serving: break;
  }
  if (i >= gg.health.size()) return "";
  std::string cell = gg.health[i].empty() ? "not in its list" : gg.health[i];
  const auto& g = v.plan.groups[gi];
  if (gg.cluster && gg.cluster->serving && *gg.cluster->serving == g.urls[i].url &&
      g.group->type == endpoints::GroupType::Failover)
    cell += ", serving";
  return cell;
}

void write_gateway_notes(const ProbeView& v, std::ostream& out) {
  out << "ROUTER: what the gateway's router at " << v.gateway_at->base_url << " does now";
  if (v.router && v.router->interval_ms > 0)
    out << fmt::format(" (checks every {} ms; {} failed checks mark a host unhealthy, {} passed ones healthy)",
                       v.router->interval_ms, v.router->unhealthy_threshold, v.router->healthy_threshold);
  out << "; portico's verdict and exit code come from its own probe.\n";
  bool not_deployed = false;
  for (std::size_t gi = 0; gi < v.gateway->size(); ++gi) {
    const auto& gg = (*v.gateway)[gi];
    if (gg.status == probe::GatewayStatus::NotDeployed) {
      not_deployed = true;
      continue;
    }
    const auto* grp = v.plan.groups[gi].group;
    std::string where = grp->scope_name() + " " + std::string(endpoints::to_string(grp->environment));
    for (const auto& n : gg.notes) {
      bool disagreement = n.find(", portico finds ") != std::string::npos;  // see probe::match_gateway
      out << (disagreement ? "disagree: " : "gateway: ") << where << ": " << n << "\n";
    }
  }
  if (not_deployed)
    out << "gateway: " << v.resolution.name.value << " " << v.resolution.version.value
        << " is not deployed on the gateway ('portico deploy -e ENV' deploys it)\n";
}

class Human : public ProbeReporter {
 public:
  explicit Human(bool color) : color_(color) {}
  void write(const ProbeView& v, std::ostream& out) override {
    std::vector<std::string> warnings, notes;
    std::vector<std::vector<std::string>> rows;
    for (std::size_t gi = 0; gi < v.plan.groups.size(); ++gi) {
      const auto& g = v.plan.groups[gi];
      const auto& o = v.outcomes[gi];
      std::string scope = g.group->scope_name();
      std::string env(endpoints::to_string(g.group->environment));
      if (g.group->dropped())
        notes.push_back("dropped: " + scope + " " + env + ": " + g.group->drop_message() + "; " +
                        g.group->fallback_message() +
                        (o.via ? " (verdict there: " + std::string(probe::to_string(*o.via)) + ")" : ""));
      if (o.verdict == probe::Verdict::Degraded && g.group->type == endpoints::GroupType::Failover)
        notes.push_back("degraded: " + scope + " " + env +
                        ": the primary serves, but a backup is down: nothing to fail over to");
      if (g.urls.empty())
        rows.push_back({scope, env, std::string(endpoints::to_string(g.group->type)),
                        std::string(probe::to_string(o.verdict)), "  (no usable URL)", "", "", "", "",
                        router_cell(v, gi, 0), ""});
      for (std::size_t i = 0; i < g.urls.size(); ++i) {
        const auto& u = g.urls[i];
        const probe::Result* r = result_of(v, u);
        bool serving = o.serving && *o.serving == i &&
                       (g.group->type == endpoints::GroupType::Failover);
        bool lb_serving = g.group->type == endpoints::GroupType::LoadBalance && r && r->available;
        std::string mark = serving || lb_serving ? (color_ ? "\x1b[1;32m>\x1b[0m" : ">") : " ";
        std::string state = !g.probed ? "-" : !r ? "skipped" : r->available ? "up" : "down";
        std::string reason = !r ? u.problem : std::string(probe::to_string(r->reason));
        if (r && !r->available && !r->detail.empty())  // "connection refused", not "refused: Connection refused"
          reason = text::to_lower(r->detail).find(reason) != std::string::npos ? text::to_lower(r->detail)
                                                                               : reason + ": " + r->detail;
        std::string ms = r && r->available ? fmt::format("{:.1f} ms", r->connect_ms) : "";
        std::string tls;
        if (r && r->tls.checked)
          tls = r->tls.verified ? fmt::format("verified, {} days left", r->tls.days_left)
                                : "not verified: " + r->tls.error;
        std::string http;
        if (u.target != std::string::npos && u.target < v.http.size() && v.http[u.target]) {
          const auto& h = *v.http[u.target];
          http = h.answered ? fmt::format("HTTP {} ({:.0f} ms)", h.status, h.ttfb_ms) : "no answer";
          std::string w = http_warning(h);
          if (!w.empty() && r && r->available)
            warnings.push_back(u.url + " is TCP-available but unhealthy (" + w +
                               "): the gateway will not fail over from it, and its calls fail");
        }
        std::string verdict = i == 0 ? std::string(probe::to_string(o.verdict)) : "";
        rows.push_back({i == 0 ? scope : "", i == 0 ? std::string(endpoints::to_string(g.group->environment)) : "",
                        i == 0 ? std::string(endpoints::to_string(g.group->type)) : "", verdict, mark + " " + u.url,
                        state, reason, ms, tls, router_cell(v, gi, i), http});
      }
    }
    bool any_http = !v.http.empty();
    std::vector<std::string> headers{"RESOURCE", "ENVIRONMENT", "TYPE", "VERDICT", "  URL", "STATE", "REASON", "CONNECT", "TLS"};
    if (v.gateway) headers.push_back("ROUTER (now)");
    if (any_http) headers.push_back("HTTP (informational)");
    for (auto& r : rows) {
      if (!any_http) r.pop_back();
      if (!v.gateway) r.erase(r.begin() + 9);
    }
    out << text::render_table(headers, rows);
    out << fmt::format("\n'>' marks the URL that takes traffic. {} host:port probed in {:.0f} ms (timeout {} ms x {} attempts).\n",
                       v.plan.targets.size(), v.elapsed_ms, v.options.timeout_ms, v.options.attempts);
    if (v.gateway) write_gateway_notes(v, out);
    for (const auto& n : notes) out << n << "\n";
    for (const auto& w : warnings) out << "warning: " << w << "\n";
    if (any_http)
      out << "note: HTTP results are informational: the gateway's health check is a TCP connect only.\n";
  }

 private:
  bool color_;
};

nlohmann::ordered_json gateway_json(const ProbeView& v, std::size_t gi) {
  const auto& gg = (*v.gateway)[gi];
  nlohmann::ordered_json j{{"status", probe::to_string(gg.status)}};
  const auto* c = gg.cluster;
  j["cluster"] = c ? nlohmann::ordered_json(c->name) : nlohmann::ordered_json(nullptr);
  j["serving"] = c && c->serving ? nlohmann::ordered_json(*c->serving) : nlohmann::ordered_json(nullptr);
  j["panic"] = c ? nlohmann::ordered_json(c->panic) : nlohmann::ordered_json(nullptr);
  j["health_checked"] = c ? nlohmann::ordered_json(c->health_checked) : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json hosts = nlohmann::ordered_json::array();
  if (c)
    for (const auto& h : c->hosts) hosts.push_back({{"url", h.url}, {"priority", h.priority}, {"health", h.health}});
  j["hosts"] = hosts;
  j["list_differs"] = gg.list_differs;
  j["agrees"] = !gg.disagrees;
  j["notes"] = gg.notes;
  return j;
}

class Json : public ProbeReporter {
 public:
  void write(const ProbeView& v, std::ostream& out) override {
    nlohmann::ordered_json groups = nlohmann::ordered_json::array();
    for (std::size_t gi = 0; gi < v.plan.groups.size(); ++gi) {
      const auto& g = v.plan.groups[gi];
      const auto& o = v.outcomes[gi];
      nlohmann::ordered_json eps = nlohmann::ordered_json::array();
      for (const auto& u : g.urls) {
        const probe::Result* r = result_of(v, u);
        nlohmann::ordered_json e{{"url", u.url}};
        if (!r) {
          e["available"] = false;
          e["reason"] = nullptr;
          e["error"] = u.problem;
        } else {
          e["available"] = r->available;
          e["reason"] = probe::to_string(r->reason);
          if (!r->detail.empty()) e["detail"] = r->detail;
          e["address"] = r->address;
          e["connect_ms"] = r->available ? nlohmann::ordered_json(r->connect_ms) : nlohmann::ordered_json(nullptr);
          e["attempts"] = r->attempts;
          if (r->tls.checked)
            e["tls"] = {{"verified", r->tls.verified}, {"error", r->tls.error}, {"days_left", r->tls.days_left}};
          if (u.target < v.http.size() && v.http[u.target]) {
            const auto& h = *v.http[u.target];
            e["http"] = {{"informational", true},
                         {"status", h.answered ? nlohmann::ordered_json(h.status) : nlohmann::ordered_json(nullptr)},
                         {"ttfb_ms", h.answered ? nlohmann::ordered_json(h.ttfb_ms) : nlohmann::ordered_json(nullptr)},
                         {"healthy", h.answered && h.status < 500}};
          }
        }
        eps.push_back(e);
      }
      groups.push_back({{"scope", g.group->resource() ? "resource" : "api"},
                        {"path", g.group->resource() ? nlohmann::ordered_json(g.group->path) : nlohmann::ordered_json(nullptr)},
                        {"environment", endpoints::to_string(g.group->environment)},
                        {"type", endpoints::to_string(g.group->type)},
                        {"verdict", probe::to_string(o.verdict)},
                        {"serving", o.serving ? nlohmann::ordered_json(*o.serving) : nlohmann::ordered_json(nullptr)},
                        {"dropped", dropped_json(*g.group)},
                        {"traffic_verdict", o.via ? nlohmann::ordered_json(probe::to_string(*o.via)) : nlohmann::ordered_json(nullptr)},
                        {"endpoints", eps}});
      if (v.gateway) groups.back()["gateway"] = gateway_json(v, gi);
    }
    nlohmann::ordered_json j{
        {"api", {{"name", v.resolution.name.value}, {"version", v.resolution.version.value}, {"basepath", v.resolution.basepath.value}}},
        {"timeout_ms", v.options.timeout_ms},
        {"attempts", v.options.attempts},
        {"elapsed_ms", v.elapsed_ms},
        {"exit_code", probe::exit_code(v.outcomes)},
        {"groups", groups}};
    if (v.gateway) {
      nlohmann::ordered_json gw{{"url", v.gateway_at->base_url}};
      if (v.router)
        gw["health_check"] = {{"interval_ms", v.router->interval_ms},
                              {"unhealthy_threshold", v.router->unhealthy_threshold},
                              {"healthy_threshold", v.router->healthy_threshold}};
      j["gateway"] = gw;
    }
    out << j.dump(2) << "\n";
  }
};

// One testcase per group; unavailable, failed-over and degraded groups
// fail; a dropped group whose traffic falls back is skipped.
class Junit : public ProbeReporter {
  static bool passes(probe::Verdict v) {
    return v == probe::Verdict::Primary || v == probe::Verdict::AllUp || v == probe::Verdict::Dropped;
  }

 public:
  void write(const ProbeView& v, std::ostream& out) override {
    std::size_t failures = 0;
    std::size_t skipped = 0;
    for (const auto& o : v.outcomes) {
      failures += passes(o.verdict) ? 0 : 1;
      skipped += o.verdict == probe::Verdict::Dropped ? 1 : 0;
    }
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"portico probe\" tests=\""
        << v.outcomes.size() << "\" failures=\"" << failures << "\">\n  <testsuite name=\""
        << xml_escape(v.resolution.name.value + " " + v.resolution.version.value) << "\" tests=\"" << v.outcomes.size()
        << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << v.elapsed_ms / 1000 << "\">\n";
    for (std::size_t gi = 0; gi < v.plan.groups.size(); ++gi) {
      const auto& g = v.plan.groups[gi];
      const auto& o = v.outcomes[gi];
      std::string name = g.group->scope_name() + " " +
                         std::string(endpoints::to_string(g.group->environment));
      out << "    <testcase classname=\"" << endpoints::to_string(g.group->type) << "\" name=\"" << xml_escape(name) << "\">";
      if (o.verdict == probe::Verdict::Dropped) {
        out << "\n      <skipped message=\"" << xml_escape(g.group->drop_message() + "; " + g.group->fallback_message())
            << "\"/>\n    ";
      } else if (!passes(o.verdict)) {
        std::string detail;
        for (std::size_t i = 0; i < g.urls.size(); ++i) {
          const probe::Result* r = result_of(v, g.urls[i]);
          detail += g.urls[i].url + ": " +
                    (!r ? g.urls[i].problem : r->available ? "up" : "down (" + std::string(probe::to_string(r->reason)) + ")") + "\n";
        }
        std::string serving = o.serving ? g.urls[*o.serving].url : "nothing";
        out << "\n      <failure type=\"" << probe::to_string(o.verdict) << "\" message=\""
            << xml_escape(std::string(probe::to_string(o.verdict)) + ": serving " + serving) << "\">" << xml_escape(detail)
            << "</failure>\n    ";
      }
      if (v.gateway) {
        const auto& gg = (*v.gateway)[gi];
        std::string text = "router at " + v.gateway_at->base_url + ": " + std::string(probe::to_string(gg.status));
        if (gg.cluster) {
          text += ", serving " + gg.cluster->serving.value_or(std::string("nothing")) + (gg.cluster->panic ? " (panic)" : "");
          for (const auto& h : gg.cluster->hosts) text += "\n" + h.url + ": " + h.health;
        }
        for (const auto& n : gg.notes) text += "\n" + n;
        out << "\n      <system-out>" << xml_escape(text) << "</system-out>\n    ";
      }
      out << "</testcase>\n";
    }
    out << "  </testsuite>\n</testsuites>\n";
  }
};

}  // namespace

std::unique_ptr<ProbeReporter> make_probe_reporter(std::string_view format, bool color) {
  if (format == "human") return std::make_unique<Human>(color);
  if (format == "json") return std::make_unique<Json>();
  if (format == "junit") return std::make_unique<Junit>();
  throw Error(ExitCode::Usage, "unknown format '" + std::string(format) + "'", "use human, json or junit");
}

}  // namespace portico::report

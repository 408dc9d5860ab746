#include <signal.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "endpoints/resolve.hpp"
#include "project/load.hpp"
#include "handlers.hpp"
#include "config/config.hpp"
#include "net/http.hpp"
#include "probe/evaluate.hpp"
#include "probe/gateway.hpp"
#include "probe/http_check.hpp"
#include "report/probe_report.hpp"
#include "terminal.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

namespace portico::cli {

namespace {

std::atomic<bool> g_stop{false};
void on_interrupt(int) { g_stop = true; }

long number(const Invocation& inv, const std::string& flag, const std::string& fallback, long min, long max) {
  std::string v = inv.get(flag, fallback);
  if (!text::is_all_digits(v) || v.size() > 7 || std::stol(v) < min || std::stol(v) > max)
    throw Error(ExitCode::Usage, "--" + flag + " takes a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  return std::stol(v);
}

struct Round {
  std::vector<probe::Result> results;
  std::vector<probe::GroupOutcome> outcomes;
  std::vector<std::optional<probe::HttpOutcome>> http;
  double elapsed_ms = 0;
};

Round run_round(probe::Prober& prober, const probe::Plan& plan, const probe::Options& o, bool http) {
  Round r;
  auto t0 = std::chrono::steady_clock::now();
  r.results = prober.probe(plan.targets, o);
  r.outcomes = probe::evaluate(plan, r.results);
  if (http) {
    // One GET per available URL (the first URL naming each target).
    std::vector<std::string> urls;
    std::vector<std::size_t> which;
    std::vector<bool> seen(plan.targets.size());
    for (const auto& g : plan.groups)
      for (const auto& u : g.urls)
        if (u.target != std::string::npos && !seen[u.target] && r.results[u.target].available) {
          seen[u.target] = true;
          urls.push_back(u.url);
          which.push_back(u.target);
        }
    auto outcomes = probe::http_check(urls, o.timeout_ms * 2, o.ca_file, o.parallel);
    r.http.resize(plan.targets.size());
    for (std::size_t i = 0; i < which.size(); ++i) r.http[which[i]] = outcomes[i];
  }
  r.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string now_text() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
  return buf;
}

// Prints what changed between two rounds: endpoints up/down, groups failing over or recovering.
void print_transitions(const probe::Plan& plan, const Round& before, const Round& now, std::ostream& out) {
  for (std::size_t t = 0; t < plan.targets.size(); ++t) {
    const auto& a = before.results[t];
    const auto& b = now.results[t];
    if (a.available == b.available) continue;
    const auto& tg = plan.targets[t];
    out << now_text() << "  endpoint " << (tg.tls ? "https://" : "http://") << tg.host << ":" << tg.port << " is "
        << (b.available ? "up" : "down (" + std::string(probe::to_string(b.reason)) + ")") << "\n";
  }
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const auto& a = before.outcomes[g];
    const auto& b = now.outcomes[g];
    if (a.verdict == b.verdict && a.serving == b.serving) continue;
    const auto* grp = plan.groups[g].group;
    std::string scope = grp->scope_name();
    std::string serving = b.serving ? plan.groups[g].urls[*b.serving].url : "nothing";
    std::string what = b.verdict == probe::Verdict::Unavailable ? "has no available endpoint"
                       : b.verdict == probe::Verdict::FailedOver ? "failed over to " + serving
                       : (a.verdict == probe::Verdict::FailedOver || a.verdict == probe::Verdict::Unavailable ||
                          a.verdict == probe::Verdict::Degraded)
                           ? "recovered here: " + std::string(probe::to_string(b.verdict)) + ", " + serving +
                                 " is up; the gateway returns traffic to it only after 2 passed health checks "
                                 "10 s apart (10-20 s from now)"
                           : std::string(probe::to_string(b.verdict)) + ", serving " + serving;
    out << now_text() << "  " << scope << " " << endpoints::to_string(grp->environment) << " " << what << "\n";
  }
  out.flush();
}

}  // namespace

int run_probe(const Invocation& inv) {
  project::Target target = project::load_target(inv.get("PATH", "."));
  endpoints::Resolution resolution = endpoints::resolve(*target.definition, target.meta.get());
  probe::Options o;
  o.timeout_ms = number(inv, "timeout", "1000", 1, 600000);
  o.attempts = static_cast<int>(number(inv, "attempts", "2", 1, 10));
  o.parallel = static_cast<int>(number(inv, "parallel", "64", 1, 4096));
  o.ca_file = inv.get("ca-cert");
  bool http = inv.flag("http");
  std::string watch = inv.get("watch");
  long every = watch.empty() ? 0 : number(inv, "watch", "", 1, 86400);  // checked before any probing
  probe::Plan plan = probe::plan(resolution, inv.get("environment"));
  if (plan.groups.empty())
    throw Error(ExitCode::Input, "no endpoint groups to probe", "'portico endpoints' shows what the gateway would build");
  auto prober = probe::make_socket_prober();
  auto reporter = report::make_probe_reporter(inv.get("format", "human"), use_color(stdout, inv.no_color));

  // --gateway: the router's view, read before probing (an unreachable router
  // fails at once, before anything is printed).
  std::optional<probe::GatewayLocation> gateway_at;
  std::optional<probe::RouterView> router;
  if (std::string gw = inv.get("gateway"); !gw.empty()) {
    bool url = gw.rfind("http://", 0) == 0 || gw.rfind("https://", 0) == 0;
    auto envs = url ? std::map<std::string, config::Environment>{}
                    : config::Store(config::config_dir(inv.config_dir)).environments();
    gateway_at = probe::gateway_location(gw, envs, o.ca_file);
    if (gateway_at->insecure)
      std::cerr << "portico: warning: TLS verification is off for the router of " << gw << "\n";
    std::function<void(const std::string&)> trace;
    if (inv.verbose) trace = [](const std::string& line) { std::cerr << line << "\n"; };
    auto transport = net::make_curl_transport(trace);
    router = probe::fetch_router_view(*transport, *gateway_at, std::max(o.timeout_ms, 2000L));
  }

  Round first = run_round(*prober, plan, o, http);
  std::vector<probe::GatewayGroup> on_gateway;
  if (router) on_gateway = probe::match_gateway(resolution, plan, first.results, first.outcomes, *router);
  report::ProbeView view{resolution, plan, first.results, first.outcomes, first.http, o, first.elapsed_ms};
  if (router) {
    view.gateway_at = &*gateway_at;
    view.router = &*router;
    view.gateway = &on_gateway;
  }
  reporter->write(view, std::cout);
  std::cout.flush();
  if (watch.empty()) return probe::exit_code(first.outcomes);

  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);
  std::cerr << "portico: watching every " << every << " s; Ctrl-C stops\n";
  Round last = std::move(first);
  while (!g_stop) {
    for (long waited = 0; waited < every * 10 && !g_stop; ++waited)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_stop) break;
    Round now = run_round(*prober, plan, o, false);
    print_transitions(plan, last, now, std::cout);
    last = std::move(now);
  }
  return probe::exit_code(last.outcomes);
}

}  // namespace portico::cli

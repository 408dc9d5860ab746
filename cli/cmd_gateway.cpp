#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "gateway/server.hpp"
#include "handlers.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;

namespace portico::cli {

namespace {

fs::path default_data_dir() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "portico" / "gateway";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local/share/portico/gateway";
  return fs::path(".portico-gateway");
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

long long parse_number(const std::string& flag, const std::string& v, long long min, long long max) {
  if (!text::is_all_digits(v) || v.size() > 12)
    throw Error(ExitCode::Usage, "--" + flag + ": '" + v + "' is not a whole number");
  long long n = std::stoll(v);
  if (n < min || n > max)
    throw Error(ExitCode::Usage, "--" + flag + ": " + v + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  return n;
}

}  // namespace

int run_gateway(const Invocation& inv) {
  gateway::ServerConfig c;
  std::string listen = inv.get("listen", "127.0.0.1:9843");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw Error(ExitCode::Usage, "--listen: '" + listen + "' is not HOST:PORT", "for example --listen 127.0.0.1:9843");
  c.host = listen.substr(0, colon);
  if (c.host.size() > 2 && c.host.front() == '[' && c.host.back() == ']') c.host = c.host.substr(1, c.host.size() - 2);
  c.port = static_cast<int>(parse_number("listen", listen.substr(colon + 1), 0, 65535));
  c.plain_http = inv.flag("plain-http");
  if (c.plain_http && !is_loopback(c.host))
    throw Error(ExitCode::Usage, "--plain-http is for loopback only, not " + c.host,
                "listen on 127.0.0.1, or drop --plain-http to serve HTTPS");
  c.cert = inv.get("cert");
  c.key = inv.get("key");
  if (c.cert.empty() != c.key.empty())
    throw Error(ExitCode::Usage, "--cert and --key go together");
  c.data_dir = inv.get("data-dir").empty() ? default_data_dir() : fs::path(inv.get("data-dir"));
  c.max_upload = static_cast<std::size_t>(parse_number("max-upload", inv.get("max-upload", "67108864"), 1024, 1ll << 34));
  c.max_concurrent_deploys = static_cast<std::size_t>(
      parse_number("max-concurrent-deploys", inv.get("max-concurrent-deploys", "2"), 1, 64));
  c.service.token_lifetime = parse_number("token-lifetime", inv.get("token-lifetime", "3600"), 1, 86400);
  if (!inv.all("environment").empty()) c.service.environments = inv.all("environment");
  if (!inv.all("user").empty()) {
    c.service.users.clear();
    for (const auto& u : inv.all("user")) {
      auto p = u.find(':');
      std::string name = u.substr(0, p), password;
      if (p != std::string::npos) {
        password = u.substr(p + 1);
      } else if (const char* env = std::getenv("PORTICO_GATEWAY_PASSWORD"); env && *env) {
        password = env;
      } else {
        throw Error(ExitCode::Usage, "--user " + name + ": no password",
                    "write --user NAME:PASSWORD, or set PORTICO_GATEWAY_PASSWORD to keep it out of ps");
      }
      if (name.empty() || password.empty()) throw Error(ExitCode::Usage, "--user needs a name and a password");
      c.service.users[name] = password;
    }
  }
  c.router = !inv.flag("no-router");
  std::string rl = inv.get("router-listen", "127.0.0.1:9095");
  auto rc = rl.rfind(':');
  if (rc == std::string::npos || rc == 0)
    throw Error(ExitCode::Usage, "--router-listen: '" + rl + "' is not HOST:PORT", "for example --router-listen 127.0.0.1:9095");
  c.router_host = rl.substr(0, rc);
  if (c.router_host.size() > 2 && c.router_host.front() == '[' && c.router_host.back() == ']')
    c.router_host = c.router_host.substr(1, c.router_host.size() - 2);
  c.router_port = static_cast<int>(parse_number("router-listen", rl.substr(rc + 1), 0, 65535));
  if (c.router && c.plain_http && !is_loopback(c.router_host))
    throw Error(ExitCode::Usage, "--plain-http is for loopback only, not " + c.router_host);
  c.health.interval_ms = parse_number("health-interval", inv.get("health-interval", "10000"), 10, 86400000);
  c.health.timeout_ms = parse_number("health-timeout", inv.get("health-timeout", "1000"), 10, 600000);
  c.health.unhealthy_threshold = static_cast<int>(parse_number("unhealthy-threshold", inv.get("unhealthy-threshold", "2"), 1, 100));
  c.health.healthy_threshold = static_cast<int>(parse_number("healthy-threshold", inv.get("healthy-threshold", "2"), 1, 100));
  c.health.no_traffic_interval_ms = parse_number("no-traffic-interval", inv.get("no-traffic-interval", "60000"), 10, 86400000);
  c.upstream_idle_timeout_ms = parse_number("upstream-idle-timeout", inv.get("upstream-idle-timeout", "30000"), 10, 3600000);
  c.upstream_max_idle = static_cast<std::size_t>(parse_number("upstream-max-idle", inv.get("upstream-max-idle", "128"), 0, 100000));
  gateway::run_server(c, [&](const std::string& line) {
    std::cout << line << std::endl;
    if (!inv.quiet)
      std::cerr << "portico gateway: data in " << fs::absolute(c.data_dir).string() << "; Ctrl-C stops it\n";
  });
  return 0;
}

}  // namespace portico::cli

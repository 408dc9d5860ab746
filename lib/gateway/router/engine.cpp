#include "gateway/router/engine.hpp"

#include <cstdio>
#include <random>

#include "util/text.hpp"

namespace portico::gateway::router {

struct Engine::ClusterRuntime {
  ClusterSpec spec;
  ClusterHealth health;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

struct Engine::Exchange {
  serve::Request req;
  serve::Respond respond;
  Decision decision;
  std::shared_ptr<ClusterRuntime> rt;
  long long start_ms = 0, deadline_ms = 0;
  int retries_left = 0, attempt = 0;
  bool body_kept = true;
  int host = -1;
  bool done = false;
};

namespace {

bool hop_by_hop_response(const std::string& n) {
  std::string l = text::to_lower(n);
  return l == "connection" || l == "keep-alive" || l == "transfer-encoding" || l == "content-length" ||
         l == "proxy-connection" || l == "upgrade" || l == "trailer";
}

std::string health_word(const ClusterSpec& spec, const HostHealth& h) {
  if (!spec.health_checked()) return "not checked (single URL)";
  if (!h.checked) return "waiting for its first check";
  return h.healthy ? "healthy" : "unhealthy";
}

}  // namespace

Engine::Engine(serve::Loop& loop, EngineConfig config)
    : loop_(loop), config_(std::move(config)), table_(std::make_shared<Table>()) {
  std::random_device rd;
  jti_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

Engine::~Engine() {
  for (auto& [k, rt] : clusters_) *rt->alive = false;
}

void Engine::set_table(std::shared_ptr<const Table> table) {
  std::map<std::string, std::shared_ptr<ClusterRuntime>> next;
  std::vector<std::shared_ptr<ClusterRuntime>> index;
  for (const auto& spec : table->clusters) {
    std::shared_ptr<ClusterRuntime> rt;
    if (auto it = clusters_.find(spec.key); it != clusters_.end() && !next.count(spec.key)) {
      rt = it->second;
      rt->spec = spec;
    } else if (auto n = next.find(spec.key); n != next.end()) {
      rt = n->second;
    } else {
      rt = std::make_shared<ClusterRuntime>();
      rt->spec = spec;
      rt->health = ClusterHealth(spec);
      if (spec.health_checked()) start_checks(rt, 0);
    }
    next[spec.key] = rt;
    index.push_back(rt);
  }
  for (auto& [k, rt] : clusters_)
    if (!next.count(k)) *rt->alive = false;
  clusters_ = std::move(next);
  by_index_ = std::move(index);
  table_ = std::move(table);
}

void Engine::start_checks(const std::shared_ptr<ClusterRuntime>& rt, long delay) {
  std::weak_ptr<ClusterRuntime> weak = rt;
  auto alive = rt->alive;
  loop_.after(delay, [this, weak, alive] {
    auto rt = weak.lock();
    if (!rt || !*alive) return;
    auto pending = std::make_shared<std::size_t>(rt->spec.hosts.size());
    for (std::size_t i = 0; i < rt->spec.hosts.size(); ++i) {
      const Host& h = rt->spec.hosts[i];
      loop_.tcp_check(h.host, h.port, config_.health.timeout_ms, [this, weak, alive, i, pending](bool ok, std::string why) {
        auto rt = weak.lock();
        if (!rt || !*alive) return;
        std::string line = rt->health.record(rt->spec, i, ok, why, config_.health);
        if (!line.empty() && config_.log) config_.log(line);
        if (--*pending == 0)
          start_checks(rt, rt->health.had_traffic ? config_.health.interval_ms : config_.health.no_traffic_interval_ms);
      });
    }
  });
}

nlohmann::json Engine::clusters_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& rt : by_index_) {
    const auto& s = rt->spec;
    nlohmann::json hosts = nlohmann::json::array();
    for (std::size_t i = 0; i < s.hosts.size(); ++i) {
      const auto& h = rt->health.hosts()[i];
      hosts.push_back({{"url", s.hosts[i].url},
                       {"priority", s.hosts[i].priority},
                       {"health", health_word(s, h)},
                       {"last_check", s.health_checked() && h.checked ? nlohmann::json(h.last) : nlohmann::json(nullptr)}});
    }
    int serving = rt->health.serving(s);
    list.push_back({{"name", s.label},
                    {"type", std::string(endpoints::to_string(s.type))},
                    {"api", {{"name", s.api_name}, {"version", s.api_version}}},
                    {"environment", std::string(endpoints::to_string(s.environment))},
                    {"scope", s.scope == endpoints::Scope::Api ? "api" : s.scope == endpoints::Scope::Resource ? "resource" : "named"},
                    {"path", s.scope == endpoints::Scope::Api ? nlohmann::json(nullptr) : nlohmann::json(s.path)},
                    {"health_checked", s.health_checked()},
                    {"panic", rt->health.panic(s)},
                    {"serving", serving < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.hosts[static_cast<std::size_t>(serving)].url)},
                    {"active_requests", rt->health.active},
                    {"open_connections", loop_.open_connections(s.key)},
                    {"timeout_ms", s.timeout_ms},
                    {"hosts", hosts}});
  }
  nlohmann::json apis = nlohmann::json::array();
  for (const auto& a : table_->apis) apis.push_back({{"name", a.name}, {"version", a.version}, {"basepath", a.basepath}, {"vhosts", a.vhosts}});
  return {{"apis", apis},
          {"clusters", list},
          {"health_check", {{"interval_ms", config_.health.interval_ms},
                            {"timeout_ms", config_.health.timeout_ms},
                            {"unhealthy_threshold", config_.health.unhealthy_threshold},
                            {"healthy_threshold", config_.health.healthy_threshold},
                            {"no_traffic_interval_ms", config_.health.no_traffic_interval_ms}}}};
}

void Engine::handle(serve::Request&& req, serve::Respond respond) {
  auto x = std::make_shared<Exchange>();
  x->start_ms = loop_.now_ms();
  x->respond = std::move(respond);
  if (req.path() == "/portico/clusters" && req.method == "GET") {
    x->req = std::move(req);
    serve::Response r;
    if (x->req.loopback) {
      r.set("Content-Type", "application/json");
      r.body = clusters_json().dump(2) + "\n";
      return finish(x, std::move(r), Flag::None);
    }
    return finish(x, router_error(Flag::NR), Flag::NR);
  }
  Context ctx;
  ctx.key = config_.key;
  ctx.users = &config_.users;
  ctx.now = config_.wall_clock ? config_.wall_clock() : 0;
  char jti[40];
  std::uint64_t n = ++jti_;
  std::snprintf(jti, sizeof jti, "%016llx-%llx", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(static_cast<std::uint64_t>(x->start_ms)));
  ctx.jti = jti;
  x->decision = route(*table_, req, ctx);
  x->req = std::move(req);
  Decision& d = x->decision;
  if (d.kind == Decision::Kind::Local) return finish(x, std::move(d.response), d.flag);
  if (d.cluster >= by_index_.size()) return finish(x, router_error(Flag::NC), Flag::NC);
  x->rt = by_index_[d.cluster];
  const ClusterSpec& s = x->rt->spec;
  // maxRequests: requests in flight, refused at once beyond it;
  // maxConnections and maxPendingRequests apply in the connection pool
  // (serve::admit): beyond the connections a request waits, and beyond the
  // waiting ones it overflows.
  if (s.max_requests > 0 && x->rt->health.active >= s.max_requests) {
    auto rt = std::move(x->rt);  // not counted as active
    return finish(x, router_error(Flag::UO), Flag::UO);
  }
  x->rt->health.had_traffic = true;
  ++x->rt->health.active;
  x->deadline_ms = x->start_ms + s.timeout_ms;
  x->retries_left = s.retry_count;
  // A streamed body (larger than the retry buffer) is sent once.
  x->body_kept = !x->req.body_stream && x->req.body.size() <= config_.retry_buffer;
  if (!x->body_kept) x->retries_left = 0;
  send(x);
}

void Engine::send(const std::shared_ptr<Exchange>& x) {
  const ClusterSpec& s = x->rt->spec;
  x->host = x->rt->health.pick(s);
  if (x->host < 0) return finish(x, router_error(Flag::UH), Flag::UH);
  long long left = x->deadline_ms - loop_.now_ms();
  if (left <= 0) return finish(x, router_error(Flag::UT), Flag::UT);
  const Host& h = s.hosts[static_cast<std::size_t>(x->host)];
  serve::UpstreamRequest u;
  u.scheme = h.scheme;
  u.host = h.host;
  u.port = h.port;
  u.ca_pem = h.ca_pem;
  u.method = x->req.method;
  u.target = x->decision.target;
  u.headers = x->decision.headers;
  if (!s.basic_auth.empty()) {
    std::erase_if(u.headers, [](const serve::Header& hd) { return text::to_lower(hd.name) == "authorization"; });
    u.headers.push_back({"Authorization", s.basic_auth});
  }
  if (x->req.body_stream) {
    u.body = std::move(x->req.body);
    u.body_stream = std::move(x->req.body_stream);
    u.body_length = x->req.body_length;
  } else {
    u.body = x->retries_left > 0 ? x->req.body : std::move(x->req.body);
  }
  u.timeout_ms = static_cast<int>(left);
  u.stream = true;  // the response body is passed on as it arrives
  u.group = s.key;
  u.max_connections = s.max_connections > 0 ? static_cast<std::size_t>(s.max_connections) : 0;
  u.max_pending = static_cast<std::size_t>(s.max_pending);
  ++x->attempt;
  loop_.fetch(std::move(u), [this, x](serve::UpstreamResult r) {
    switch (r.error) {
      case serve::UpstreamError::None: break;
      case serve::UpstreamError::Connect:
      case serve::UpstreamError::Tls:
        return finish(x, router_error(Flag::UF, "upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: " + r.detail), Flag::UF);
      case serve::UpstreamError::Timeout: return finish(x, router_error(Flag::UT), Flag::UT);
      case serve::UpstreamError::Overflow:
        if (x->rt->health.active > 0) --x->rt->health.active;  // counted, unlike an early refusal
        return finish(x, router_error(Flag::UO), Flag::UO);
      default: return finish(x, router_error(Flag::UR), Flag::UR);
    }
    const ClusterSpec& s = x->rt->spec;
    if (x->retries_left > 0 && s.retry_statuses.count(r.response.status)) {
      // Envoy's back-off: a random wait up to 25 ms x 2^(attempt-1), at least 1 ms.
      long cap = 25L << std::min(x->attempt - 1, 8);
      static thread_local std::minstd_rand rng{std::random_device{}()};
      long wait = 1 + static_cast<long>(rng() % static_cast<unsigned long>(cap));
      if (loop_.now_ms() + wait < x->deadline_ms) {
        --x->retries_left;
        loop_.after(wait, [this, x] { send(x); });
        return;
      }
    }
    serve::Response out;
    out.status = r.response.status;
    for (auto& h : r.response.headers)
      if (!hop_by_hop_response(h.name)) out.headers.push_back(std::move(h));
    out.body = std::move(r.response.body);
    out.stream = std::move(r.response.stream);
    out.stream_length = r.response.stream_length;
    finish(x, std::move(out), Flag::None);
  });
}

void Engine::finish(const std::shared_ptr<Exchange>& x, serve::Response res, Flag flag) {
  if (x->done) return;
  x->done = true;
  if (x->rt && x->rt->health.active > 0 && flag != Flag::UO) --x->rt->health.active;
  if (config_.log) {
    std::string backend;
    if (x->rt && x->host >= 0) backend = x->rt->spec.hosts[static_cast<std::size_t>(x->host)].url;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1fms", static_cast<double>(loop_.now_ms() - x->start_ms));
    std::string line = "router: " + x->req.method + " " + x->req.path() + " " + std::to_string(res.status);
    if (flag != Flag::None) line += std::string(" ") + flag_name(flag);
    if (!backend.empty()) line += " " + backend;
    if (x->attempt > 1) line += " (" + std::to_string(x->attempt) + " attempts)";
    line += " " + std::string(ms);
    config_.log(line);
  }
  auto respond = std::move(x->respond);
  x->rt.reset();
  x->req.body_stream.reset();  // the client's connection decides what to do with an unread body
  respond(std::move(res));
}

}  // namespace portico::gateway::router

#include "gateway/server.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <deque>
#include <map>
#include <optional>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include "crypto/keys.hpp"
#include "gateway/adapter/request.hpp"
#include "gateway/router/engine.hpp"
#include "serve/http.hpp"
#include "net/module.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;

namespace portico::gateway {

namespace {

struct TlsFiles {
  fs::path cert, key;
};

// The configured certificate, or a self-signed one for localhost created
// on first start and reused after.
TlsFiles tls_files(const ServerConfig& c) {
  if (!c.cert.empty()) return {c.cert, c.key};
  fs::path dir = c.data_dir / "tls";
  TlsFiles f{dir / "cert.pem", dir / "key.pem"};
  std::error_code ec;
  if (fs::exists(f.cert, ec) && fs::exists(f.key, ec)) return f;
  fs::create_directories(dir, ec);
  auto key = crypto::generate_rsa(2048);
  file::write_atomic(f.key, crypto::private_key_pem(key.get()), fs::perms::owner_read | fs::perms::owner_write);
  file::write_atomic(f.cert, crypto::self_signed_certificate_pem(key.get(), {"localhost", "127.0.0.1"}, 825));
  return f;
}

std::string read_pem_checked(const fs::path& p, const char* what) {
  std::string s = file::read(p, 1 << 20);
  if (s.find("-----BEGIN") == std::string::npos)
    throw Error(ExitCode::Input, p.string() + " is not a PEM " + what);
  return s;
}


void log_line(const std::string& line) {
  std::string l = line + "\n";
  std::fwrite(l.data(), 1, l.size(), stderr);
  std::fflush(stderr);
}

// The router's log lines, written in batches: a line is added on the loop
// thread, and the batch goes out in one write when the loop gets to the
// flush posted with its first line (at once when idle, after every ready
// handler under load: one write for many requests).
class LogBatch {
 public:
  explicit LogBatch(serve::Loop& loop) : loop_(loop) {}
  void add(const std::string& line) {
    buf_ += line;
    buf_ += '\n';
    if (buf_.size() >= (64u << 10)) return flush();
    if (posted_) return;
    posted_ = true;
    loop_.post([this] { flush(); });
  }
  void flush() {
    posted_ = false;
    if (buf_.empty()) return;
    std::fwrite(buf_.data(), 1, buf_.size(), stderr);
    std::fflush(stderr);
    buf_.clear();
  }

 private:
  serve::Loop& loop_;
  std::string buf_;
  bool posted_ = false;
};

long long wall_seconds() {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The router's table from every deployment in the store, kept between
// deploys: only a deployment whose revision changed (deployed, overridden,
// its environments updated) has its archive read and its part of the table
// built; the others keep theirs, so a deploy costs about its own API.
class TableLoader {
 public:
  std::shared_ptr<const router::Table> load(const adapter::Store& store) {
    std::vector<adapter::Deployment> all = store.list();
    std::vector<router::TableCache::Deployed> deployed;
    deployed.reserve(all.size());
    for (const auto& d : all) deployed.push_back({d.name + '\n' + d.version, d.revision});
    auto load_one = [&](std::size_t i) -> std::optional<router::LoadedApi> {
      const adapter::Deployment& d = all[i];
      auto bytes = store.read_archive(d);
      if (!bytes) return std::nullopt;  // replaced or removed since: that change rebuilds again
      std::vector<std::string> vhosts;
      for (const auto& t : d.targets)
        if (std::find(vhosts.begin(), vhosts.end(), t.vhost) == vhosts.end()) vhosts.push_back(t.vhost);
      return router::load_api(d.name, d.version, d.basepath, vhosts, *bytes);
    };
    auto failed = [&](std::size_t i, const std::string& what) {
      log_line("router: cannot serve " + all[i].name + " " + all[i].version + ": " + what);
    };
    return cache_.update(deployed, load_one, failed);
  }

 private:
  router::TableCache cache_;
};


// A few threads for the adapter's requests (unpacking and checking a
// project takes time): the event loop hands them over and gets the
// response back, so it never waits.
class Workers {
 public:
  explicit Workers(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
  }
  ~Workers() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  // Drops what has not started and waits at most ms for what has; false
  // when a task is still running.
  bool finish_within(long ms) {
    std::unique_lock l(mu_);
    stop_ = true;
    q_.clear();
    cv_.notify_all();
    return idle_cv_.wait_for(l, std::chrono::milliseconds(ms), [this] { return running_ == 0; });
  }
  void submit(std::function<void()> f) {
    {
      std::lock_guard l(mu_);
      q_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock l(mu_);
        cv_.wait(l, [this] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        f = std::move(q_.front());
        q_.pop_front();
        ++running_;
      }
      f();
      {
        std::lock_guard l(mu_);
        --running_;
      }
      idle_cv_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::function<void()>> q_;
  std::size_t running_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// At most `limit` deploys between their head and their answer. A slot is
// taken in on_head, before the body is read, as a lease that ends when the
// worker picks the request up, or at `lease_ms` (the body deadline, past
// which the serving layer has closed the connection) when the body never
// comes; leases are interchangeable, so the worker ends the oldest.
class Admission {
 public:
  Admission(std::size_t limit, long long lease_ms) : limit_(limit), lease_ms_(lease_ms) {}
  bool try_enter(long long now_ms) {
    std::lock_guard l(mu_);
    while (!leases_.empty() && leases_.front() <= now_ms) leases_.pop_front();
    if (active_ + leases_.size() >= limit_) return false;
    leases_.push_back(now_ms + lease_ms_);
    return true;
  }
  void begin() {
    std::lock_guard l(mu_);
    if (!leases_.empty()) leases_.pop_front();
    ++active_;
  }
  void end() {
    std::lock_guard l(mu_);
    --active_;
  }
  std::size_t limit() const { return limit_; }

 private:
  std::mutex mu_;
  std::size_t limit_, active_ = 0;
  long long lease_ms_;
  std::deque<long long> leases_;
};

serve::Response to_serve(const adapter::Response& r) {
  serve::Response out;
  out.status = r.status;
  if (!r.body.empty()) {
    out.set("Content-Type", "application/json");
    out.body = r.body;
  }
  return out;
}

long long steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

project::AcceptLimits acceptance_budget(std::size_t max_upload) {
  std::uint64_t budget = 4ull * max_upload;
  project::AcceptLimits l;
  l.max_definition_bytes = budget / 8;
  l.max_inflated_bytes = budget / 4;
  l.max_nodes = std::min<std::uint64_t>(5'000'000, budget / 200);
  l.budget_note = " (this gateway's memory budget per deploy is " + std::to_string(budget >> 20) +
                  " MiB, 4 x --max-upload: a definition of at most " + std::to_string(l.max_definition_bytes >> 20) +
                  " MiB and " + std::to_string(l.max_nodes) + " nodes)";
  return l;
}

}  // namespace portico::gateway

namespace portico::netmod {
using namespace portico::gateway;

void run_server_impl(const ServerConfig& config, const std::function<void(const std::string&)>& on_ready) {
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) throw Error(ExitCode::Input, "cannot create the data directory " + config.data_dir.string() + ": " + ec.message());

  adapter::Store store(config.data_dir);
  auto token_key = crypto::load_or_create_key(config.data_dir / "token-signing-key.pem");
  adapter::ServiceConfig service_config = config.service;
  service_config.accept = acceptance_budget(config.max_upload);
  adapter::Service service(service_config, store, token_key.get(), wall_seconds);
  Admission admission(config.max_concurrent_deploys < 1 ? 1 : config.max_concurrent_deploys,
                      config.read_timeout_s * 1000LL + 5000);

  // One serving layer for both: the adapter's REST API and the router share
  // one event loop (serve/asio_loop.cpp); the adapter's requests run on a
  // few worker threads.
  std::string ca_note, cert_pem, key_pem;
  if (config.plain_http) {
    ca_note = "(plain HTTP)";
  } else {
    TlsFiles tls = tls_files(config);
    cert_pem = read_pem_checked(tls.cert, "certificate");
    key_pem = read_pem_checked(tls.key, "private key");
    ca_note = "(CA: " + fs::absolute(tls.cert).string() + ")";
  }
  // Uploads are buffered whole; with one malloc arena per worker thread,
  // freed upload buffers would stay reserved in each arena. Two arenas, and
  // a trim after each large request, keep the peak near one upload.
  mallopt(M_ARENA_MAX, 2);
  // Each connection is a file descriptor: the soft limit (often 1024) would
  // refuse connections long before --max-connections. Up to the hard limit.
  if (rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 65536);
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  auto runtime = serve::make_runtime();
  runtime->set_pool({config.upstream_idle_timeout_ms, config.upstream_max_idle});
  serve::Loop& loop = runtime->loop();
  LogBatch router_log(loop);
  std::unique_ptr<router::Engine> engine;
  std::mutex rebuild_mu;
  TableLoader tables;  // guarded by rebuild_mu once the workers run
  std::function<void()> on_change;
  // Declared last: joined first, while what its tasks use still exists.
  Workers workers(config.workers < 2 ? 2 : (config.workers > 8 ? 8 : config.workers));

  serve::ListenerConfig ac;
  ac.host = config.host;
  ac.port = config.port;
  ac.tls = !config.plain_http;
  ac.cert_pem = cert_pem;
  ac.key_pem = key_pem;
  ac.max_body = config.max_upload;
  ac.header_timeout_ms = config.read_timeout_s * 1000L;
  ac.body_timeout_ms = config.read_timeout_s * 1000L;
  ac.write_timeout_ms = config.write_timeout_s * 1000L;
  ac.max_connections = config.max_connections;
  ac.too_large.status = 413;
  ac.too_large.set("Content-Type", "application/json");
  ac.too_large.body = adapter::error_response(413, "the upload is larger than the gateway's --max-upload limit of " +
                                              std::to_string(config.max_upload) + " bytes").body;
  // Decided from the head, before an upload is read: where it goes, who
  // sends it (the same 401 the service gives), its size and whether a slot
  // is free. Only requests that pass have their body read.
  const std::size_t max_upload = config.max_upload;
  auto decide_from_head = [&service, &admission, max_upload](const serve::Request& h) -> std::optional<serve::Response> {
    std::string path = h.path();
    std::string_view base = adapter::kBasePath;
    if (path.rfind(std::string(base) + "/", 0) != 0) return to_serve(adapter::error_response(404, "no such resource: " + path));
    std::string sub = path.substr(base.size());
    std::string te = text::to_lower(h.header("Transfer-Encoding"));
    if (h.method != "GET" && te.find("chunked") != std::string::npos)
      return to_serve(adapter::error_response(411, "send the upload with a Content-Length (chunked uploads are not accepted)"));
    std::string cl = h.header("Content-Length");
    unsigned long long length = 0;
    if (!cl.empty() && text::is_all_digits(cl) && cl.size() < 19) length = std::stoull(cl);
    if (sub == "/oauth2/token" && length > (64u << 10))
      return to_serve(adapter::error_response(413, "a token request is at most 64 KiB"));
    if (sub != "/apis") return std::nullopt;
    if (h.method != "POST" && h.method != "GET" && h.method != "DELETE")
      return to_serve(adapter::error_response(405, "use GET, POST or DELETE for /apis"));
    if (auto denied = service.authorise(h.header("Authorization"))) return to_serve(*denied);
    if (h.method != "POST") return std::nullopt;
    if (length > max_upload)
      return to_serve(adapter::error_response(413, "the upload is larger than the gateway's --max-upload limit of " +
                                                       std::to_string(max_upload) + " bytes"));
    if (!admission.try_enter(steady_ms())) {
      auto res = to_serve(adapter::error_response(
          503, "the gateway is accepting " + std::to_string(admission.limit()) +
                   " deploys already (--max-concurrent-deploys): retry in a few seconds"));
      res.set("Retry-After", "2");
      return res;
    }
    return std::nullopt;
  };
  // An answer from the head gets its access-log line like any other.
  ac.on_head = [decide_from_head](const serve::Request& h) -> std::optional<serve::Response> {
    auto start = std::chrono::steady_clock::now();
    auto res = decide_from_head(h);
    if (res) {
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      char line[512];
      std::snprintf(line, sizeof line, "%s %s %d %zu %.1fms", h.method.c_str(), h.path().c_str(), res->status,
                    res->body.size(), ms);
      log_line(line);
    }
    return res;
  };
  auto adapter_handler = [&service, &loop, &workers, &on_change, &admission](serve::Request&& hreq, serve::Respond respond) {
    auto start = std::chrono::steady_clock::now();
    auto shared = std::make_shared<serve::Request>(std::move(hreq));
    workers.submit([&service, &loop, &on_change, &admission, shared, respond = std::move(respond), start] {
      const serve::Request& h = *shared;
      std::string path = h.path();
      adapter::Response res;
      adapter::Request req;
      bool deploy = h.method == "POST" && path == std::string(adapter::kBasePath) + "/apis";
      if (deploy) admission.begin();
      if (auto refused = adapter::decode_request(h, req)) {
        res = std::move(*refused);
      } else {
        try {
          res = service.handle(req);
        } catch (const std::exception& e) {
          // Never a worker's end (nor the process's): a JSON 500 without server paths.
          log_line(std::string("internal error: ") + e.what());
          res = adapter::error_response(500, "the gateway could not handle the request (internal error; see its log)");
        }
        if (res.status == 200 && (req.method == "POST" || req.method == "DELETE") && on_change) on_change();
      }
      std::size_t body_size = h.body.size();
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      char line[512];
      std::snprintf(line, sizeof line, "%s %s %d %zu %.1fms", h.method.c_str(), path.c_str(), res.status,
                    res.body.size(), ms);
      log_line(line);
      serve::Response out;
      out.status = res.status;
      if (!res.body.empty()) {
        out.set("Content-Type", "application/json");
        out.body = std::move(res.body);
      }
      if (body_size > (1u << 20) || deploy) {
        // The acceptance's allocations are freed by now: give the pages back
        // before the slot is (the next deploy may start at once).
        shared->body.clear();
        shared->body.shrink_to_fit();
        malloc_trim(0);
      }
      if (deploy) admission.end();
      loop.post([respond, out = std::move(out)]() mutable { respond(std::move(out)); });
    });
  };
  int port = runtime->listen(ac, adapter_handler);

  int router_port = 0;
  if (config.router) {
    router::EngineConfig ec;
    ec.health = config.health;
    ec.users.passwords = config.service.users;
    ec.key = token_key.get();
    ec.log = [&router_log](const std::string& line) { router_log.add(line); };
    ec.wall_clock = wall_seconds;
    engine = std::make_unique<router::Engine>(loop, ec);
    serve::ListenerConfig lc;
    lc.host = config.router_host;
    lc.port = config.router_port;
    lc.max_connections = config.router_max_connections;
    lc.tls = !config.plain_http;
    lc.cert_pem = cert_pem;
    lc.key_pem = key_pem;
    lc.stream_after = ec.retry_buffer;  // larger bodies stream through, with no size limit
    router::Engine* eng = engine.get();
    router_port = runtime->listen(lc, [eng](serve::Request&& r, serve::Respond respond) {
      eng->handle(std::move(r), std::move(respond));
    });
    engine->set_table(tables.load(store));
    on_change = [&store, &rebuild_mu, &tables, &loop, eng] {
      std::lock_guard lock(rebuild_mu);
      auto table = tables.load(store);
      loop.post([eng, table] { eng->set_table(table); });
    };
  }

  serve::Runtime* rt = runtime.get();
  std::atomic<bool> done{false};
  std::thread waiter([&done, sigs, rt] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (!done) rt->stop(1000);
  });
  std::string scheme = config.plain_http ? "http" : "https";
  auto bracket = [](const std::string& h) { return h.find(':') != std::string::npos ? "[" + h + "]" : h; };
  std::string router_note;
  if (config.router)
    router_note = "and " + scheme + "://" + bracket(config.router_host) + ":" + std::to_string(router_port) + " (router) ";
  on_ready("portico gateway listening on " + scheme + "://" + bracket(config.host) + ":" + std::to_string(port) +
           std::string(adapter::kBasePath) + " (adapter) " + router_note + ca_note);
  runtime->run();
  router_log.flush();
  done = true;
  // Wake the waiter if the loop ended for another reason.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  // A deploy still being accepted (a large definition takes seconds) does
  // not hold the stop: it is abandoned before its write, or its write ends
  // first (freeze), so the data directory has it whole or not at all.
  if (!workers.finish_within(500)) {
    store.freeze();
    log_line("stopped with a request still in flight: a deploy among them is in the data directory whole or not at all");
    std::fflush(nullptr);
    std::_Exit(0);
  }
}

}  // namespace portico::netmod

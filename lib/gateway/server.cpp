#include "gateway/server.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <malloc.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <optional>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include "crypto/keys.hpp"
#include "gateway/request.hpp"
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

long long wall_seconds() {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The router's table from every deployment in the store.
std::shared_ptr<const router::Table> load_table(const Store& store) {
  std::vector<router::LoadedApi> apis;
  for (auto& [d, bytes] : store.snapshot()) {
    std::vector<std::string> vhosts;
    for (const auto& t : d.targets)
      if (std::find(vhosts.begin(), vhosts.end(), t.vhost) == vhosts.end()) vhosts.push_back(t.vhost);
    try {
      apis.push_back(router::load_api(d.name, d.version, d.basepath, vhosts, bytes));
    } catch (const std::exception& e) {
      log_line(std::string("router: cannot serve ") + d.name + " " + d.version + ": " + e.what());
    }
  }
  return router::build_table(apis);
}


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
      }
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

}  // namespace portico::gateway

namespace portico::netmod {
using namespace portico::gateway;

void run_server_impl(const ServerConfig& config, const std::function<void(const std::string&)>& on_ready) {
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) throw Error(ExitCode::Input, "cannot create the data directory " + config.data_dir.string() + ": " + ec.message());

  Store store(config.data_dir);
  auto token_key = crypto::load_or_create_key(config.data_dir / "token-signing-key.pem");
  Service service(config.service, store, token_key.get(), wall_seconds);

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

  // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  auto runtime = serve::make_runtime();
  serve::Loop& loop = runtime->loop();
  std::unique_ptr<router::Engine> engine;
  std::mutex rebuild_mu;
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
  ac.max_connections = 1000;
  ac.too_large.status = 413;
  ac.too_large.set("Content-Type", "application/json");
  ac.too_large.body = error_response(413, "the upload is larger than the gateway's --max-upload limit of " +
                                              std::to_string(config.max_upload) + " bytes").body;
  auto adapter_handler = [&service, &loop, &workers, &on_change](serve::Request&& hreq, serve::Respond respond) {
    auto start = std::chrono::steady_clock::now();
    auto shared = std::make_shared<serve::Request>(std::move(hreq));
    workers.submit([&service, &loop, &on_change, shared, respond = std::move(respond), start] {
      const serve::Request& h = *shared;
      std::string path = h.path();
      Response res;
      Request req;
      if (auto refused = decode_request(h, req)) {
        res = std::move(*refused);
      } else {
        res = service.handle(req);
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
      loop.post([respond, out = std::move(out)]() mutable { respond(std::move(out)); });
      if (body_size > (1u << 20)) {
        shared->body.clear();
        shared->body.shrink_to_fit();
        malloc_trim(0);
      }
    });
  };
  int port = runtime->listen(ac, adapter_handler);

  int router_port = 0;
  if (config.router) {
    router::EngineConfig ec;
    ec.health = config.health;
    ec.users.passwords = config.service.users;
    ec.key = token_key.get();
    ec.log = log_line;
    ec.wall_clock = wall_seconds;
    engine = std::make_unique<router::Engine>(loop, ec);
    serve::ListenerConfig lc;
    lc.host = config.router_host;
    lc.port = config.router_port;
    lc.max_connections = config.router_max_connections;
    lc.tls = !config.plain_http;
    lc.cert_pem = cert_pem;
    lc.key_pem = key_pem;
    router::Engine* eng = engine.get();
    router_port = runtime->listen(lc, [eng](serve::Request&& r, serve::Respond respond) {
      eng->handle(std::move(r), std::move(respond));
    });
    engine->set_table(load_table(store));
    on_change = [&store, &rebuild_mu, &loop, eng] {
      std::lock_guard lock(rebuild_mu);
      auto table = load_table(store);
      loop.post([eng, table] { eng->set_table(table); });
    };
  }

  serve::Runtime* rt = runtime.get();
  std::atomic<bool> done{false};
  std::thread waiter([&done, sigs, rt] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (!done) rt->stop();
  });
  std::string scheme = config.plain_http ? "http" : "https";
  auto bracket = [](const std::string& h) { return h.find(':') != std::string::npos ? "[" + h + "]" : h; };
  std::string router_note;
  if (config.router)
    router_note = "and " + scheme + "://" + bracket(config.router_host) + ":" + std::to_string(router_port) + " (router) ";
  on_ready("portico gateway listening on " + scheme + "://" + bracket(config.host) + ":" + std::to_string(port) +
           std::string(kBasePath) + " (adapter) " + router_note + ca_note);
  runtime->run();
  done = true;
  // Wake the waiter if the loop ended for another reason.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
}

}  // namespace portico::netmod

#include "gateway/server.hpp"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <malloc.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include "crypto/keys.hpp"
#include "gateway/router/engine.hpp"
#include "serve/http.hpp"
#include "net/module.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

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

thread_local std::chrono::steady_clock::time_point request_start;

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
  Service service(config.service, store, token_key.get(), [] {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  });

  std::unique_ptr<httplib::Server> server;
  std::string ca_note;
  if (config.plain_http) {
    server = std::make_unique<httplib::Server>();
    ca_note = "(plain HTTP)";
  } else {
    TlsFiles tls = tls_files(config);
    std::string cert_pem = read_pem_checked(tls.cert, "certificate");
    std::string key_pem = read_pem_checked(tls.key, "private key");
    auto setup = [cert_pem, key_pem](SSL_CTX& ctx) {
      SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
      SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
      std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), BIO_free);
      std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr), X509_free);
      auto key = crypto::load_private_key_pem(key_pem);
      return cert && SSL_CTX_use_certificate(&ctx, cert.get()) == 1 &&
             SSL_CTX_use_PrivateKey(&ctx, key.get()) == 1 && SSL_CTX_check_private_key(&ctx) == 1;
    };
    server = std::make_unique<httplib::SSLServer>(setup);
    if (!server->is_valid())
      throw Error(ExitCode::Input, "cannot use the TLS certificate " + tls.cert.string() + " with key " +
                                       tls.key.string() + ": they are not a matching PEM certificate and key");
    ca_note = "(CA: " + fs::absolute(tls.cert).string() + ")";
  }

  httplib::Server& svr = *server;
  // Uploads are buffered whole by httplib; with one malloc arena per worker
  // thread, freed upload buffers would stay reserved in each arena. Two
  // arenas, and a trim after each large request, keep the peak near one upload.
  mallopt(M_ARENA_MAX, 2);
  std::size_t workers = config.workers;
  svr.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  svr.set_payload_max_length(config.max_upload);
  svr.set_read_timeout(config.read_timeout_s, 0);
  svr.set_write_timeout(config.write_timeout_s, 0);
  svr.set_keep_alive_timeout(5);
  svr.set_keep_alive_max_count(100);
  // httplib writes headers and body separately: without this, each response
  // waits ~40 ms for the client's delayed ACK.
  svr.set_tcp_nodelay(true);

  svr.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    request_start = std::chrono::steady_clock::now();
    // httplib bounds a body by --max-upload only when it has a Content-Length:
    // a chunked upload could grow without limit, so it is refused before it is read.
    if (req.method != "GET" && req.has_header("Transfer-Encoding") &&
        req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos) {
      res.status = 411;
      res.set_content(error_response(411, "send the upload with a Content-Length (chunked uploads are not accepted)").body,
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  std::function<void()> on_change;
  auto handle = [&service, &on_change](const httplib::Request& hreq, httplib::Response& hres) {
    Request req;
    req.method = hreq.method;
    req.path = hreq.path.substr(kBasePath.size());
    for (const auto& [k, v] : hreq.params) req.params.emplace(k, v);
    req.authorization = hreq.get_header_value("Authorization");
    req.multipart = hreq.is_multipart_form_data();
    if (req.multipart) {
      req.has_file = hreq.files.count("file") > 0;
      // A view, not a copy: the upload may be tens of megabytes.
      auto it = hreq.files.find("file");
      if (req.has_file && it != hreq.files.end()) req.file = it->second.content;
    } else {
      req.body = hreq.body;
    }
    Response res = service.handle(req);
    if (res.status == 200 && (req.method == "POST" || req.method == "DELETE") && on_change) on_change();
    hres.status = res.status;
    if (!res.body.empty()) hres.set_content(res.body, "application/json");
  };
  std::string pattern = std::string(kBasePath) + "/.*";
  svr.Get(pattern, handle);
  svr.Post(pattern, handle);
  svr.Delete(pattern, handle);
  svr.Put(pattern, handle);
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg = res.status == 413 ? "the upload is larger than the gateway's --max-upload limit"
                      : res.status == 404 ? "no such resource: " + req.path
                                          : "request failed";
    res.set_content(error_response(res.status, msg).body, "application/json");
  });
  svr.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    if (req.body.size() > (1u << 20)) malloc_trim(0);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request_start).count();
    char line[512];
    std::snprintf(line, sizeof line, "%s %s %d %zu %.1fms\n", req.method.c_str(), req.path.c_str(), res.status,
                  res.body.size(), ms);
    std::cerr << line << std::flush;
  });

  // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  int port = config.port;
  if (port == 0) {
    port = svr.bind_to_any_port(config.host);
    if (port <= 0) throw Error(ExitCode::Network, "cannot listen on " + config.host + ": no free port");
  } else if (!svr.bind_to_port(config.host, port)) {
    throw Error(ExitCode::Network, "cannot listen on " + config.host + ":" + std::to_string(port) +
                                       ": the address is in use or not available",
                "pick another port with --listen HOST:PORT (port 0 picks a free one)");
  }
  // The router: its own event loop on one thread, same certificate.
  std::unique_ptr<serve::Runtime> runtime;
  std::unique_ptr<router::Engine> engine;
  std::mutex rebuild_mu;
  int router_port = 0;
  if (config.router) {
    runtime = serve::make_runtime();
    router::EngineConfig ec;
    ec.health = config.health;
    ec.users.passwords = config.service.users;
    ec.key = token_key.get();
    ec.log = log_line;
    ec.wall_clock = wall_seconds;
    engine = std::make_unique<router::Engine>(runtime->loop(), ec);
    serve::ListenerConfig lc;
    lc.host = config.router_host;
    lc.port = config.router_port;
    lc.max_connections = config.router_max_connections;
    if (!config.plain_http) {
      TlsFiles tls = tls_files(config);
      lc.tls = true;
      lc.cert_pem = read_pem_checked(tls.cert, "certificate");
      lc.key_pem = read_pem_checked(tls.key, "private key");
    }
    router::Engine* eng = engine.get();
    router_port = runtime->listen(lc, [eng](serve::Request&& r, serve::Respond respond) {
      eng->handle(std::move(r), std::move(respond));
    });
    engine->set_table(load_table(store));
    serve::Runtime* rt = runtime.get();
    on_change = [&store, &rebuild_mu, rt, eng] {
      std::lock_guard lock(rebuild_mu);
      auto table = load_table(store);
      rt->loop().post([eng, table] { eng->set_table(table); });
    };
  }
  std::thread router_thread;
  if (runtime) router_thread = std::thread([&runtime] { runtime->run(); });

  // httplib's stop() does nothing until its listen loop has started, so a
  // signal that arrives just after the start line is retried until the loop ends.
  std::atomic<bool> done{false};
  serve::Runtime* rt_ptr = runtime.get();
  std::thread waiter([&svr, &done, sigs, rt_ptr] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (rt_ptr) rt_ptr->stop();
    while (!done) {
      svr.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::string scheme = config.plain_http ? "http" : "https";
  std::string host = config.host.find(':') != std::string::npos ? "[" + config.host + "]" : config.host;
  std::string router_note;
  if (runtime) {
    std::string rhost = config.router_host.find(':') != std::string::npos ? "[" + config.router_host + "]" : config.router_host;
    router_note = "and " + scheme + "://" + rhost + ":" + std::to_string(router_port) + " (router) ";
  }
  on_ready("portico gateway listening on " + scheme + "://" + host + ":" + std::to_string(port) +
           std::string(kBasePath) + " (adapter) " + router_note + ca_note);
  bool ok = svr.listen_after_bind();
  if (!ok && svr.is_running()) svr.stop();
  done = true;
  // Wake the waiter if the server ended for another reason.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (runtime) {
    runtime->stop();
    router_thread.join();
  }
}

}  // namespace portico::netmod

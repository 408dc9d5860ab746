// The router of `portico gateway` end to end: a real gateway process, real
// loopback backends started and stopped by the tests, health timing
// shortened by flags. Every wait is bounded.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "archive/zip_writer.hpp"
#include "backends.hpp"
#include "crypto/keys.hpp"
#include "gateway_process.hpp"
#include "router_gateway.hpp"
#include "http.hpp"
#include "process.hpp"
#include "util/file.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("router e2e: primary killed -> 503 102503 until the checks notice -> backup -> primary back") {
  auto primary = std::make_unique<EchoBackend>("primary");
  int primary_port = primary->port();
  EchoBackend backup("backup");
  RouterGateway g;
  g.deploy(g.zip("Inventory", "2.1.0",
                 definition("Inventory", "2.1.0", failover_root({primary->url("/api"), backup.url("/api")}), kGetItems)));
  g.wait_checked("Inventory 2.1.0 production");
  auto tok = g.token();
  auto r = g.call("GET", "/Inventory/2.1.0/items?q=1", tok);
  CHECK(r.body == "primary GET /api/items?q=1 auth=");

  primary.reset();  // killed
  auto failed = g.call("GET", "/Inventory/2.1.0/items", tok);
  CHECK(failed.status == 503);
  CHECK(code_of(failed) == "102503");
  CHECK(json::parse(failed.body)["message"] == "Upstream connection failed");
  auto b = g.until("/Inventory/2.1.0/items", tok, [](auto& x) { return from(x, "backup"); });
  CHECK(from(b, "backup"));
  CHECK(g.proc->process().wait_for_stderr("unhealthy after 2 failed checks", 2s));
  CHECK(g.logged("traffic now to priority 1 " + backup.url("/api")));
  CHECK(g.logged("router: GET /Inventory/2.1.0/items 503 UF "));

  EchoBackend again("primary", 200, primary_port);  // restarted
  auto back = g.until("/Inventory/2.1.0/items", tok, [](auto& x) { return from(x, "primary"); });
  CHECK(from(back, "primary"));
  CHECK(g.logged("healthy after 2 passed checks; traffic now to priority 0"));
  auto view = g.clusters();
  CHECK(view["clusters"][0]["serving"] == again.url("/api"));
}

TEST_CASE("router e2e: a load-balanced list losing a member sends everything to the rest") {
  auto a = std::make_unique<EchoBackend>("a");
  EchoBackend b("b");
  RouterGateway g;
  g.deploy(g.zip("Lb", "1.0", definition("Lb", "1.0", failover_root({a->url(), b.url()}, "loadbalance"), kGetItems)));
  g.wait_checked("Lb 1.0 production");
  auto tok = g.token();
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.insert(g.call("GET", "/Lb/1.0/items", tok).body.substr(0, 1));
  CHECK(seen == std::set<std::string>{"a", "b"});
  a.reset();
  g.until("/Lb/1.0/items", tok, [&](auto&) {
    return g.clusters()["clusters"][0]["hosts"][0]["health"] == "unhealthy";
  });
  for (int i = 0; i < 4; ++i) CHECK(from(g.call("GET", "/Lb/1.0/items", tok), "b"));
}

TEST_CASE("router e2e: resource-level list vs API-level list, a dropped list falling back, sandbox tokens") {
  EchoBackend api("api"), res("resource"), sandbox("sandbox"), mixed1("m1"), mixed2("m2");
  RouterGateway g;
  std::string root = "x-wso2-production-endpoints:\n  urls: [" + api.url("/v1") + "]\n"
                     "x-wso2-sandbox-endpoints:\n  urls: [" + sandbox.url("/sb") + "]\n";
  std::string paths = kGetItems +
                      "  /orders:\n    x-wso2-production-endpoints:\n      urls: [" + res.url("/orders-svc") + "]\n"
                      "    get: {responses: {'200': {description: OK}}}\n"
                      "  /mixed:\n    x-wso2-production-endpoints:\n      urls: [" + mixed1.url("/a") + ", " +
                      mixed2.url("/b") + "]\n    get: {responses: {'200': {description: OK}}}\n";
  g.deploy(g.zip("Shop", "1.0", definition("Shop", "1.0", root, paths)));
  auto tok = g.token();
  CHECK(g.call("GET", "/Shop/1.0/items", tok).body == "api GET /v1/items auth=");
  CHECK(g.call("GET", "/Shop/1.0/orders", tok).body == "resource GET /orders-svc/orders auth=");
  // Dropped (mixed paths): the API-level list serves it, with the base path the
  // model gives that route (in non-strict mode, none: the resource path alone).
  CHECK(g.call("GET", "/Shop/1.0/mixed", tok).body == "api GET /mixed auth=");
  CHECK(mixed1.requests() + mixed2.requests() == 0);
  auto sb = g.token("SANDBOX");
  CHECK(g.call("GET", "/Shop/1.0/items", sb).body == "sandbox GET /sb/items auth=");
}

TEST_CASE("router e2e: retries are counted at the backend, timeout 504, backend Basic auth") {
  EchoBackend failing("failing", 503), slow("slow");
  slow.set_delay(3s);
  RouterGateway g;
  std::string root = failover_root({failing.url()}, "failover",
                                   "  advanceEndpointConfig:\n    retryConfig: {count: 2, statusCodes: [503]}\n"
                                   "  securityConfig: {type: BASIC, username: svc, password: pw}\n");
  g.deploy(g.zip("Retry", "1.0", definition("Retry", "1.0", root, kGetItems)));
  auto tok = g.token();
  auto r = g.call("GET", "/Retry/1.0/items", tok);
  CHECK(r.status == 503);
  CHECK(failing.requests() == 3);
  CHECK(r.body.find("auth=Basic c3ZjOnB3") != std::string::npos);  // svc:pw

  std::string troot = failover_root({slow.url()}, "failover", "  advanceEndpointConfig:\n    timeoutInMillis: 300\n");
  g.deploy(g.zip("Slow", "1.0", definition("Slow", "1.0", troot, kGetItems)));
  auto t = g.call("GET", "/Slow/1.0/items", tok);
  CHECK(t.status == 504);
  CHECK(code_of(t) == "102504");
  CHECK(json::parse(t.body)["message"] == "Upstream connection timeout");
}

TEST_CASE("router e2e: circuit breaker overflow under concurrent calls is 503 102505 at once") {
  EchoBackend slow("slow");
  slow.set_delay(800ms);
  RouterGateway g;
  std::string root = failover_root({slow.url()}, "failover",
                                   "  advanceEndpointConfig:\n    circuitBreakers: {maxRequests: 2}\n");
  g.deploy(g.zip("Cb", "1.0", definition("Cb", "1.0", root, kGetItems)));
  auto tok = g.token();
  std::vector<HttpResponse> out(5);
  std::vector<std::thread> ts;
  for (int i = 0; i < 5; ++i) ts.emplace_back([&, i] { out[i] = g.call("GET", "/Cb/1.0/items", tok); });
  for (auto& t : ts) t.join();
  int ok = 0, overflow = 0;
  for (const auto& r : out) {
    if (r.status == 200) ++ok;
    if (r.status == 503 && code_of(r) == "102505") ++overflow;
  }
  CHECK(ok == 2);
  CHECK(overflow == 3);
  CHECK(slow.requests() == 2);
}

TEST_CASE("router e2e: maxConnections makes requests wait for a connection, maxPendingRequests bounds them: 503 102505") {
  EchoBackend slow("slow");
  slow.set_delay(700ms);
  slow.set_keep_alive(true);
  RouterGateway g;
  std::string root = failover_root({slow.url()}, "failover",
                                   "  advanceEndpointConfig:\n    circuitBreakers: {maxConnections: 1, maxPendingRequests: 1}\n");
  g.deploy(g.zip("Pend", "1.0", definition("Pend", "1.0", root, kGetItems)));
  auto tok = g.token();
  std::vector<HttpResponse> out(4);
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) ts.emplace_back([&, i] { out[i] = g.call("GET", "/Pend/1.0/items", tok); });
  for (auto& t : ts) t.join();
  int ok = 0, overflow = 0;
  for (const auto& r : out) {
    if (r.status == 200) ++ok;
    if (r.status == 503 && code_of(r) == "102505") ++overflow;
  }
  CHECK(ok == 2);        // one on the connection, one waiting for it
  CHECK(overflow == 2);  // the queue (1) was full
  CHECK(slow.requests() == 2);
  CHECK(slow.connections() == 1);  // the waiting request took the same connection
}

TEST_CASE("router e2e: upstream connections are kept alive, a stale one is retried on a new connection, never 503") {
  EchoBackend ka("ka");
  ka.set_keep_alive(true);
  EchoBackend stale("stale");
  stale.set_keep_alive(true, true);  // closes a connection at its second request, unanswered
  RouterGateway g;
  g.deploy(g.zip("Ka", "1.0", definition("Ka", "1.0", failover_root({ka.url()}), kGetItems)));
  g.deploy(g.zip("Stale", "1.0", definition("Stale", "1.0", failover_root({stale.url()}), kGetItems)));
  auto tok = g.token();
  for (int i = 0; i < 5; ++i) CHECK(from(g.call("GET", "/Ka/1.0/items", tok), "ka"));
  CHECK(ka.requests() == 5);
  CHECK(ka.connections() == 1);
  json view = g.clusters();
  CHECK(view["clusters"][0]["open_connections"] == 1);  // idle in the pool
  for (int i = 0; i < 3; ++i) {
    auto r = g.call("GET", "/Stale/1.0/items", tok);
    CHECK_MESSAGE(from(r, "stale"), r.status << " " << r.body);
  }
  CHECK(stale.requests() == 3);
  CHECK(stale.connections() == 3);  // the second and third went again on a new connection
  CHECK(g.log().find("503 UR") == std::string::npos);
}

TEST_CASE("router e2e: --upstream-max-idle bounds the idle backend connections, --upstream-idle-timeout closes them") {
  EchoBackend slow("slow");
  slow.set_keep_alive(true);
  SUBCASE("at most 2 of 5 stay idle, and they close once idle for 2 s") {
    slow.set_delay(300ms);  // the five calls overlap: five connections
    RouterGateway g(fast({"--upstream-idle-timeout", "2000", "--upstream-max-idle", "2"}));
    g.deploy(g.zip("Idle", "1.0", definition("Idle", "1.0", failover_root({slow.url()}), kGetItems)));
    auto tok = g.token();
    std::vector<std::thread> calls;
    std::atomic<int> ok{0};
    for (int i = 0; i < 5; ++i)
      calls.emplace_back([&] { ok += from(g.call("GET", "/Idle/1.0/items", tok), "slow") ? 1 : 0; });
    for (auto& t : calls) t.join();
    CHECK(ok == 5);
    CHECK(slow.connections() == 5);
    CHECK(g.clusters()["clusters"][0]["open_connections"] == 2);  // three closed at once
    auto end = std::chrono::steady_clock::now() + 6s;
    while (g.clusters()["clusters"][0]["open_connections"] != 0 && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(50ms);
    CHECK(g.clusters()["clusters"][0]["open_connections"] == 0);
    CHECK(from(g.call("GET", "/Idle/1.0/items", tok), "slow"));  // a new connection
    CHECK(slow.connections() == 6);
  }
  SUBCASE("0 keeps none: every call opens a connection") {
    RouterGateway g(fast({"--upstream-max-idle", "0"}));
    g.deploy(g.zip("Idle", "1.0", definition("Idle", "1.0", failover_root({slow.url()}), kGetItems)));
    auto tok = g.token();
    for (int i = 0; i < 3; ++i) CHECK(from(g.call("GET", "/Idle/1.0/items", tok), "slow"));
    CHECK(slow.connections() == 3);
    CHECK(g.clusters()["clusters"][0]["open_connections"] == 0);
  }
}

TEST_CASE("router e2e: the adapter's environment variables give the API-level list's Basic credentials") {
  EchoBackend b("b"), r("r");
  // api_<hex SHA-1 of "Env:1.0">_prod_basic_{username,password} (printf 'Env:1.0' | sha1sum), Go-quoted or not.
  RouterGateway g(fast(), {{"api_3bf64c0f9adba267fe5052a198a65d00175459bf_prod_basic_username", "envuser"},
                           {"api_3bf64c0f9adba267fe5052a198a65d00175459bf_prod_basic_password", "\"envpass\""}});
  std::string root = failover_root({b.url()}, "failover", "  securityConfig: {type: BASIC}\n");
  std::string paths = kGetItems +
                      "  /own:\n    x-wso2-production-endpoints:\n      urls: [" + r.url() +
                      "]\n      securityConfig: {type: BASIC, username: own, password: pw}\n"
                      "    get: {responses: {'200': {description: OK}}}\n";
  g.deploy(g.zip("Env", "1.0", definition("Env", "1.0", root, paths)));
  auto tok = g.token();
  CHECK(g.call("GET", "/Env/1.0/items", tok).body == "b GET /items auth=Basic ZW52dXNlcjplbnZwYXNz");  // envuser:envpass
  CHECK(g.call("GET", "/Env/1.0/own", tok).body == "r GET /own auth=Basic b3duOnB3");  // own:pw, a resource-level list
}

TEST_CASE("router e2e: 401 and 404 bodies, /health, undeclared method, unknown host") {
  EchoBackend b("b");
  RouterGateway g;
  g.deploy(g.zip("Pets", "1.0", definition("Pets", "1.0", failover_root({b.url()}), kGetItems)));
  auto no = g.call("GET", "/Pets/1.0/items");
  CHECK(no.status == 401);
  CHECK(json::parse(no.body) == json{{"code", "900901"},
                                     {"error_message", "Invalid Credentials"},
                                     {"error_description", "Make sure you have provided the correct security credentials"}});
  CHECK(no.header("www-authenticate") == R"(Bearer realm="Choreo Connect", error="invalid_token")");
  auto tok = g.token();
  auto nr = g.call("POST", "/Pets/1.0/items", tok);
  CHECK(nr.status == 404);
  CHECK(json::parse(nr.body) == json{{"code", "404"}, {"message", "Not Found"}, {"description", "The requested resource is not available."}});
  CHECK(g.call("GET", "/Pets/1.0/items", tok, {"Host: other.example.com"}).status == 404);
  auto h = g.call("GET", "/health");
  CHECK(h.status == 200);
  CHECK(json::parse(h.body) == json{{"status", "healthy"}});
  CHECK(g.logged("router: POST /Pets/1.0/items 404 NR"));
}

TEST_CASE("router e2e: undeploy during traffic: requests in flight finish, later ones get 404") {
  EchoBackend b("b");
  b.set_delay(20ms);
  RouterGateway g;
  g.deploy(g.zip("Busy", "1.0", definition("Busy", "1.0", failover_root({b.url()}), kGetItems)));
  auto tok = g.token();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, not_found{0}, other{0};
  std::thread client([&] {
    for (int i = 0; i < 500 && !stop; ++i) {
      auto r = g.call("GET", "/Busy/1.0/items", tok);
      if (r.status == 200) ++ok;
      else if (r.status == 404) ++not_found;
      else ++other;
    }
  });
  auto end = std::chrono::steady_clock::now() + 5s;
  while (ok < 3 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(10ms);
  g.undeploy("Busy", "1.0");
  CHECK(g.call("GET", "/Busy/1.0/items", tok).status == 404);
  stop = true;
  client.join();
  CHECK(ok >= 3);
  CHECK(other == 0);
}

TEST_CASE("router e2e: https router with the adapter's certificate, upstream TLS verified with Endpoint-certificates") {
  auto key = crypto::generate_rsa(2048);
  std::string cert = crypto::self_signed_certificate_pem(key.get(), {"127.0.0.1"}, 30);
  Backend trusted(Backend::Kind::Tls200, cert, key.get());
  Backend untrusted(Backend::Kind::Tls200, cert, key.get());
  RouterGateway g({"--health-interval", "150", "--no-traffic-interval", "150"});
  CHECK(g.proc->router_url().rfind("https://127.0.0.1:", 0) == 0);
  std::string certs = "type: endpoint_certificates\nversion: v4.0.0\ndata:\n  - alias: b\n    endpoint: " +
                      trusted.url("https") + "\n    certificate: backend.crt\n";
  g.deploy(g.zip("Tls", "1.0", definition("Tls", "1.0", failover_root({trusted.url("https")}), kGetItems),
                 {{"Endpoint-certificates/endpoint_certificates.yaml", certs}, {"Endpoint-certificates/backend.crt", cert}}));
  g.deploy(g.zip("Untrusted", "1.0", definition("Untrusted", "1.0", failover_root({untrusted.url("https")}), kGetItems)));
  auto tok = g.token();
  auto ok = g.call("GET", "/Tls/1.0/items", tok);
  CHECK(ok.status == 200);
  CHECK(ok.body == "ok");
  auto bad = g.call("GET", "/Untrusted/1.0/items", tok);
  CHECK(bad.status == 503);
  CHECK(code_of(bad) == "102503");
  CHECK(untrusted.requests() == 0);
}

TEST_CASE("router e2e: a busy router port is exit 3 (address already in use), --no-router serves no router") {
  RouterGateway first;
  std::string port = first.proc->router_url().substr(first.proc->router_url().rfind(':') + 1);
  TempDir t;
  auto r = run({portico_binary(), "gateway", "--plain-http", "--listen", "127.0.0.1:0", "--router-listen",
                "127.0.0.1:" + port, "--data-dir", t.path + "/d"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("address already in use") != std::string::npos);
  TempGateway none({"--plain-http", "--no-router"});
  CHECK(none.proc->router_url().empty());
  CHECK(none.proc->listening_line().find("router") == std::string::npos);
}

TEST_CASE("router e2e: a thousand idle connections do not stop other clients, SIGTERM ends it promptly") {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
    rl.rlim_cur = 4096;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  REQUIRE_MESSAGE(rl.rlim_cur >= 2200, "needs 2,200 file descriptors");
  RouterGateway g;  // started after the limit is raised: it inherits it
  int port = std::atoi(g.proc->router_url().substr(g.proc->router_url().rfind(':') + 1).c_str());
  std::vector<int> idle;
  for (int i = 0; i < 1000; ++i) {
    int fd = connect_loopback_nonblocking(port);
    if (fd >= 0) idle.push_back(fd);
    if (i % 2 == 0 && fd >= 0) send_all(fd, "GET /health HTTP/1.1\r\nHo");  // half of them drip a partial head
  }
  CHECK(idle.size() == 1000);
  HttpRequest r;
  r.url = g.proc->router_url() + "/health";
  r.headers.push_back("Host: localhost");
  r.timeout_ms = 1000;  // answered within 1 s, or curl gives up
  auto h = http_request(r);
  CHECK(h.status == 200);
  int status = g.proc->stop(SIGTERM);
  CHECK(status == 0);
  CHECK_FALSE(g.proc->process().had_to_kill());
  for (int fd : idle) ::close(fd);
  g.proc.reset();
}

TEST_CASE("router e2e: a black-holed primary fails its checks (timeout) and the backup serves") {
  BlackHole hole;
  REQUIRE(hole.ok());
  EchoBackend backup("backup");
  RouterGateway g;
  g.deploy(g.zip("Hole", "1.0", definition("Hole", "1.0", failover_root({hole.url() + "/api", backup.url("/api")}), kGetItems)));
  g.wait_checked("Hole 1.0 production");
  auto tok = g.token();
  CHECK(g.call("GET", "/Hole/1.0/items", tok).body == "backup GET /api/items auth=");
  json view = g.clusters();
  CHECK(view["clusters"][0]["hosts"][0]["health"] == "unhealthy");
  CHECK(view["clusters"][0]["hosts"][0]["last_check"] == "timeout");
  CHECK(view["clusters"][0]["serving"] == backup.url("/api"));
}

TEST_CASE("router e2e: a backend that closes without answering is 503 102509, a dropped named list is 500 102507") {
  Backend closer(Backend::Kind::Close);
  EchoBackend b1("b1"), b2("b2");
  RouterGateway g;
  std::string root = failover_root({closer.url()}) + "x-wso2-endpoints:\n  - broken:\n      type: failover\n      urls: [" +
                     b1.url("/x") + ", " + b2.url("/y") + "]\n";
  std::string paths = kGetItems +
                      "  /named:\n    x-wso2-production-endpoints: \"#/x-wso2-endpoints/broken\"\n"
                      "    get: {responses: {'200': {description: OK}}}\n";
  g.deploy(g.zip("Odd", "1.0", definition("Odd", "1.0", root, paths)));
  auto tok = g.token();
  auto reset = g.call("GET", "/Odd/1.0/items", tok);
  CHECK(reset.status == 503);
  CHECK(code_of(reset) == "102509");
  CHECK(json::parse(reset.body)["message"] == "Upstream connection reset by the remote");
  auto nc = g.call("GET", "/Odd/1.0/named", tok);
  CHECK(nc.status == 500);
  CHECK(code_of(nc) == "102507");
  CHECK(json::parse(nc.body)["message"] == "Upstream not configured for the resource");
  CHECK(b1.requests() + b2.requests() == 0);
  CHECK(g.logged("router: GET /Odd/1.0/named 500 NC"));
  CHECK(g.logged("router: GET /Odd/1.0/items 503 UR"));
}

namespace {

// A backend for one request: it sends `first` (a head, perhaps with the start
// of a body), then waits until the test calls release() (at most 5 s) before
// it sends `rest` and closes.
class HeldBackend {
 public:
  HeldBackend(std::string first, std::string rest) {
    lfd_ = listen_loopback(port_);
    thread_ = std::thread([this, first = std::move(first), rest = std::move(rest)] {
      pollfd p{lfd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) return;
      int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      char buf[4096];
      (void)::recv(fd, buf, sizeof buf, 0);
      send_all(fd, first);
      for (int i = 0; i < 500 && !released_; ++i) std::this_thread::sleep_for(10ms);
      send_all(fd, rest);
      ::close(fd);
    });
  }
  ~HeldBackend() {
    release();
    thread_.join();
    ::close(lfd_);
  }
  void release() { released_ = true; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int lfd_ = -1, port_ = 0;
  std::atomic<bool> released_{false};
  std::thread thread_;
};

// Reads from fd into `got` until it holds `needle` (at most 5 s).
bool read_until(int fd, std::string& got, const std::string& needle) {
  auto end = std::chrono::steady_clock::now() + 5s;
  while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got.find(needle) != std::string::npos;
}

// A blocking client connection to the router.
int connect_router(RouterGateway& g) {
  int port = std::atoi(g.proc->router_url().substr(g.proc->router_url().rfind(':') + 1).c_str());
  int fd = connect_loopback_nonblocking(port);
  REQUIRE(fd >= 0);
  pollfd w{fd, POLLOUT, 0};
  REQUIRE(::poll(&w, 1, 2000) == 1);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

TEST_CASE("router e2e: a response body is streamed: its first part reaches the client before the backend ends it") {
  // The backend sends its head and a first part, then waits for the test
  // (which must see that part through the router) before it sends the rest.
  HeldBackend backend("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "b\r\nfirst-part;\r\n",
                      "a\r\nsecond-end\r\n0\r\n\r\n");
  RouterGateway g;
  g.deploy(g.zip("Stream", "1.0", definition("Stream", "1.0", failover_root({backend.url()}), kGetItems)));
  auto tok = g.token();
  int fd = connect_router(g);
  REQUIRE(send_all(fd, "GET /Stream/1.0/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok + "\r\n\r\n"));
  std::string got;
  CHECK(read_until(fd, got, "first-part;"));
  CHECK(got.find("second-end") == std::string::npos);  // the backend has not sent it yet
  backend.release();
  CHECK(read_until(fd, got, "second-end"));
  CHECK(got.rfind("HTTP/1.1 200", 0) == 0);
  ::close(fd);
}

TEST_CASE("router e2e: an override takes effect at once, a restarted gateway serves what it had deployed") {
  EchoBackend a("a"), b("b");
  RouterGateway g;
  g.deploy(g.zip("Swap", "1.0", definition("Swap", "1.0", failover_root({a.url("/v1")}), kGetItems)));
  auto tok = g.token();
  CHECK(g.call("GET", "/Swap/1.0/items", tok).body == "a GET /v1/items auth=");
  g.deploy(g.zip("Swap", "1.0", definition("Swap", "1.0", failover_root({b.url("/v2")}), kGetItems)), true);
  CHECK(g.call("GET", "/Swap/1.0/items", tok).body == "b GET /v2/items auth=");
  CHECK(g.stop() == 0);
  g.start();
  CHECK(g.call("GET", "/Swap/1.0/items", tok).body == "b GET /v2/items auth=");  // same key: the token still holds
}

TEST_CASE("serving layer: the adapter's REST API answers past 100 idle and dripping connections, and SIGTERM still ends it") {
  RouterGateway g;
  std::vector<int> fds;
  for (int i = 0; i < 100; ++i) {
    int fd = connect_loopback_nonblocking(g.proc->port());
    if (fd < 0) continue;
    fds.push_back(fd);
    pollfd w{fd, POLLOUT, 0};
    ::poll(&w, 1, 1000);
    if (i % 2) send_all(fd, "POST /api/mgw/adapter/0.1/apis HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty");
  }
  CHECK(fds.size() == 100);
  auto r = g.adapter("GET", "/apis");
  r.timeout_ms = 1000;  // answered within 1 s, or curl gives up
  CHECK(http_request(r).status == 200);
  CHECK(g.proc->stop(SIGTERM) == 0);
  CHECK_FALSE(g.proc->process().had_to_kill());
  for (int fd : fds) ::close(fd);
  g.proc.reset();
}

namespace {

// A backend that reads each request's body as it arrives (Content-Length or
// chunked), counting the bytes in `received` while it reads, and answers
// "got N HASH" (FNV-1a of the body), then closes. One connection at a time.
class BodySink {
 public:
  BodySink() {
    lfd_ = listen_loopback(port_);
    thread_ = std::thread([this] { loop(); });
  }
  ~BodySink() {
    stop_ = true;
    thread_.join();
    ::close(lfd_);
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::atomic<long long> received{0};
  std::atomic<int> requests{0};
  std::atomic<bool> chunked{false};

  static std::string answer(long long n, std::uint64_t h) { return "got " + std::to_string(n) + " " + std::to_string(h); }
  static std::uint64_t fnv(std::uint64_t h, const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
    return h;
  }
  static constexpr std::uint64_t kFnv0 = 14695981039346656037ull;

 private:
  // The next byte, or -1 when the connection ends or stop_ (bounded waits).
  int byte(int fd) {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
      for (int i = 0; i < 1000 && !stop_; ++i) {  // at most 10 s of silence
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10) <= 0) continue;
        char b[65536];
        ssize_t n = ::recv(fd, b, sizeof b, 0);
        if (n <= 0) return -1;
        buf_.assign(b, static_cast<std::size_t>(n));
        break;
      }
      if (buf_.empty()) return -1;
    }
    return static_cast<unsigned char>(buf_[pos_++]);
  }
  std::string line(int fd) {
    std::string l;
    for (int c; (c = byte(fd)) >= 0;) {
      if (c == '\n') break;
      if (c != '\r') l += static_cast<char>(c);
    }
    return l;
  }
  bool body(int fd, long long n, long long& total, std::uint64_t& h) {
    for (long long i = 0; i < n; ++i) {
      int c = byte(fd);
      if (c < 0) return false;
      char ch = static_cast<char>(c);
      h = fnv(h, &ch, 1);
      received = ++total;
    }
    return true;
  }
  void serve(int fd) {
    buf_.clear();
    pos_ = 0;
    long long length = -1;
    bool is_chunked = false;
    for (std::string l = line(fd); !l.empty(); l = line(fd)) {
      std::string lower;
      for (char c : l) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.rfind("content-length:", 0) == 0) length = std::atoll(lower.c_str() + 15);
      if (lower.rfind("transfer-encoding:", 0) == 0 && lower.find("chunked") != std::string::npos) is_chunked = true;
    }
    chunked = is_chunked;
    long long total = 0;
    std::uint64_t h = kFnv0;
    bool ok = true;
    if (is_chunked) {
      for (;;) {
        long long n = std::strtoll(line(fd).c_str(), nullptr, 16);
        if (n <= 0) break;
        if (!(ok = body(fd, n, total, h))) break;
        line(fd);
      }
      line(fd);
    } else if (length > 0) {
      ok = body(fd, length, total, h);
    }
    if (!ok) return;
    ++requests;
    std::string a = answer(total, h);
    send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                     std::to_string(a.size()) + "\r\n\r\n" + a);
  }
  void loop() {
    while (!stop_) {
      pollfd p{lfd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      serve(fd);
      ::close(fd);
    }
  }
  int lfd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::string buf_;
  std::size_t pos_ = 0;
};

// Everything the router sends until it closes the connection (bounded by the receive timeout).
std::string read_all(int fd) {
  std::string got;
  char b[65536];
  for (ssize_t n; (n = ::recv(fd, b, sizeof b, 0)) > 0;) got.append(b, static_cast<std::size_t>(n));
  return got;
}

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed + i / 4096) % 26);
  return s;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(5ms);
  return pred();
}

}  // namespace

TEST_CASE("router e2e: a request body over the retry buffer is streamed to the backend as it arrives, past 8 MiB") {
  BodySink sink;
  RouterGateway g;
  g.deploy(g.zip("Upload", "1.0",
                 definition("Upload", "1.0", failover_root({sink.url()}),
                            "  /items:\n    post: {responses: {'200': {description: OK}}}\n")));
  auto tok = g.token();
  const std::string head_common = "POST /Upload/1.0/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok +
                                  "\r\nContent-Type: application/octet-stream\r\n";

  SUBCASE("Content-Length: 12 MiB, the second part sent only once the backend has the first") {
    const std::size_t total = 12u << 20, first = 3u << 20;
    std::string data = pattern(total, 1);
    int fd = connect_router(g);
    REQUIRE(send_all(fd, head_common + "Content-Length: " + std::to_string(total) + "\r\n\r\n" + data.substr(0, first)));
    // The router holds at most its retry buffer (1 MiB): the backend must
    // see body bytes while the client still holds back the rest.
    CHECK_MESSAGE(wait_until([&] { return sink.received.load() > 0; }), "the backend got nothing of the body yet: " << g.log());
    CHECK(sink.received.load() <= static_cast<long long>(first));
    REQUIRE(send_all(fd, data.substr(first)));
    std::string res = read_all(fd);
    ::close(fd);
    CHECK(res.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(res.find(BodySink::answer(static_cast<long long>(total), BodySink::fnv(BodySink::kFnv0, data.data(), data.size()))) !=
          std::string::npos);
    CHECK_FALSE(sink.chunked.load());
  }

  SUBCASE("chunked, 3 MiB in 64 KiB chunks: passed on chunked, whole") {
    std::string data = pattern(3u << 20, 2);
    int fd = connect_router(g);
    REQUIRE(send_all(fd, head_common + "Transfer-Encoding: chunked\r\n\r\n"));
    for (std::size_t at = 0; at < data.size(); at += 65536) {
      std::string piece = data.substr(at, 65536);
      char hex[32];
      std::snprintf(hex, sizeof hex, "%zx\r\n", piece.size());
      REQUIRE(send_all(fd, hex + piece + "\r\n"));
    }
    REQUIRE(send_all(fd, "0\r\n\r\n"));
    std::string res = read_all(fd);
    ::close(fd);
    CHECK(res.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(res.find(BodySink::answer(static_cast<long long>(data.size()),
                                    BodySink::fnv(BodySink::kFnv0, data.data(), data.size()))) != std::string::npos);
    CHECK(sink.chunked.load());
  }

  SUBCASE("a small body is still read whole and passed with its Content-Length") {
    HttpRequest q;
    q.method = "POST";
    q.url = g.proc->router_url() + "/Upload/1.0/items";
    q.headers = {"Host: localhost", "Content-Type: text/plain"};
    q.bearer = tok;
    q.body = "hello";
    auto res = http_request(q);
    CHECK(res.status == 200);
    CHECK(res.body == BodySink::answer(5, BodySink::fnv(BodySink::kFnv0, "hello", 5)));
    CHECK_FALSE(sink.chunked.load());
  }
}

TEST_CASE("router e2e: a streamed 48 MiB request body costs the router a bounded amount of memory") {
  BodySink sink;
  RouterGateway g;
  g.deploy(g.zip("Big", "1.0", definition("Big", "1.0", failover_root({sink.url()}),
                                          "  /items:\n    post: {responses: {'200': {description: OK}}}\n")));
  auto tok = g.token();
  long before = 0;
  {
    std::ifstream in("/proc/" + std::to_string(g.proc->pid()) + "/status");
    for (std::string l; std::getline(in, l);)
      if (l.rfind("VmRSS:", 0) == 0) before = std::atol(l.c_str() + 6);
  }
  std::atomic<long> peak{before};
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      std::ifstream in("/proc/" + std::to_string(g.proc->pid()) + "/status");
      for (std::string l; std::getline(in, l);)
        if (l.rfind("VmRSS:", 0) == 0) peak = std::max(peak.load(), std::atol(l.c_str() + 6));
      std::this_thread::sleep_for(5ms);
    }
  });
  const std::size_t total = 48u << 20;
  std::string piece = pattern(1u << 20, 3);
  int fd = connect_router(g);
  bool sent = send_all(fd, "POST /Big/1.0/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok +
                               "\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
  std::uint64_t h = BodySink::kFnv0;
  for (std::size_t at = 0; sent && at < total; at += piece.size()) {
    sent = send_all(fd, piece);
    h = BodySink::fnv(h, piece.data(), piece.size());
  }
  std::string res = read_all(fd);
  ::close(fd);
  done = true;
  sampler.join();
  CHECK(sent);
  CHECK(res.find(BodySink::answer(static_cast<long long>(total), h)) != std::string::npos);
  MESSAGE("router RSS " << before << " KiB before, at most " << peak.load() << " KiB while 48 MiB went through");
  if (kSanitized)
    MESSAGE("not checked under AddressSanitizer: its quarantine keeps freed memory");
  else
    CHECK(peak.load() - before < 16 * 1024);  // far below the body's 48 MiB
}

TEST_CASE("router e2e: an answer given before a streamed body was read reaches the client whole, then the connection closes") {
  RouterGateway g;
  int dead = closed_port();
  g.deploy(g.zip("Early", "1.0", definition("Early", "1.0", failover_root({"http://127.0.0.1:" + std::to_string(dead)}),
                                            "  /items:\n    post: {responses: {'200': {description: OK}}}\n")));
  auto tok = g.token();
  std::string body = pattern(4u << 20, 4);
  SUBCASE("401 for a foreign token") {
    HttpRequest q;
    q.method = "POST";
    q.url = g.proc->router_url() + "/Early/1.0/items";
    q.headers = {"Host: localhost", "Content-Type: application/octet-stream"};
    q.bearer = "not-a-token";
    q.body = body;
    auto res = http_request(q);
    CHECK(res.status == 401);
    CHECK(code_of(res) == "900901");
  }
  SUBCASE("503 for a backend that refuses the connection") {
    HttpRequest q;
    q.method = "POST";
    q.url = g.proc->router_url() + "/Early/1.0/items";
    q.headers = {"Host: localhost", "Content-Type: application/octet-stream"};
    q.bearer = tok;
    q.body = body;
    auto res = http_request(q);
    CHECK(res.status == 503);
    CHECK(code_of(res) == "102503");
  }
}

TEST_CASE("router e2e: a response head is passed on at once, before the backend sends any of its body") {
  HeldBackend backend("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\n", "body");
  RouterGateway g;
  g.deploy(g.zip("Head", "1.0", definition("Head", "1.0", failover_root({backend.url()}), kGetItems)));
  auto tok = g.token();
  int fd = connect_router(g);
  REQUIRE(send_all(fd, "GET /Head/1.0/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok + "\r\n\r\n"));
  std::string got;
  CHECK(read_until(fd, got, "\r\n\r\n"));
  CHECK(got.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(got.find("body") == std::string::npos);  // the backend has not sent it yet
  backend.release();
  CHECK(read_until(fd, got, "body"));
  ::close(fd);
}

TEST_CASE("router e2e: with a streamed body, timeoutInMillis counts from the body's last byte (Envoy's route timeout)") {
  BodySink sink;
  RouterGateway g;
  std::string root = failover_root({sink.url()}, "failover", "  advanceEndpointConfig:\n    timeoutInMillis: 1500\n");
  g.deploy(g.zip("SlowUp", "1.0", definition("SlowUp", "1.0", root,
                                             "  /items:\n    post: {responses: {'200': {description: OK}}}\n")));
  auto tok = g.token();
  // 2 MiB (streamed: over the 1 MiB retry buffer) in 32 pieces 100 ms apart:
  // the upload takes twice the timeout, the answer comes at once.
  std::string data = pattern(2u << 20, 5);
  int fd = connect_router(g);
  REQUIRE(send_all(fd, "POST /SlowUp/1.0/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok +
                           "\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n"));
  auto start = std::chrono::steady_clock::now();
  for (std::size_t at = 0; at < data.size(); at += data.size() / 32) {
    REQUIRE(send_all(fd, data.substr(at, data.size() / 32)));
    std::this_thread::sleep_for(100ms);
  }
  auto took = std::chrono::steady_clock::now() - start;
  std::string res = read_all(fd);
  ::close(fd);
  CHECK(took > 3000ms);  // the upload itself outlasted timeoutInMillis twice over
  INFO(res.substr(0, 400) << "\n" << g.log());
  CHECK(res.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(res.find(BodySink::answer(static_cast<long long>(data.size()),
                                  BodySink::fnv(BodySink::kFnv0, data.data(), data.size()))) != std::string::npos);
}

// The router under faults: backends that reset, answer garbage, stall in the
// middle of a body or flood a client that does not read; clients that stall
// in the middle of their body. A real gateway process, real loopback
// sockets; every wait is bounded.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "backends.hpp"
#include "loopback.hpp"
#include "router_gateway.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A backend that reads a request head and then misbehaves in one way.
class FaultBackend {
 public:
  enum class Fault {
    Reset,         // closes with a TCP reset
    Garbage,       // answers bytes that are not HTTP, then closes
    StallMidBody,  // sends a head announcing 100 bytes, sends 10, then holds the connection
    Flood,         // sends a chunked body as fast as the peer takes it, until the peer leaves
  };

  explicit FaultBackend(Fault fault) : fault_(fault) {
    std::signal(SIGPIPE, SIG_IGN);
    loop_ = std::make_unique<AcceptLoop>(listen_loopback(port_), [this](int fd) { serve(fd); });
  }
  ~FaultBackend() {
    stop_ = true;
    loop_.reset();
  }
  FaultBackend(const FaultBackend&) = delete;
  FaultBackend& operator=(const FaultBackend&) = delete;

  std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int requests() const { return requests_.load(); }
  long long flooded() const { return flooded_.load(); }  // body bytes the peer took
  bool peer_left() const { return peer_left_.load(); }   // a flooded peer closed its end

 private:
  // True once a request head has arrived (bounded by 3 s); TCP health checks
  // connect and close without one.
  bool read_head(int fd) {
    std::string in;
    auto end = std::chrono::steady_clock::now() + 3s;
    while (in.find("\r\n\r\n") == std::string::npos && !stop_ && std::chrono::steady_clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
    }
    return in.find("\r\n\r\n") != std::string::npos;
  }

  void hold(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        char buf[512];
        if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
      }
    }
  }

  void serve(int fd) {
    if (!read_head(fd)) {
      ::close(fd);
      return;
    }
    ++requests_;
    switch (fault_) {
      case Fault::Reset: {
        linger l{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        break;
      }
      case Fault::Garbage:
        send_all(fd, "SSH-2.0-OpenSSH_9.2\r\nthis is not an HTTP answer\r\n\r\n");
        ::shutdown(fd, SHUT_WR);
        break;
      case Fault::StallMidBody:
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789");
        hold(fd);
        break;
      case Fault::Flood: {
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
        std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
        auto end = std::chrono::steady_clock::now() + 20s;
        while (!stop_ && std::chrono::steady_clock::now() < end) {
          pollfd p{fd, POLLOUT, 0};
          if (::poll(&p, 1, 20) <= 0) continue;
          if (p.revents & (POLLERR | POLLHUP)) break;
          ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
          if (n <= 0) break;
          flooded_ += n;
        }
        peer_left_ = !stop_;
        break;
      }
    }
    ::close(fd);
  }

  Fault fault_;
  int port_ = 0;
  std::atomic<bool> stop_{false}, peer_left_{false};
  std::atomic<int> requests_{0};
  std::atomic<long long> flooded_{0};
  std::unique_ptr<AcceptLoop> loop_;
};

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

int router_port(RouterGateway& g) {
  const std::string& u = g.proc->router_url();
  return std::atoi(u.substr(u.rfind(':') + 1).c_str());
}

// A raw connection to the router that has sent `data`.
int raw_send(RouterGateway& g, const std::string& data) {
  int fd = connect_loopback_nonblocking(router_port(g));
  REQUIRE(fd >= 0);
  pollfd w{fd, POLLOUT, 0};
  ::poll(&w, 1, 2000);
  REQUIRE(send_all(fd, data));
  return fd;
}

// Reads until the peer closes or `limit` passes; returns what arrived and
// whether the peer closed.
std::pair<std::string, bool> read_to_close(int fd, std::chrono::milliseconds limit) {
  std::string got;
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {got, true};
    got.append(buf, static_cast<std::size_t>(n));
  }
  return {got, false};
}

}  // namespace

TEST_CASE("router faults: a backend that resets the connection is 503 102509, and other APIs keep being served") {
  FaultBackend reset(FaultBackend::Fault::Reset);
  EchoBackend fine("fine");
  RouterGateway g;
  g.deploy(g.zip("Rst", "1.0", definition("Rst", "1.0", failover_root({reset.url()}), kGetItems)));
  g.deploy(g.zip("Fine", "1.0", definition("Fine", "1.0", failover_root({fine.url()}), kGetItems)));
  auto tok = g.token();
  for (int i = 0; i < 3; ++i) {
    auto r = g.call("GET", "/Rst/1.0/items", tok);
    CHECK(r.status == 503);
    CHECK(code_of(r) == "102509");
    CHECK(from(g.call("GET", "/Fine/1.0/items", tok), "fine"));
  }
  CHECK(reset.requests() == 3);
  CHECK(g.logged("router: GET /Rst/1.0/items 503 UR"));
}

TEST_CASE("router faults: a backend that answers garbage instead of HTTP is 503 102509, never relayed") {
  FaultBackend garbage(FaultBackend::Fault::Garbage);
  RouterGateway g;
  g.deploy(g.zip("Junk", "1.0", definition("Junk", "1.0", failover_root({garbage.url()}), kGetItems)));
  auto tok = g.token();
  auto r = g.call("GET", "/Junk/1.0/items", tok);
  CHECK(r.status == 503);
  CHECK(code_of(r) == "102509");
  CHECK(r.body.find("SSH-2.0") == std::string::npos);
  CHECK(g.call("GET", "/health").status == 200);
}

TEST_CASE("router faults: a backend that stalls in the middle of its body: the client's connection is cut at timeoutInMillis") {
  FaultBackend stall(FaultBackend::Fault::StallMidBody);
  EchoBackend fine("fine");
  RouterGateway g;
  g.deploy(g.zip("Half", "1.0",
                 definition("Half", "1.0",
                            failover_root({stall.url()}, "failover", "  advanceEndpointConfig:\n    timeoutInMillis: 400\n"),
                            kGetItems)));
  g.deploy(g.zip("Fine", "1.0", definition("Fine", "1.0", failover_root({fine.url()}), kGetItems)));
  auto tok = g.token();
  int fd = raw_send(g, "GET /Half/1.0/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok + "\r\n\r\n");
  // Meanwhile other calls are answered.
  CHECK(from(g.call("GET", "/Fine/1.0/items", tok), "fine"));
  auto [got, closed] = read_to_close(fd, 10s);
  ::close(fd);
  CHECK(got.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(got.find("0123456789") != std::string::npos);
  CHECK(closed);  // cut, never completed: the client can tell the body is short
  CHECK(from(g.call("GET", "/Fine/1.0/items", tok), "fine"));
}

TEST_CASE("router faults: a client that does not read a flooding backend's body costs the router bounded memory") {
  FaultBackend flood(FaultBackend::Fault::Flood);
  EchoBackend fine("fine");
  RouterGateway g;
  g.deploy(g.zip("Flood", "1.0", definition("Flood", "1.0", failover_root({flood.url()}), kGetItems)));
  g.deploy(g.zip("Fine", "1.0", definition("Fine", "1.0", failover_root({fine.url()}), kGetItems)));
  auto tok = g.token();
  CHECK(from(g.call("GET", "/Fine/1.0/items", tok), "fine"));
  long before = rss_kib(g.proc->pid());
  REQUIRE(before > 0);
  int fd = raw_send(g, "GET /Flood/1.0/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok + "\r\n\r\n");
  // The client reads nothing; the backend can only send what the socket
  // buffers and the router's one piece in flight hold.
  auto end = std::chrono::steady_clock::now() + 3s;
  long long last = -1;
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(300ms);
    if (flood.flooded() == last && last > 0) break;  // back-pressure reached the backend
    last = flood.flooded();
  }
  long during = rss_kib(g.proc->pid());
  MESSAGE("the backend got " << flood.flooded() / 1024 << " KiB out before it stalled; router RSS " << before
                             << " KiB -> " << during << " KiB");
  CHECK(flood.flooded() < 64LL << 20);     // it stalled: nothing reads 64 MiB on the router's behalf
  CHECK(during - before < 32 * 1024);      // and the router did not keep what it could not pass on
  CHECK(from(g.call("GET", "/Fine/1.0/items", tok), "fine"));
  ::close(fd);
  // The client left: the router lets go of the backend too.
  auto gone = std::chrono::steady_clock::now() + 5s;
  while (!flood.peer_left() && std::chrono::steady_clock::now() < gone) std::this_thread::sleep_for(20ms);
  CHECK(flood.peer_left());
}

TEST_CASE("router faults: clients that stall in the middle of their request body hold nobody up, and SIGTERM still ends it") {
  EchoBackend fine("fine");
  RouterGateway g;
  g.deploy(g.zip("Fine", "1.0", definition("Fine", "1.0", failover_root({fine.url()}), kGetItems)));
  auto tok = g.token();
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i)
    fds.push_back(raw_send(g, "POST /Fine/1.0/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tok +
                                  "\r\nContent-Length: 100000\r\n\r\nonly-a-little"));
  for (int i = 0; i < 5; ++i) CHECK(from(g.call("GET", "/Fine/1.0/items", tok), "fine"));
  auto t0 = std::chrono::steady_clock::now();
  CHECK(g.stop() == 0);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("SIGTERM to exit with 50 stalled uploads attached: " << took << " ms");
  CHECK(took < 5000);  // the issue's bound is 2 s; 5 s leaves room for a loaded CI machine
  for (int fd : fds) ::close(fd);
}

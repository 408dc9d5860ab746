// Test support: endpoint backends on loopback for `portico probe`'s tests
// (tests/e2e/test_probe.cpp), and servers for the router's and `init
// --oas`'s. Everything listens on 127.0.0.1 with a port
// the kernel picks; nothing here ever touches another address.
//
// - Backend: an accept loop in one thread that counts the connections it
//   accepts and then, by kind, answers HTTP 200, answers HTTP 503, holds the
//   connection open and never answers, closes or resets it after the
//   client's first bytes (a TLS ClientHello: a handshake cut short), or does a TLS handshake (certificate and key given) and answers
//   HTTP 200 inside it.
// - closed_port() (loopback.hpp): a port that was free a moment ago and has
//   no listener: connects to it are refused.
// - BlackHole: a listening socket with backlog 0 whose accept queue is
//   filled by connections nobody accepts; Linux then drops further SYNs, so
//   connects time out. It checks itself (`ok()`): a connect must stay
//   unanswered for 200 ms.
// - HeldTlsPorts: TLS on many ports, each connection held before its
//   handshake, counting how many are held at once (probe --parallel).
// - EchoBackend: HTTP/1.1 for the router's tests, a thread per connection.
// - HttpsServer: one fixed answer over TLS (a body, or a flood of a given
//   length, chunked or not), counting the bytes the client took.
//
// Header-only. Every wait is bounded: a connection is served within about
// 1.5 s, and destruction stops the thread within about 100 ms.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "loopback.hpp"

namespace portico::test {

using SslCtx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

// A TLS server context with this certificate (PEM) and key; throws when
// they cannot be used.
inline SslCtx server_tls_context(const std::string& cert_pem, EVP_PKEY* key) {
  if (!key || cert_pem.empty()) throw std::runtime_error("a TLS server needs a certificate and a key");
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())),
                                                BIO_free);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  bool ok = cert && SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  if (cert) X509_free(cert);
  if (!ok) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("cannot load the server's certificate or key");
  }
  return SslCtx(ctx, SSL_CTX_free);
}

// One TLS connection, server side, blocking with 1.5 s timeouts on every
// read and write: the handshake, then inside(ssl) when it completed; then
// the connection is closed.
inline void tls_connection(SSL_CTX* ctx, int fd, const std::function<void(SSL*)>& inside) {
  timeval tv{1, 500000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  ERR_clear_error();
  if (SSL_accept(ssl) == 1) inside(ssl);
  ERR_clear_error();
  SSL_free(ssl);
  ::close(fd);
}

// Reads a request head inside TLS (at most 64 KiB and 1.5 s, or until
// `stop`); true when it is complete.
inline bool tls_read_head(SSL* ssl, const std::atomic<bool>& stop) {
  std::string head;
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536 && !stop &&
         std::chrono::steady_clock::now() < end) {
    char buf[4096];
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) break;
    head.append(buf, static_cast<std::size_t>(n));
  }
  return head.find("\r\n\r\n") != std::string::npos;
}

class Backend {
 public:
  enum class Kind {
    Http200,     // reads the request head, answers 200 "ok"
    Http503,     // reads the request head, answers 503
    Hang,        // accepts and never answers (held open until destruction)
    Close,       // reads what the client sends first (up to 500 ms), then closes without a word
    Reset,       // reads what the client sends first (up to 500 ms), then resets the connection (RST)
    PlainAnswer, // reads what the client sends first (up to 500 ms), answers a plain-text HTTP 400, closes
                 // (an HTTP server given a TLS ClientHello)
    Tls200,      // TLS handshake, then like Http200 inside TLS
  };

  explicit Backend(Kind kind) : Backend(kind, {}, nullptr) {}
  // For Kind::Tls200: the server certificate (PEM) and its key.
  Backend(Kind kind, const std::string& cert_pem, EVP_PKEY* key) : kind_(kind) {
    std::signal(SIGPIPE, SIG_IGN);  // a write to a client that left must fail, not kill the test
    if (kind_ == Kind::Tls200) ctx_ = server_tls_context(cert_pem, key);
    listen_fd_ = listen_loopback(port_);
    thread_ = std::thread([this] { loop(); });
  }

  ~Backend() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int fd : held_) ::close(fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& scheme = "http", const std::string& host = "127.0.0.1") const {
    return scheme + "://" + host + ":" + std::to_string(port_);
  }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }      // HTTP requests answered
  int handshakes() const { return handshakes_.load(); }  // TLS handshakes completed

  // Waits (at most `limit`) until `n` connections were accepted, then a
  // further `settle` for stragglers; returns the count.
  int wait_accepted(int n, std::chrono::milliseconds limit = std::chrono::milliseconds(3000),
                    std::chrono::milliseconds settle = std::chrono::milliseconds(300)) const {
    auto end = std::chrono::steady_clock::now() + limit;
    while (accepted() < n && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(settle);
    return accepted();
  }

 private:
  using Clock = std::chrono::steady_clock;

  void loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      switch (kind_) {
        case Kind::Hang: held_.push_back(fd); break;
        case Kind::Close: read_then_close(fd); break;
        case Kind::Reset: read_then_close(fd, true); break;
        case Kind::PlainAnswer: read_then_close(fd, false, true); break;
        case Kind::Tls200: serve_tls(fd); break;
        default: serve_plain(fd); break;
      }
    }
  }

  static bool head_complete(const std::string& s) { return s.find("\r\n\r\n") != std::string::npos; }

  std::string answer() const {
    if (kind_ == Kind::Http503)
      return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
             "Connection: close\r\n\r\nunavailable";
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  }

  // Reads a request head (bounded by 1.5 s), answers it, closes. A TCP probe
  // connects and closes without a request: EOF ends the wait at once.
  void serve_plain(int fd) {
    std::string head;
    auto end = Clock::now() + std::chrono::milliseconds(1500);
    while (!head_complete(head) && !stop_ && Clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[2048];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<std::size_t>(n));
    }
    if (head_complete(head)) {
      ++requests_;
      std::string a = answer();
      std::size_t done = 0;
      while (done < a.size()) {
        ssize_t n = ::send(fd, a.data() + done, a.size() - done, MSG_NOSIGNAL);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      ::shutdown(fd, SHUT_WR);
    }
    ::close(fd);
  }

  // One read (the client's first bytes, e.g. a TLS ClientHello), then a
  // plain close: the client sees EOF, not a reset, since nothing is left
  // unread; or with `reset`, an RST (SO_LINGER 0).
  void read_then_close(int fd, bool reset = false, bool answer_400 = false) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 500) > 0) {
      char buf[16384];
      (void)::recv(fd, buf, sizeof buf, 0);
    }
    if (answer_400) {
      const std::string a = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(fd, a.data(), a.size(), MSG_NOSIGNAL);
      ::shutdown(fd, SHUT_WR);
    }
    if (reset) {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(fd);
  }

  // TLS, then like serve_plain inside it.
  void serve_tls(int fd) {
    tls_connection(ctx_.get(), fd, [this](SSL* ssl) {
      ++handshakes_;
      if (tls_read_head(ssl, stop_)) {
        ++requests_;
        std::string a = answer();
        SSL_write(ssl, a.data(), static_cast<int>(a.size()));
      }
      SSL_shutdown(ssl);
    });
  }

  Kind kind_;
  SslCtx ctx_{nullptr, SSL_CTX_free};
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0}, requests_{0}, handshakes_{0};
  std::vector<int> held_;  // only the accept thread touches it until the join
  std::thread thread_;
};

// An HTTPS server for `init --oas URL`'s tests: every connection (a thread
// of its own) gets a TLS handshake with the certificate and key given, its
// request head read, then one answer: `head` (status line and headers,
// blank line included), `body`, then `flood` more bytes of 'x' (as 64 KiB
// chunks, and the last chunk, when the head says chunked), as fast as the
// client takes them; then it closes. body_sent() counts the bytes after the
// head that the client's socket took, so a test sees where a client stopped
// reading. Reads and writes time out after 1.5 s.
class HttpsServer {
 public:
  struct Answer {
    std::string head;
    std::string body;
    std::uint64_t flood = 0;
  };

  HttpsServer(const std::string& cert_pem, EVP_PKEY* key, Answer answer) : answer_(std::move(answer)) {
    std::signal(SIGPIPE, SIG_IGN);
    ctx_ = server_tls_context(cert_pem, key);
    loop_ = std::make_unique<AcceptLoop>(listen_loopback(port_), [this](int fd) { serve(fd); });
  }
  ~HttpsServer() {
    stop_ = true;
    loop_.reset();
  }
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  std::string url(const std::string& path = "/") const { return "https://127.0.0.1:" + std::to_string(port_) + path; }
  int requests() const { return requests_.load(); }
  std::uint64_t body_sent() const { return body_sent_.load(); }

 private:
  void serve(int fd) {
    tls_connection(ctx_.get(), fd, [this](SSL* ssl) {
      if (!tls_read_head(ssl, stop_)) return;
      ++requests_;
      auto write = [&](const std::string& bytes) {
        return !stop_ && SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
      };
      bool chunked = lower(answer_.head).find("transfer-encoding: chunked") != std::string::npos;
      bool ok = write(answer_.head);
      for (std::size_t at = 0; ok && at < answer_.body.size(); at += 1u << 16) {
        std::string piece = answer_.body.substr(at, 1u << 16);
        if ((ok = write(piece))) body_sent_ += piece.size();
      }
      const std::string xs(1u << 16, 'x');
      for (std::uint64_t left = answer_.flood; ok && left > 0;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, xs.size()));
        std::string piece = xs.substr(0, n);
        if (chunked) {
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", n);
          piece = size + piece + "\r\n";
        }
        if ((ok = write(piece))) body_sent_ += piece.size();
        left -= n;
      }
      if (ok && chunked) write("0\r\n\r\n");
      if (ok) SSL_shutdown(ssl);
    });
  }

  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  Answer answer_;
  SslCtx ctx_{nullptr, SSL_CTX_free};
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<std::uint64_t> body_sent_{0};
  std::unique_ptr<AcceptLoop> loop_;
};

// TLS listeners on `ports` ports of their own (the prober opens one
// connection per distinct host:port), for `probe --parallel`: each
// connection is held for `hold` before the server answers the ClientHello,
// then the handshake completes and the server closes. held_at_most() is the
// largest number of connections held at once, over all ports. A connection
// is counted from its accept until the server lets its handshake go on, so
// the count never exceeds what the client has open at that moment (the
// client cannot finish a connection the server still holds; keep its
// timeout above `hold`).
class HeldTlsPorts {
 public:
  HeldTlsPorts(int ports, std::chrono::milliseconds hold, const std::string& cert_pem, EVP_PKEY* key)
      : hold_(hold), accepted_(static_cast<std::size_t>(ports)) {
    std::signal(SIGPIPE, SIG_IGN);
    ctx_ = server_tls_context(cert_pem, key);
    for (int i = 0; i < ports; ++i) {
      int port = 0;
      int fd = listen_loopback(port);
      ports_.push_back(port);
      loops_.push_back(std::make_unique<AcceptLoop>(fd, [this, i](int c) { serve(c, static_cast<std::size_t>(i)); }));
    }
  }
  ~HeldTlsPorts() {
    stop_ = true;
    loops_.clear();
  }
  HeldTlsPorts(const HeldTlsPorts&) = delete;
  HeldTlsPorts& operator=(const HeldTlsPorts&) = delete;

  const std::vector<int>& ports() const { return ports_; }
  int held_at_most() const { return most_.load(); }
  // Connections accepted on the i-th port.
  int accepted(std::size_t i) const { return accepted_[i].load(); }
  int handshakes() const { return handshakes_.load(); }

 private:
  void serve(int fd, std::size_t i) {
    ++accepted_[i];
    int now = ++held_;
    for (int seen = most_.load(); now > seen && !most_.compare_exchange_weak(seen, now);) {
    }
    for (auto end = std::chrono::steady_clock::now() + hold_; !stop_ && std::chrono::steady_clock::now() < end;)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    --held_;
    if (stop_) return (void)::close(fd);
    tls_connection(ctx_.get(), fd, [this](SSL* ssl) {
      ++handshakes_;
      SSL_shutdown(ssl);
    });
  }

  std::chrono::milliseconds hold_;
  SslCtx ctx_{nullptr, SSL_CTX_free};
  std::vector<int> ports_;
  std::vector<std::atomic<int>> accepted_;
  std::atomic<bool> stop_{false};
  std::atomic<int> held_{0}, most_{0}, handshakes_{0};
  std::vector<std::unique_ptr<AcceptLoop>> loops_;
};

// A listening socket whose accept queue is full: connects get no answer.
class BlackHole {
 public:
  BlackHole() {
    listen_fd_ = listen_loopback(port_, 0);
    // Backlog 0 still queues one connection; fill until a connect stays
    // unanswered for 200 ms (that socket stays open, as one more filler).
    for (int i = 0; i < 8 && !ok_; ++i) {
      int fd = connect_loopback_nonblocking(port_);
      if (fd < 0) break;
      fillers_.push_back(fd);
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 200) == 0) ok_ = true;
    }
  }
  ~BlackHole() {
    for (int fd : fillers_) ::close(fd);
    ::close(listen_fd_);
  }
  BlackHole(const BlackHole&) = delete;
  BlackHole& operator=(const BlackHole&) = delete;

  bool ok() const { return ok_; }
  int port() const { return port_; }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::vector<int> fillers_;
};

// An HTTP/1.1 backend for the router's tests: one thread per connection,
// so it can hold several requests at once. It answers every request with
// `status` and the body "<name> <METHOD> <target> auth=<Authorization>",
// after `delay` (interruptible by destruction), and counts the requests.
// With a port given it listens there again (a backend "restarted").
class EchoBackend {
 public:
  explicit EchoBackend(std::string name, int status = 200, int port = 0) : name_(std::move(name)), status_(status) {
    std::signal(SIGPIPE, SIG_IGN);
    // SO_REUSEADDR from the start: connections it closed linger in TIME_WAIT
    // on its port, and a restarted backend must be able to listen there again.
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 128) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
    }
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    loop_ = std::make_unique<AcceptLoop>(listen_fd_, [this](int fd) { serve(fd); });
  }
  ~EchoBackend() {
    stop_ = true;
    loop_.reset();
  }
  EchoBackend(const EchoBackend&) = delete;
  EchoBackend& operator=(const EchoBackend&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int requests() const { return requests_.load(); }
  void set_delay(std::chrono::milliseconds d) { delay_ms_ = static_cast<int>(d.count()); }
  // Keeps connections open between requests (HTTP/1.1 keep-alive, no
  // Connection: close); with drop_second, closes a connection when its
  // second request arrives, without answering (a stale kept-alive connection).
  void set_keep_alive(bool on, bool drop_second = false) {
    keep_alive_ = on;
    drop_second_ = drop_second;
  }
  int connections() const { return connections_.load(); }
  std::string last_target() {
    std::lock_guard lk(mu_);
    return last_target_;
  }

 private:
  void serve(int fd) {
    ++connections_;
    std::string in;
    int on_connection = 0;
    for (;;) {
      // The next request's head (3 s at most, also the idle limit of a kept-alive connection).
      auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      bool eof = false;
      while (in.find("\r\n\r\n") == std::string::npos && !stop_ && std::chrono::steady_clock::now() < end) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
          eof = true;
          break;
        }
        in.append(buf, static_cast<std::size_t>(n));
      }
      auto head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos || (eof && head_end == std::string::npos)) {
        ::close(fd);
        return;
      }
      std::string lower = in.substr(0, head_end);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::size_t length = 0;
      if (auto cl = lower.find("\r\ncontent-length: "); cl != std::string::npos)
        length = std::stoul(lower.substr(cl + 18, lower.find("\r\n", cl + 18) - cl - 18));
      while (keep_alive_ && in.size() < head_end + 4 + length && !stop_) {  // the body, to find the next request
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
      }
      if (++on_connection == 2 && drop_second_) {  // a kept-alive connection that went stale
        ::close(fd);
        return;
      }
      ++requests_;
      std::string line = in.substr(0, in.find("\r\n"));
      auto sp1 = line.find(' '), sp2 = line.rfind(' ');
      std::string method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      std::string auth;
      if (auto a = lower.find("\r\nauthorization: "); a != std::string::npos) {
        auto v = a + 17;
        auth = in.substr(v, in.find("\r\n", v) - v);
      }
      {
        std::lock_guard lk(mu_);
        last_target_ = target;
      }
      in.erase(0, std::min(in.size(), head_end + 4 + length));
      for (int waited = 0; waited < delay_ms_ && !stop_; waited += 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::string body = name_ + " " + method + " " + target + " auth=" + auth;
      std::string out = "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Type: text/plain\r\nContent-Length: " +
                        std::to_string(body.size()) + (keep_alive_ ? "" : "\r\nConnection: close") + "\r\n\r\n" + body;
      std::size_t done = 0;
      while (done < out.size()) {
        ssize_t n = ::send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      if (!keep_alive_ || stop_) break;
    }
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }

  std::string name_;
  int status_;
  int listen_fd_ = -1, port_ = 0;
  std::atomic<int> delay_ms_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0}, connections_{0};
  std::atomic<bool> keep_alive_{false}, drop_second_{false};
  std::mutex mu_;
  std::string last_target_;
  std::unique_ptr<AcceptLoop> loop_;  // owns listen_fd_
};

}  // namespace portico::test

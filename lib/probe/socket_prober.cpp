#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "probe/prober.hpp"

namespace portico::probe {

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::Ok: return "ok";
    case Reason::Dns: return "dns";
    case Reason::Refused: return "refused";
    case Reason::Timeout: return "timeout";
    case Reason::Reset: return "reset";
    case Reason::Tls: return "tls";
  }
  return "?";
}

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// DNS for host names, all at once on a few threads, bounded by a deadline:
// a slow resolver never serialises the probe.
std::vector<std::string> resolve_all(const std::vector<Target>& targets, int threads, Clock::time_point deadline,
                                     std::vector<std::string>& errors) {
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> addr, err;
    std::vector<bool> done;
    std::deque<std::size_t> queue;
    std::vector<Target> targets;
    int running = 0;
  };
  auto s = std::make_shared<Shared>();
  s->targets = targets;
  s->addr.resize(targets.size());
  s->err.resize(targets.size());
  s->done.resize(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    in_addr a{};
    if (inet_pton(AF_INET, targets[i].host.c_str(), &a) == 1) {
      s->addr[i] = targets[i].host;
      s->done[i] = true;
    } else {
      s->queue.push_back(i);
    }
  }
  int n = std::min<int>(threads, static_cast<int>(s->queue.size()));
  for (int t = 0; t < n; ++t) {
    ++s->running;
    std::thread([s] {
      while (true) {
        std::size_t i;
        {
          std::lock_guard l(s->mu);
          if (s->queue.empty()) break;
          i = s->queue.front();
          s->queue.pop_front();
        }
        addrinfo hints{};
        hints.ai_family = AF_INET;  // the gateway's clusters are IPv4 only
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        int rc = getaddrinfo(s->targets[i].host.c_str(), nullptr, &hints, &res);
        std::string addr, err;
        if (rc == 0 && res) {
          char buf[INET_ADDRSTRLEN];
          inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
          addr = buf;
        } else {
          err = gai_strerror(rc);
        }
        if (res) freeaddrinfo(res);
        std::lock_guard l(s->mu);
        s->addr[i] = addr;
        s->err[i] = err;
        s->done[i] = true;
        s->cv.notify_all();
      }
      std::lock_guard l(s->mu);
      --s->running;
      s->cv.notify_all();
    }).detach();
  }
  std::unique_lock l(s->mu);
  s->cv.wait_until(l, deadline, [&] { return s->running == 0; });
  errors.resize(targets.size());
  std::vector<std::string> out(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    out[i] = s->addr[i];
    errors[i] = s->done[i] ? s->err[i] : "no answer from the resolver in time";
  }
  return out;  // unfinished lookups finish on their own threads and are ignored
}

struct Probe {
  std::size_t index;
  int fd = -1;
  SSL* ssl = nullptr;
  enum class Phase { Connect, Handshake } phase = Phase::Connect;
  short events = POLLOUT;
  Clock::time_point start, deadline;
};

class SocketProber : public Prober {
 public:
  std::vector<Result> probe(const std::vector<Target>& targets, const Options& o) override {
    std::vector<Result> results(targets.size());
    Clock::time_point begin = Clock::now();
    std::vector<std::string> dns_errors;
    auto total = std::chrono::milliseconds(o.timeout_ms * std::max(1, o.attempts));
    std::vector<std::string> addrs = resolve_all(targets, std::min(o.parallel, 16), begin + total, dns_errors);

    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(ctx.get());
    if (!o.ca_file.empty()) SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // verified after the handshake, to say why

    std::deque<std::size_t> pending;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (addrs[i].empty()) {
        results[i].reason = Reason::Dns;
        results[i].detail = dns_errors[i];
        results[i].attempts = 1;
      } else {
        results[i].address = addrs[i];
        pending.push_back(i);
      }
    }
    std::vector<Probe> active;
    auto start_attempt = [&](std::size_t i) {
      Result& r = results[i];
      ++r.attempts;
      Probe p;
      p.index = i;
      p.start = Clock::now();
      p.deadline = p.start + std::chrono::milliseconds(o.timeout_ms);
      p.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (p.fd < 0) {
        r.reason = Reason::Reset;
        r.detail = std::strerror(errno);
        return;
      }
      int one = 1;
      setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(targets[i].port));
      inet_pton(AF_INET, r.address.c_str(), &sa.sin_addr);
      int rc = ::connect(p.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
      if (rc != 0 && errno != EINPROGRESS) {
        finish_attempt(p, results, errno == ECONNREFUSED ? Reason::Refused : Reason::Reset, std::strerror(errno), pending, o);
        return;
      }
      active.push_back(p);
    };

    while (!pending.empty() || !active.empty()) {
      while (!pending.empty() && static_cast<int>(active.size()) < o.parallel) {
        std::size_t i = pending.front();
        pending.pop_front();
        start_attempt(i);
      }
      if (active.empty()) continue;
      std::vector<pollfd> fds;
      Clock::time_point next = active.front().deadline;
      for (const auto& p : active) {
        fds.push_back({p.fd, p.events, 0});
        next = std::min(next, p.deadline);
      }
      long wait = std::max<long>(0, static_cast<long>(ms_between(Clock::now(), next)) + 1);
      ::poll(fds.data(), fds.size(), static_cast<int>(wait));
      Clock::time_point now = Clock::now();
      std::vector<Probe> still;
      for (std::size_t k = 0; k < active.size(); ++k) {
        Probe p = active[k];
        if (fds[k].revents == 0) {
          if (now >= p.deadline) {
            finish_attempt(p, results, Reason::Timeout,
                           p.phase == Probe::Phase::Connect ? "no answer to the TCP connect" : "the TLS handshake did not finish",
                           pending, o);
          } else {
            still.push_back(p);
          }
          continue;
        }
        if (p.phase == Probe::Phase::Connect) {
          int err = 0;
          socklen_t len = sizeof err;
          getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0) {
            finish_attempt(p, results, err == ECONNREFUSED ? Reason::Refused : err == ETIMEDOUT ? Reason::Timeout : Reason::Reset,
                           std::strerror(err), pending, o);
            continue;
          }
          results[p.index].connect_ms = ms_between(p.start, now);
          if (!targets[p.index].tls) {
            finish_attempt(p, results, Reason::Ok, "", pending, o);
            continue;
          }
          p.phase = Probe::Phase::Handshake;
          p.ssl = SSL_new(ctx.get());
          SSL_set_fd(p.ssl, p.fd);
          const std::string& host = targets[p.index].host;
          in_addr a{};
          if (inet_pton(AF_INET, host.c_str(), &a) == 1) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(p.ssl), host.c_str());
          } else {
            SSL_set_tlsext_host_name(p.ssl, host.c_str());
            SSL_set1_host(p.ssl, host.c_str());
          }
        }
        // Handshake step.
        ERR_clear_error();
        int rc = SSL_connect(p.ssl);
        if (rc == 1) {
          check_certificate(p, results[p.index]);
          finish_attempt(p, results, results[p.index].tls.verified ? Reason::Ok : Reason::Tls,
                         results[p.index].tls.verified ? "" : results[p.index].tls.error, pending, o);
          continue;
        }
        int e = SSL_get_error(p.ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
          p.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
          still.push_back(p);
          continue;
        }
        char buf[256] = "the TLS handshake failed";
        unsigned long code = ERR_get_error();
        if (code) ERR_error_string_n(code, buf, sizeof buf);
        // OpenSSL 3 reports a peer closing mid-handshake as an SSL error (unexpected EOF).
        bool reset = e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ||
                     (code && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
        finish_attempt(p, results, reset ? Reason::Reset : Reason::Tls,
                       reset ? "the connection closed during the TLS handshake" : buf, pending, o);
      }
      active.swap(still);
    }
    return results;
  }

 private:
  static void check_certificate(const Probe& p, Result& r) {
    r.tls.checked = true;
    long v = SSL_get_verify_result(p.ssl);
    r.tls.verified = v == X509_V_OK;
    if (!r.tls.verified) r.tls.error = X509_verify_cert_error_string(v);
    if (X509* cert = SSL_get1_peer_certificate(p.ssl)) {
      int days = 0, secs = 0;
      ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert));
      r.tls.days_left = days;
      X509_free(cert);
    } else if (r.tls.verified) {
      r.tls.verified = false;
      r.tls.error = "no certificate";
    }
  }

  // Records an attempt's outcome; a failure with attempts left queues the next.
  static void finish_attempt(Probe& p, std::vector<Result>& results, Reason reason, const std::string& detail,
                             std::deque<std::size_t>& pending, const Options& o) {
    if (p.ssl) {
      SSL_free(p.ssl);
      p.ssl = nullptr;
    }
    if (p.fd >= 0) ::close(p.fd);
    p.fd = -1;
    Result& r = results[p.index];
    r.reason = reason;
    r.detail = detail;
    r.available = reason == Reason::Ok;
    if (!r.available && r.attempts < o.attempts) pending.push_front(p.index);
  }
};

}  // namespace

std::unique_ptr<Prober> make_socket_prober() { return std::make_unique<SocketProber>(); }

}  // namespace portico::probe

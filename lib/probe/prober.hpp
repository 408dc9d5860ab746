// Is an endpoint available, by the gateway's own test: a TCP connect
// (IPv4) within the timeout, plus the TLS handshake for https; unavailable
// after `attempts` consecutive failures. Every distinct host:port is probed
// once, all at once (up to `parallel` sockets), in one poll loop: no
// thread per endpoint, so a probe takes about attempts x timeout.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace portico::probe {

struct Target {
  std::string host;
  int port = 80;
  bool tls = false;
  bool operator==(const Target&) const = default;
};

enum class Reason { Ok, Dns, Refused, Timeout, Reset, Tls };
std::string_view to_string(Reason r);

struct TlsInfo {
  bool checked = false;
  bool verified = false;
  std::string error;      // why verification failed
  long days_left = 0;     // until the certificate expires (negative: expired)
};

struct Result {
  bool available = false;
  Reason reason = Reason::Timeout;
  std::string detail;      // the system's words, when useful
  std::string address;     // the IPv4 address tried
  double connect_ms = 0;   // of the successful attempt
  int attempts = 0;
  TlsInfo tls;
};

struct Options {
  long timeout_ms = 1000;
  int attempts = 2;
  int parallel = 64;
  std::string ca_file;  // besides the system store, for https endpoints
};

class Prober {
 public:
  virtual ~Prober() = default;
  // One result per target, in the same order.
  virtual std::vector<Result> probe(const std::vector<Target>& targets, const Options& options) = 0;
};

std::unique_ptr<Prober> make_socket_prober();

}  // namespace portico::probe

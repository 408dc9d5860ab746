// HTTP as an interface: the logic that talks to servers (the adapter
// client, init --oas) depends on Transport, so it is tested with a fake;
// CurlTransport is the real one. No domain knowledge here.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace portico::net {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // multipart/form-data with one file part streamed from disk
  std::string file_part_name, file_path, file_name;
  std::string ca_file;     // PEM bundle to verify the server with; empty: system store
  bool insecure = false;   // skip verification
  long connect_timeout_ms = 10000;
  long timeout_ms = 60000;
  // The body is refused past this size: at once when the server announces a
  // larger Content-Length, else as soon as more arrives (never buffered whole).
  std::size_t max_response_bytes = 64u << 20;
  // Upload progress (bytes sent, total), when set.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// Response headers past this size (all lines together) are refused.
inline constexpr std::size_t kMaxResponseHeaderBytes = 64u << 10;

// Why a request got no HTTP answer.
enum class Failure {
  Resolve,
  Connect,
  Tls,        // the TLS handshake failed (closed, reset, not TLS, no common version): not a certificate problem
  TlsVerify,  // the server's certificate was not verified (untrusted, wrong host name, expired), or the CA file is unusable
  Timeout,
  Reset,
  TooLarge,   // the body exceeds max_response_bytes
  Protocol,   // the answer is not HTTP that can be read: garbage, or headers over kMaxResponseHeaderBytes
  Other
};

// For Failure::TlsVerify: what was wrong with the certificate.
enum class CertProblem { Unknown, Untrusted, HostName, Expired };

struct TransportError : std::runtime_error {
  TransportError(Failure f, const std::string& msg, CertProblem c = CertProblem::Unknown)
      : std::runtime_error(msg), failure(f), cert(c) {}
  Failure failure;
  CertProblem cert;
  // True when the request may have reached the server (it could have acted on it).
  bool ambiguous() const {
    return failure == Failure::Timeout || failure == Failure::Reset || failure == Failure::TooLarge ||
           failure == Failure::Protocol || failure == Failure::Other;
  }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // An HTTP answer of any status, or throws TransportError.
  virtual HttpResponse send(const HttpRequest& req) = 0;
};

// libcurl. `trace` gets one line per request/response when set (verbose),
// with Authorization values redacted.
std::unique_ptr<Transport> make_curl_transport(std::function<void(const std::string&)> trace = {});

// Replaces credentials in a header line with "[redacted]".
std::string redact_header(const std::string& name, const std::string& value);

}  // namespace portico::net

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
  std::size_t max_response_bytes = 64u << 20;
  // Upload progress (bytes sent, total), when set.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// Why a request got no HTTP answer.
enum class Failure { Resolve, Connect, Tls, Timeout, Reset, TooLarge, Other };

struct TransportError : std::runtime_error {
  TransportError(Failure f, const std::string& msg) : std::runtime_error(msg), failure(f) {}
  Failure failure;
  // True when the request may have reached the server (it could have acted on it).
  bool ambiguous() const { return failure == Failure::Timeout || failure == Failure::Reset || failure == Failure::Other; }
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

// The adapter's four operations over a net::Transport, with what makes a
// client trustworthy in CI: TLS verification, timeouts, retries with
// exponential backoff and jitter on connection failures and 502/503/504
// (never on 4xx), one token renewal on 401, a 409 after an ambiguous
// failure checked against GET /apis, and every outcome mapped to
// portico's exit codes (throws portico::Error).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/http.hpp"

namespace portico::client {

struct Target {
  std::string label;     // environment name or URL, for messages
  std::string base_url;  // .../api/mgw/adapter/0.1
  std::string ca_file;
  bool insecure = false;
};

struct Auth {
  std::string username, password;  // Basic, when set
  std::string token;               // Bearer, when set (preferred)
  // Credentials to renew an expired token with; nullopt when none are at hand.
  std::function<std::optional<std::pair<std::string, std::string>>()> renewal_credentials;
  // Called with a renewed token and its expiry, to store it.
  std::function<void(const std::string&, long long)> on_renewed;
  // Where the credentials came from, for hints: "PORTICO_USERNAME and
  // PORTICO_PASSWORD", "PORTICO_TOKEN", "the stored login", or "".
  std::string origin;
};

struct Options {
  int retries = 3;
  long connect_timeout_ms = 10000;
  long timeout_ms = 120000;
  std::function<void(std::size_t, std::size_t)> progress;           // upload progress
  std::function<void(const std::string&)> notice;                    // retries, renewals (stderr)
  std::function<void(long)> sleep_ms;                                // injectable for tests
};

struct ApiInfo {
  std::string name, version, type, context, vhost;
  std::vector<std::string> environments;
};

struct Token {
  std::string token;
  long long expires = 0;
};

class AdapterClient {
 public:
  AdapterClient(net::Transport& transport, Target target, Auth auth, Options options = {});

  Token login(const std::string& username, const std::string& password);
  // Uploads the archive. `expected` (name, version) is used to settle a 409
  // that follows an ambiguous failure.
  void deploy(const std::string& zip_path, bool override, const std::string& name, const std::string& version);
  // `total`, when given, gets how many APIs match (the adapter's "total",
  // which --limit does not cut).
  std::vector<ApiInfo> list(const std::string& query = {}, long limit = 0, std::size_t* total = nullptr);
  void undeploy(const std::string& name, const std::string& version, const std::string& vhost,
                const std::vector<std::string>& environments);

 private:
  net::HttpResponse send(net::HttpRequest req, bool authenticated, bool* ambiguous_failure = nullptr);
  void add_auth(net::HttpRequest& req) const;
  [[noreturn]] void fail_status(const net::HttpResponse& res, const std::string& action) const;
  // `message` (an adapter's) with every credential of this client replaced by "[redacted]".
  std::string scrub(std::string message) const;

  net::Transport& transport_;
  Target target_;
  Auth auth_;
  Options options_;
  std::size_t upload_bytes_ = 0;  // the archive being deployed, for a 413's message
  std::vector<std::string> secrets_;  // passwords of token requests (and their Basic form), for scrub()
};

// The `exp` claim of a JWT, without verifying it (0 when unreadable).
long long token_expiry(const std::string& jwt);

// "key=value&..." with percent-encoding.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace portico::client

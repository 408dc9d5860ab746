// The JSON bodies the client reads: client::AdapterClient's login (token
// answer), list (API list), deploy (409 settling reads the list) and
// undeploy, and its error answers (the message of a 4xx/5xx body, token
// renewal on 401), over an in-memory transport that answers every request
// with the fuzzed status and body; and client::token_expiry on the body.
// Input: one byte picking the operation and the status, then the body.
#include <cstdint>
#include <cstdlib>

#include "client/adapter.hpp"
#include "fuzz_input.hpp"
#include "util/error.hpp"

using namespace portico;

namespace {

class Canned : public net::Transport {
 public:
  Canned(long status, std::string body) : status_(status), body_(std::move(body)) {}
  net::HttpResponse send(const net::HttpRequest&) override {
    if (++calls_ > 20) std::abort();  // bounded: retries and renewal only
    net::HttpResponse r;
    r.status = status_;
    r.body = body_;
    return r;
  }

 private:
  long status_;
  std::string body_;
  int calls_ = 0;
};

constexpr long kStatuses[] = {200, 200, 200, 200, 401, 403, 404, 409, 413, 500, 502, 503, 400, 422, 204, 302};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  unsigned op = data[0] & 3, st = (data[0] >> 2) & 15;
  bool renew = data[0] & 0x40;
  std::string body(fuzz::as_view(data + 1, size - 1));
  (void)client::token_expiry(body);
  Canned transport(kStatuses[st], body);
  client::Target target{"Default", "https://127.0.0.1:9843/api/mgw/adapter/0.1", "", false};
  client::Auth auth;
  if (renew) {
    auth.token = "expired.token.value";
    auth.renewal_credentials = [] { return std::optional<std::pair<std::string, std::string>>({"admin", "admin"}); };
    auth.on_renewed = [](const std::string&, long long) {};
    auth.origin = "the stored login";
  } else {
    auth.username = "admin";
    auth.password = "admin";
  }
  client::Options options;
  options.retries = 1;
  options.sleep_ms = [](long) {};
  client::AdapterClient c(transport, target, auth, options);
  try {
    switch (op) {
      case 0: (void)c.login("admin", "admin"); break;
      case 1: {
        std::size_t total = 0;
        (void)c.list("", 0, &total);
        break;
      }
      case 2: c.deploy("/nonexistent/portico-fuzz.zip", data[0] & 0x80, "Inventory", "2.1.0"); break;
      default: c.undeploy("Inventory", "2.1.0", "localhost", {"Default"}); break;
    }
  } catch (const Error&) {
  }
  return 0;
}

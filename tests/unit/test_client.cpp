// The adapter client's policy (retries, renewal, 409 settling, exit codes)
// against a scripted fake transport: no sockets.
#include <doctest/doctest.h>

#include <deque>
#include <functional>

#include "client/adapter.hpp"
#include "client/download.hpp"
#include "client/prepare.hpp"
#include "doc/document.hpp"
#include "process.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"

using namespace portico;

namespace {

struct Script : net::Transport {
  // Each step answers one request (or throws).
  std::deque<std::function<net::HttpResponse(const net::HttpRequest&)>> steps;
  std::vector<net::HttpRequest> seen;
  net::HttpResponse send(const net::HttpRequest& r) override {
    seen.push_back(r);
    REQUIRE_FALSE(steps.empty());
    auto f = steps.front();
    steps.pop_front();
    return f(r);
  }
  void answer(long status, std::string body = "") {
    steps.push_back([status, body](const net::HttpRequest&) { return net::HttpResponse{status, body, {}}; });
  }
  void fail(net::Failure f) {
    steps.push_back([f](const net::HttpRequest&) -> net::HttpResponse { throw net::TransportError(f, "boom"); });
  }
};

struct Harness {
  Script t;
  std::vector<long> sleeps;
  client::Auth auth;
  client::Options options;
  Harness() {
    auth.username = "admin";
    auth.password = "admin";
    options.sleep_ms = [this](long ms) { sleeps.push_back(ms); };
  }
  client::AdapterClient make() { return client::AdapterClient(t, {"local", "https://gw/api/mgw/adapter/0.1", "", false}, auth, options); }
};

const char* kListed = R"({"total":1,"count":1,"list":[{"apiName":"Pets","version":"1","apiType":"HTTP","context":"/pets/1","gateway-envs":["Default"],"vhost":"localhost"}]})";
const char* kEmpty = R"({"total":0,"count":0,"list":[]})";

ExitCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ExitCode::Ok;
}

}  // namespace

TEST_CASE("client: 502/503/504 and refused connections are retried with growing, jittered delays") {
  Harness h;
  h.t.answer(503);
  h.t.fail(net::Failure::Connect);
  h.t.answer(504);
  h.t.answer(200, kListed);
  auto c = h.make();
  auto apis = c.list();
  CHECK(apis.size() == 1);
  REQUIRE(h.sleeps.size() == 3);
  CHECK(h.sleeps[0] >= 250);
  CHECK(h.sleeps[0] <= 750);
  CHECK(h.sleeps[2] >= 1000);  // 2000 ms +-50%
  CHECK(h.sleeps[2] <= 3000);
}

TEST_CASE("client: a 503 with Retry-After waits at least that long (capped at 60 s) before the retry") {
  Harness h;
  h.t.steps.push_back([](const net::HttpRequest&) { return net::HttpResponse{503, "{}", {{"retry-after", "3"}}}; });
  h.t.steps.push_back([](const net::HttpRequest&) { return net::HttpResponse{503, "{}", {{"retry-after", "86400"}}}; });
  h.t.steps.push_back([](const net::HttpRequest&) { return net::HttpResponse{503, "{}", {{"retry-after", "soon"}}}; });
  h.t.answer(200, kListed);
  auto c = h.make();
  CHECK(c.list().size() == 1);
  REQUIRE(h.sleeps.size() == 3);
  CHECK(h.sleeps[0] >= 3000);
  CHECK(h.sleeps[0] <= 3500);
  CHECK(h.sleeps[1] >= 60000);  // capped
  CHECK(h.sleeps[1] <= 62000);
  CHECK(h.sleeps[2] <= 3000);   // not a number: the usual back-off (2000 ms +-50%)
}

TEST_CASE("client: retries stop after --retries, the last failure decides the exit code") {
  Harness h;
  h.options.retries = 1;
  h.t.answer(503);
  h.t.answer(503);
  auto c = h.make();
  CHECK(code_of([&] { c.list(); }) == ExitCode::Network);
  Harness n;
  n.options.retries = 0;
  n.t.fail(net::Failure::Connect);
  auto c2 = n.make();
  CHECK(code_of([&] { c2.list(); }) == ExitCode::Network);
}

TEST_CASE("client: 4xx answers are never retried, and map to the exit code table") {
  for (auto [status, code] : {std::pair{401L, ExitCode::Auth}, std::pair{403L, ExitCode::Auth},
                              std::pair{400L, ExitCode::Refused}, std::pair{500L, ExitCode::Refused}}) {
    CAPTURE(status);
    Harness h;
    h.t.answer(status, R"({"code":1,"message":"because"})");
    auto c = h.make();
    CHECK(code_of([&] { c.deploy("/dev/null", false, "Pets", "1"); }) == code);
    CHECK(h.t.seen.size() == 1);
  }
}

TEST_CASE("client: an empty 500 says to run validate and read the adapter's log") {
  Harness h;
  h.t.answer(500);
  auto c = h.make();
  try {
    c.deploy("/dev/null", false, "Pets", "1");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::Refused);
    CHECK(e.hint().find("portico validate") != std::string::npos);
  }
}

TEST_CASE("client: timeouts, TLS failures, unreadable and too large answers are not retried and exit 6") {
  for (auto f : {net::Failure::Timeout, net::Failure::Tls, net::Failure::TlsVerify, net::Failure::Resolve,
                 net::Failure::Protocol, net::Failure::TooLarge}) {
    Harness h;
    h.t.fail(f);
    auto c = h.make();
    CHECK(code_of([&] { c.list(); }) == ExitCode::Network);
    CHECK(h.sleeps.empty());
  }
}

TEST_CASE("client: a 409 says whether --override would help") {
  Harness exists;
  exists.t.answer(409);
  exists.t.answer(200, kListed);
  auto c = exists.make();
  try {
    c.deploy("/dev/null", false, "Pets", "1");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::Refused);
    CHECK(e.hint().find("--override") != std::string::npos);
  }
  Harness clash;
  clash.t.answer(409);
  clash.t.answer(200, kEmpty);
  auto c2 = clash.make();
  try {
    c2.deploy("/dev/null", true, "Pets", "1");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.hint().find("does not help") != std::string::npos);
  }
}

TEST_CASE("client: a 409 after a lost answer is settled by GET /apis") {
  Harness h;
  h.t.fail(net::Failure::Reset);  // the upload may have gone through
  h.t.answer(409);
  h.t.answer(200, kListed);
  auto c = h.make();
  CHECK_NOTHROW(c.deploy("/dev/null", false, "Pets", "1"));
}

TEST_CASE("client: a refused bearer token is renewed once with the credentials at hand") {
  Harness h;
  h.auth.username.clear();
  h.auth.token = "old";
  std::string stored;
  h.auth.renewal_credentials = [] { return std::optional<std::pair<std::string, std::string>>({"admin", "pw"}); };
  h.auth.on_renewed = [&](const std::string& t, long long) { stored = t; };
  h.t.answer(401);
  h.t.answer(200, R"({"accessToken":"new"})");
  h.t.answer(200, kEmpty);
  auto c = h.make();
  CHECK(c.list().empty());
  CHECK(stored == "new");
  REQUIRE(h.t.seen.size() == 3);
  CHECK(h.t.seen[1].url.find("/oauth2/token") != std::string::npos);
  bool bearer_new = false;
  for (const auto& [k, v] : h.t.seen[2].headers) bearer_new |= v == "Bearer new";
  CHECK(bearer_new);

  Harness twice;
  twice.auth.username.clear();
  twice.auth.token = "old";
  twice.auth.renewal_credentials = [] { return std::optional<std::pair<std::string, std::string>>({"a", "b"}); };
  twice.t.answer(401);
  twice.t.answer(200, R"({"accessToken":"new"})");
  twice.t.answer(401);
  auto c2 = twice.make();
  CHECK(code_of([&] { c2.list(); }) == ExitCode::Auth);  // only once
}

TEST_CASE("client: requests follow the adapter's contract") {
  Harness h;
  h.t.answer(200);
  h.t.answer(200, kEmpty);
  h.t.answer(200);
  auto c = h.make();
  c.deploy("/tmp/x.zip", true, "Pets", "1");
  c.list("type:http", 5);
  c.undeploy("Pets", "1", "localhost", {"Default", "Eu"});
  CHECK(h.t.seen[0].url == "https://gw/api/mgw/adapter/0.1/apis?override=true");
  CHECK(h.t.seen[0].file_part_name == "file");
  CHECK(h.t.seen[1].url == "https://gw/api/mgw/adapter/0.1/apis?query=type%3Ahttp&limit=5");
  CHECK(h.t.seen[2].method == "DELETE");
  CHECK(h.t.seen[2].url ==
        "https://gw/api/mgw/adapter/0.1/apis?apiName=Pets&version=1&vhost=localhost&environments=Default%3AEu");
  CHECK(h.t.seen[2].body.empty());
  bool basic = false;
  for (const auto& [k, v] : h.t.seen[0].headers) basic |= k == "Authorization" && v == "Basic " + base64::encode("admin:admin");
  CHECK(basic);
}

TEST_CASE("client: verbose traces never show credentials") {
  CHECK(net::redact_header("Authorization", "Basic YWRtaW46YWRtaW4=") == "Basic [redacted]");
  CHECK(net::redact_header("authorization", "Bearer abc.def.ghi") == "Bearer [redacted]");
  CHECK(net::redact_header("Content-Type", "application/json") == "application/json");
}

TEST_CASE("client: a token's expiry is read from its exp claim") {
  std::string jwt = "x." + base64::encode_url(R"({"exp":1234})") + ".y";
  CHECK(client::token_expiry(jwt) == 1234);
  CHECK(client::token_expiry("garbage") == 0);
  // Found by fuzz/client_json: a float or huge exp overflowed long long.
  CHECK(client::token_expiry("x." + base64::encode_url(R"({"exp":1e300})") + ".y") > 1'700'000'000);
  CHECK(client::token_expiry("x." + base64::encode_url(R"({"exp":1234.9})") + ".y") == 1234);
  CHECK(client::token_expiry("x." + base64::encode_url(R"({"exp":-5})") + ".y") == 0);
}

// Found by fuzz/client_json: an item that is not an object, or a field that
// is not a string, threw nlohmann's type_error ("internal error") instead of
// being read as the adapter's mistake.
TEST_CASE("client: a list answer with odd items is refused and odd fields read as empty") {
  Harness h;
  h.t.answer(200, R"({"list":[{"apiName":5,"version":"1","vhost":null,"gateway-envs":["Default",3]}],"total":-1})");
  h.t.answer(200, R"({"list":[1,"x"]})");
  auto c = h.make();
  std::size_t total = 0;
  auto apis = c.list("", 0, &total);
  REQUIRE(apis.size() == 1);
  CHECK(apis[0].name.empty());
  CHECK(apis[0].version == "1");
  CHECK(apis[0].vhost.empty());
  CHECK(apis[0].environments == std::vector<std::string>{"Default"});
  CHECK(total == 1);
  CHECK(code_of([&] { c.list(); }) == ExitCode::Refused);
}

// Issue 10 item 14: deploy parsed a project twice (once to validate, once to
// archive) and a single definition's api.yaml was derived twice. Each input is
// parsed once now, and the slow steps are announced first.
TEST_CASE("prepare: a project directory and a single definition are parsed once, with progress before each slow step") {
  test::TempDir t;
  std::string def = "openapi: 3.0.1\ninfo: {title: Pets, version: 1.0.0}\nx-wso2-basePath: /pets\n"
                    "x-wso2-production-endpoints:\n  urls: [http://a.example.com/v1]\npaths:\n";
  for (int i = 0; i < 2000; ++i) def += "  /r" + std::to_string(i) + ":\n    get: {responses: {'200': {description: OK}}}\n";
  std::string api = "type: api\nversion: v4.0.0\ndata:\n  name: Pets\n  version: 1.0.0\n  context: /pets\n"
                    "  type: HTTP\n  endpointImplementationType: ENDPOINT\n  endpointConfig:\n"
                    "    endpoint_type: http\n    production_endpoints: {url: http://a.example.com/v1}\n";
  test::write_file(t.path + "/proj/api.yaml", api);
  test::write_file(t.path + "/proj/Definitions/swagger.yaml", def);
  test::write_file(t.path + "/pets.yaml", def);

  std::vector<std::string> steps;
  client::Progress progress = [&](const std::string& step, std::uintmax_t bytes) {
    steps.push_back(step);
    CHECK(bytes == def.size());
  };
  auto before = doc::bytes_parsed();
  client::Prepared p = client::prepare(t.path + "/proj", false, progress);
  CHECK_FALSE(p.blocked);
  CHECK(p.name == "Pets");
  CHECK(doc::bytes_parsed() - before == api.size() + def.size());
  REQUIRE(steps.size() == 2);
  CHECK(steps[0] == "validating " + t.path + "/proj");
  CHECK(steps[1] == "archiving " + t.path + "/proj");

  steps.clear();
  before = doc::bytes_parsed();
  client::Prepared q = client::prepare(t.path + "/pets.yaml", false, progress);
  CHECK_FALSE(q.blocked);
  CHECK(q.basepath == "/pets");
  // The definition once, plus the small api.yaml derived from it.
  CHECK(doc::bytes_parsed() - before < def.size() + 2000);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0] == "validating " + t.path + "/pets.yaml");
}

// ============================================================ init --oas URL

namespace {
// The Error download_definition throws (fails the test when it returns).
Error download_error(Script& t, const std::string& url, const std::string& ca_file = {}) {
  try {
    client::download_definition(t, url, ca_file);
  } catch (const Error& e) {
    return e;
  }
  FAIL("download_definition returned");
  return Error(ExitCode::Ok, "");
}
}  // namespace

TEST_CASE("client: an --oas download asks for at most 32 MiB, and more is an input error naming the limit") {
  Script t;
  t.answer(200, "openapi: 3.0.0\n");
  CHECK(client::download_definition(t, "https://example.test/openapi.yaml") == "openapi: 3.0.0\n");
  REQUIRE(t.seen.size() == 1);
  CHECK(t.seen[0].method == "GET");
  CHECK(t.seen[0].max_response_bytes == 32u << 20);
  CHECK(t.seen[0].ca_file.empty());

  t.fail(net::Failure::TooLarge);
  Error big = download_error(t, "https://example.test/big.yaml");
  CHECK(big.code() == ExitCode::Input);
  CHECK(std::string(big.what()) ==
        "--oas: https://example.test/big.yaml is larger than the 32 MiB limit for --oas downloads; nothing was written");
  CHECK(big.hint().find("--oas FILE") != std::string::npos);
}

TEST_CASE("client: an --oas download refuses http://, maps HTTP errors and the network to exit 6, hints --ca-cert") {
  Script t;
  Error plain = download_error(t, "http://example.test/openapi.yaml");
  CHECK(plain.code() == ExitCode::Usage);
  CHECK(t.seen.empty());  // refused before any request

  t.answer(404);
  Error missing = download_error(t, "https://example.test/openapi.yaml");
  CHECK(missing.code() == ExitCode::Network);
  CHECK(std::string(missing.what()).find("answered HTTP 404") != std::string::npos);

  t.fail(net::Failure::TlsVerify);
  Error untrusted = download_error(t, "https://example.test/openapi.yaml");
  CHECK(untrusted.code() == ExitCode::Network);
  CHECK(untrusted.hint().find("--ca-cert FILE") != std::string::npos);

  t.fail(net::Failure::Reset);
  CHECK(download_error(t, "https://example.test/openapi.yaml").code() == ExitCode::Network);

  Error no_ca = download_error(t, "https://example.test/openapi.yaml", "/nonexistent/ca.pem");
  CHECK(no_ca.code() == ExitCode::Input);
  CHECK(t.seen.size() == 3);  // the missing CA file was refused before any request
}

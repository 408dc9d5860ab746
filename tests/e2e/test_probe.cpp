// `portico probe` and `portico endpoints` end to end: the built binary (and
// the library's socket prober) against backends the tests start on loopback
// (tests/support/backends.hpp): HTTP 200, HTTP 503, silent, closed port,
// black hole, HTTPS with a trusted, untrusted or expired certificate.
//
// Network rule: only 127.0.0.1 and `localhost` (from /etc/hosts). The name
// that cannot be resolved has a 64-character label, which no DNS query can
// carry: the resolver fails it locally, without asking any server.
#include <doctest/doctest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backends.hpp"
#include "crypto/keys.hpp"
#include "process.hpp"
#include "probe/prober.hpp"
#include "strings.hpp"

using namespace portico;
using namespace portico::test;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// ------------------------------------------------------------ definitions

struct GroupSpec {
  std::string path;  // "" for the API level
  std::string environment = "production";
  std::string type;  // "" leaves `type` out (round robin)
  std::vector<std::string> urls;
};

// An OpenAPI 3 definition with these endpoint blocks.
std::string definition(const std::vector<GroupSpec>& groups) {
  auto block = [](const GroupSpec& g, const std::string& indent) {
    std::string s = indent + "x-wso2-" + g.environment + "-endpoints:\n";
    if (!g.type.empty()) s += indent + "  type: " + g.type + "\n";
    s += indent + "  urls:\n";
    for (const auto& u : g.urls) s += indent + "    - '" + u + "'\n";
    return s;
  };
  std::string y =
      "openapi: 3.0.1\n"
      "info: {title: ProbeTest, version: 2.1.0}\n"
      "x-wso2-basePath: /probe\n";
  std::vector<std::string> paths;
  for (const auto& g : groups) {
    if (g.path.empty())
      y += block(g, "");
    else if (std::find(paths.begin(), paths.end(), g.path) == paths.end())
      paths.push_back(g.path);
  }
  if (paths.empty()) paths.push_back("/health");
  y += "paths:\n";
  for (const auto& p : paths) {
    y += "  " + p + ":\n";
    for (const auto& g : groups)
      if (g.path == p) y += block(g, "    ");
    y += "    get:\n      responses:\n        '200': {description: OK}\n";
  }
  return y;
}

// ---------------------------------------------------------------- running

// curl must never go through a proxy: every address in these tests is loopback.
const std::map<std::string, std::string> kEnv{
    {"no_proxy", "*"},   {"NO_PROXY", "*"},    {"http_proxy", ""}, {"https_proxy", ""}, {"HTTP_PROXY", ""},
    {"HTTPS_PROXY", ""}, {"ALL_PROXY", ""},    {"all_proxy", ""},  {"NO_COLOR", "1"},
};

struct Run {
  ProcessResult r;
  json j;  // for --format json
  double wall_ms = 0;
};

Run run_portico(std::vector<std::string> args, bool as_json = true) {
  args.insert(args.begin(), portico_binary());
  if (as_json) {
    args.push_back("--format");
    args.push_back("json");
  }
  Run out;
  auto t0 = Clock::now();
  out.r = run(args, {}, kEnv);
  out.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (as_json) {
    INFO("stdout: " << out.r.out << "\nstderr: " << out.r.err);
    try {
      out.j = json::parse(out.r.out);
    } catch (const std::exception& e) {
      FAIL_CHECK("stdout is not one JSON document: " << std::string(e.what()));
    }
  }
  return out;
}

// Writes the definition into `dir` and probes it.
Run probe_definition(const TempDir& dir, const std::vector<GroupSpec>& groups, std::vector<std::string> flags,
                     bool as_json = true) {
  std::string file = dir.path + "/api.yaml";
  write_file(file, definition(groups));
  flags.insert(flags.begin(), {"probe", file});
  return run_portico(flags, as_json);
}

const json& group(const json& report, const std::string& path, const std::string& environment = "production") {
  static const json none;
  if (!report.contains("groups")) return none;
  for (const auto& g : report["groups"]) {
    bool api = path.empty();
    if (g["scope"] == (api ? "api" : "resource") && (api ? g["path"].is_null() : g["path"] == path) &&
        g["environment"] == environment)
      return g;
  }
  FAIL_CHECK("no group " << (path.empty() ? "(API)" : path) << " " << environment << " in " << report.dump());
  return none;
}

const json& endpoint(const json& g, std::size_t i) {
  static const json none;
  if (!g.contains("endpoints") || g["endpoints"].size() <= i) {
    FAIL_CHECK("no endpoint " << i << " in " << g.dump());
    return none;
  }
  return g["endpoints"][i];
}


// ------------------------------------------------------------ certificates

EVP_PKEY* test_key() {
  static crypto::Pkey key = crypto::generate_rsa(2048);
  return key.get();
}

// A self-signed certificate for 127.0.0.1 and localhost that expired two
// days ago (notBefore ten days ago).
std::string expired_certificate_pem(EVP_PKEY* key) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -10L * 24 * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), -2L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext != nullptr);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(cert.get(), key, EVP_sha256()) > 0);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A host name no resolver can look up (a label of 64 characters), under .invalid.
const std::string kUnresolvable = std::string(64, 'a') + ".invalid";

}  // namespace

// ======================================================================= probe

TEST_CASE("probe: groups served by their primaries, a failover group with a backup down is degraded (exit 7), a host:port named by several groups is probed once") {
  Backend live(Backend::Kind::Http200), busy(Backend::Kind::Http503), silent(Backend::Kind::Hang);
  int closed = closed_port();
  TempDir t;
  auto run = probe_definition(
      t,
      {{"", "production", "failover", {live.url() + "/v1", "http://127.0.0.1:" + std::to_string(closed) + "/v1"}},
       {"/a", "production", "", {live.url() + "/v1", busy.url() + "/v1", silent.url() + "/v1"}},
       {"/b", "production", "failover", {live.url() + "/v2"}}},
      {"--timeout", "500"});
  INFO(run.r.out << run.r.err);
  CHECK(run.r.exit_code == 7);  // the API-level group lost its backup (issue 10: a loss of redundancy)
  CHECK(run.j["exit_code"] == 7);
  CHECK(run.j["timeout_ms"] == 500);
  CHECK(run.j["attempts"] == 2);
  CHECK(run.j["api"]["name"] == "ProbeTest");
  CHECK(run.j["api"]["version"] == "2.1.0");
  CHECK(run.j["api"]["basepath"] == "/probe");
  REQUIRE(run.j["groups"].size() == 3);

  const json& api = group(run.j, "");
  CHECK(api["type"] == "failover");
  CHECK(api["verdict"] == "degraded");  // the primary serves, its backup is down
  CHECK(api["serving"] == 0);
  CHECK(endpoint(api, 0)["available"] == true);
  CHECK(endpoint(api, 0)["reason"] == "ok");
  CHECK(endpoint(api, 0)["address"] == "127.0.0.1");
  CHECK(endpoint(api, 0)["attempts"] == 1);
  CHECK(endpoint(api, 0)["connect_ms"].is_number());
  CHECK_FALSE(endpoint(api, 0).contains("tls"));  // plain http: no TLS details
  CHECK(endpoint(api, 1)["available"] == false);
  CHECK(endpoint(api, 1)["reason"] == "refused");
  CHECK(endpoint(api, 1)["attempts"] == 2);
  CHECK(endpoint(api, 1)["connect_ms"].is_null());

  // A backend answering 503 and one that never answers are TCP-available: the
  // gateway keeps sending them traffic, so the probe counts them as up.
  const json& a = group(run.j, "/a");
  CHECK(a["type"] == "loadbalance");
  CHECK(a["verdict"] == "all-up");
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(endpoint(a, i)["available"] == true);
    CHECK(endpoint(a, i)["reason"] == "ok");
    CHECK_FALSE(endpoint(a, i).contains("http"));  // no --http, no HTTP result
  }
  const json& b = group(run.j, "/b");
  CHECK(b["verdict"] == "primary");
  CHECK(b["serving"] == 0);

  // One probe for the live host:port named by three groups (with different paths).
  CHECK(endpoint(a, 0)["address"] == endpoint(api, 0)["address"]);
  CHECK(endpoint(b, 0)["attempts"] == 1);
  CHECK(live.wait_accepted(1) == 1);
  CHECK(busy.wait_accepted(1, std::chrono::milliseconds(1000), std::chrono::milliseconds(0)) == 1);
  CHECK(silent.wait_accepted(1, std::chrono::milliseconds(1000), std::chrono::milliseconds(0)) == 1);
  CHECK(live.requests() == 0);  // TCP only without --http
  CHECK(busy.requests() == 0);
}

TEST_CASE("probe: a failover group whose primary is refused has failed over (exit 7), in JSON and human output") {
  Backend live(Backend::Kind::Http200);
  std::string closed = "http://127.0.0.1:" + std::to_string(closed_port());
  TempDir t;
  std::vector<GroupSpec> groups{{"", "production", "failover", {closed + "/v1", live.url() + "/v1"}}};

  auto run = probe_definition(t, groups, {"--timeout", "500"});
  CHECK(run.r.exit_code == 7);
  CHECK(run.j["exit_code"] == 7);
  const json& api = group(run.j, "");
  CHECK(api["verdict"] == "failed-over");
  CHECK(api["serving"] == 1);
  CHECK(endpoint(api, 0)["available"] == false);
  CHECK(endpoint(api, 0)["reason"] == "refused");
  CHECK(endpoint(api, 0)["attempts"] == 2);
  CHECK(endpoint(api, 1)["available"] == true);
  CHECK(endpoint(api, 1)["reason"] == "ok");

  auto human = probe_definition(t, groups, {"--timeout", "500"}, false);
  INFO(human.r.out);
  CHECK(human.r.exit_code == 7);
  CHECK(contains(human.r.out, "failed-over"));
  CHECK(contains(human.r.out, "refused"));
  CHECK(contains(human.r.out, "> " + live.url() + "/v1"));   // '>' marks the URL that takes traffic
  CHECK_FALSE(contains(human.r.out, "> " + closed + "/v1"));
  CHECK(contains(human.r.out, "timeout 500 ms x 2 attempts"));
  CHECK_FALSE(contains(human.r.out, "\x1b["));
}

TEST_CASE("probe: a load-balanced group that lost a member to a black hole is degraded (exit 7) after about attempts x timeout") {
  BlackHole hole;
  if (!hole.ok()) {
    MESSAGE("skipped: the kernel answers connects beyond a full accept queue here, no black hole on loopback");
    return;
  }
  Backend live(Backend::Kind::Http200);
  TempDir t;
  auto run = probe_definition(t, {{"", "production", "", {live.url(), hole.url()}}},
                              {"--timeout", "300", "--attempts", "2"});
  INFO(run.r.out << run.r.err);
  CHECK(run.r.exit_code == 7);
  const json& api = group(run.j, "");
  CHECK(api["type"] == "loadbalance");
  CHECK(api["verdict"] == "degraded");
  CHECK(api["serving"] == 0);
  CHECK(endpoint(api, 1)["available"] == false);
  CHECK(endpoint(api, 1)["reason"] == "timeout");
  CHECK(endpoint(api, 1)["attempts"] == 2);
  // Two attempts of 300 ms: not much less than 600 ms, and far from the
  // default 2 x 1000 ms (a loose bound, never a tight timing assertion).
  CHECK(run.j["elapsed_ms"].get<double>() >= 500);
  CHECK(run.wall_ms < 3000);
}

TEST_CASE("probe: a group with no available endpoint is unavailable and exit 8 wins over 7") {
  Backend live(Backend::Kind::Http200);
  std::string c1 = "http://127.0.0.1:" + std::to_string(closed_port());
  std::string c2 = "http://127.0.0.1:" + std::to_string(closed_port());
  TempDir t;
  auto run = probe_definition(t,
                              {{"", "production", "failover", {c1, c2}},
                               {"/failed-over", "production", "failover", {c1, live.url()}},
                               {"/lb-down", "production", "", {c2}},
                               {"/fine", "production", "", {live.url()}}},
                              {"--timeout", "500"});
  INFO(run.r.out << run.r.err);
  CHECK(run.r.exit_code == 8);
  CHECK(run.j["exit_code"] == 8);
  const json& api = group(run.j, "");
  CHECK(api["verdict"] == "unavailable");
  CHECK(api["serving"].is_null());
  CHECK(group(run.j, "/failed-over")["verdict"] == "failed-over");
  CHECK(group(run.j, "/lb-down")["verdict"] == "unavailable");
  CHECK(group(run.j, "/lb-down")["serving"].is_null());
  CHECK(group(run.j, "/fine")["verdict"] == "all-up");

  auto human = probe_definition(t, {{"", "production", "failover", {c1, c2}}}, {"--timeout", "500"}, false);
  CHECK(human.r.exit_code == 8);
  CHECK(contains(human.r.out, "unavailable"));
}

TEST_CASE("probe: a name that cannot be resolved is reason dns, localhost resolves to 127.0.0.1") {
  Backend live(Backend::Kind::Http200);
  TempDir t;
  auto run = probe_definition(
      t, {{"", "production", "failover", {"http://" + kUnresolvable + ":" + std::to_string(live.port()), live.url("http", "localhost")}}},
      {"--timeout", "500"});
  INFO(run.r.out << run.r.err);
  CHECK(run.r.exit_code == 7);
  const json& api = group(run.j, "");
  CHECK(api["verdict"] == "failed-over");
  CHECK(api["serving"] == 1);
  CHECK(endpoint(api, 0)["available"] == false);
  CHECK(endpoint(api, 0)["reason"] == "dns");
  CHECK(endpoint(api, 1)["available"] == true);
  CHECK(endpoint(api, 1)["address"] == "127.0.0.1");
  CHECK(live.wait_accepted(1) == 1);
}

TEST_CASE("probe: --http reports a 503 and a silent backend as unhealthy, informational, never unavailable") {
  Backend live(Backend::Kind::Http200), busy(Backend::Kind::Http503), silent(Backend::Kind::Hang);
  TempDir t;
  std::vector<GroupSpec> groups{{"", "production", "failover", {busy.url() + "/v1", live.url() + "/v1"}},
                                {"/slow", "production", "failover", {silent.url() + "/v1", live.url() + "/v1"}},
                                {"/lb", "production", "", {live.url() + "/v1", busy.url() + "/v1"}}};

  auto run = probe_definition(t, groups, {"--http", "--timeout", "500"});
  INFO(run.r.out << run.r.err);
  CHECK(run.r.exit_code == 0);  // HTTP results never change the verdicts
  const json& api = group(run.j, "");
  CHECK(api["verdict"] == "primary");
  CHECK(api["serving"] == 0);
  const json& e503 = endpoint(api, 0);
  CHECK(e503["available"] == true);
  CHECK(e503["reason"] == "ok");
  REQUIRE(e503.contains("http"));
  CHECK(e503["http"]["informational"] == true);
  CHECK(e503["http"]["status"] == 503);
  CHECK(e503["http"]["healthy"] == false);
  CHECK(e503["http"]["ttfb_ms"].is_number());
  const json& e200 = endpoint(api, 1);
  REQUIRE(e200.contains("http"));
  CHECK(e200["http"]["status"] == 200);
  CHECK(e200["http"]["healthy"] == true);

  const json& slow = group(run.j, "/slow");
  CHECK(slow["verdict"] == "primary");
  CHECK(endpoint(slow, 0)["available"] == true);
  REQUIRE(endpoint(slow, 0).contains("http"));
  CHECK(endpoint(slow, 0)["http"]["status"].is_null());
  CHECK(endpoint(slow, 0)["http"]["healthy"] == false);

  CHECK(group(run.j, "/lb")["verdict"] == "all-up");
  // One request per host:port, however many groups name it.
  CHECK(busy.requests() == 1);
  CHECK(live.requests() == 1);

  auto human = probe_definition(t, groups, {"--http", "--timeout", "500"}, false);
  INFO(human.r.out);
  CHECK(human.r.exit_code == 0);
  CHECK(contains(human.r.out, "HTTP 503"));
  CHECK(contains(human.r.out, "HTTP 200"));
  CHECK(contains(human.r.out, "informational"));
  CHECK(contains(human.r.out, "will not fail over"));
  // A warning for the 503 one and for the silent one, none for the healthy one.
  CHECK(contains(human.r.out, "warning: " + busy.url() + "/v1"));
  CHECK(contains(human.r.out, "warning: " + silent.url() + "/v1"));
  CHECK_FALSE(contains(human.r.out, "warning: " + live.url()));
}

TEST_CASE("probe: https with a certificate trusted through --ca-cert is available and verified, about 30 days left") {
  EVP_PKEY* key = test_key();
  std::string pem = crypto::self_signed_certificate_pem(key, {"localhost", "127.0.0.1"}, 30);
  Backend tls(Backend::Kind::Tls200, pem, key);
  TempDir t;
  std::string ca = t.path + "/ca.pem";
  write_file(ca, pem);
  std::vector<GroupSpec> groups{
      {"", "production", "failover", {tls.url("https") + "/v1", tls.url("https", "localhost") + "/v1"}}};

  SUBCASE("trusted") {
    auto run = probe_definition(t, groups, {"--timeout", "1000", "--ca-cert", ca, "--http"});
    INFO(run.r.out << run.r.err);
    CHECK(run.r.exit_code == 0);
    const json& api = group(run.j, "");
    CHECK(api["verdict"] == "primary");
    for (std::size_t i = 0; i < 2; ++i) {  // by IP address and by name
      CAPTURE(i);
      const json& e = endpoint(api, i);
      CHECK(e["available"] == true);
      CHECK(e["reason"] == "ok");
      REQUIRE(e.contains("tls"));
      CHECK(e["tls"]["verified"] == true);
      CHECK(e["tls"]["days_left"].get<long>() >= 29);
      CHECK(e["tls"]["days_left"].get<long>() <= 30);
      REQUIRE(e.contains("http"));
      CHECK(e["http"]["status"] == 200);
    }
    auto human = probe_definition(t, groups, {"--timeout", "1000", "--ca-cert", ca}, false);
    CHECK(human.r.exit_code == 0);
    CHECK((contains(human.r.out, "verified, 29 days left") || contains(human.r.out, "verified, 30 days left")));
  }
  SUBCASE("not trusted without --ca-cert") {
    auto run = probe_definition(t, groups, {"--timeout", "1000"});
    INFO(run.r.out << run.r.err);
    CHECK(run.r.exit_code == 8);
    const json& api = group(run.j, "");
    CHECK(api["verdict"] == "unavailable");
    const json& e = endpoint(api, 0);
    CHECK(e["available"] == false);
    CHECK(e["reason"] == "tls");
    REQUIRE(e.contains("tls"));
    CHECK(e["tls"]["verified"] == false);
    CHECK_FALSE(e["tls"]["error"].get<std::string>().empty());
    CHECK(tls.handshakes() >= 1);  // the handshake itself completed; verification failed
  }
}

TEST_CASE("probe: --parallel bounds the connections open at once (default 64), the rest queued, every endpoint probed") {
  // 72 https endpoints on 72 ports (targets are distinct host:port pairs);
  // each connection is held 100 ms before its handshake, so a client that
  // keeps more than N open would be seen holding more than N.
  EVP_PKEY* key = test_key();
  std::string pem = crypto::self_signed_certificate_pem(key, {"127.0.0.1"}, 30);
  TempDir t;
  std::string ca = t.path + "/ca.pem";
  write_file(ca, pem);
  constexpr int kPorts = 72;
  struct Case {
    std::vector<std::string> flags;
    int limit;
  };
  for (const Case& c : {Case{{"--parallel", "4"}, 4}, Case{{}, 64}}) {
    CAPTURE(c.limit);
    HeldTlsPorts servers(kPorts, std::chrono::milliseconds(100), pem, key);
    GroupSpec all{"", "production", "", {}};  // load balanced: every endpoint is probed
    for (int port : servers.ports()) all.urls.push_back("https://127.0.0.1:" + std::to_string(port) + "/v1");
    std::vector<std::string> flags{"--timeout", "10000", "--attempts", "1", "--ca-cert", ca};
    flags.insert(flags.end(), c.flags.begin(), c.flags.end());
    auto run = probe_definition(t, {all}, flags);
    INFO(run.r.out << run.r.err);
    CHECK(run.r.exit_code == 0);
    const json& g = group(run.j, "");
    REQUIRE(g["endpoints"].size() == kPorts);
    for (const auto& e : g["endpoints"]) {
      CHECK(e["available"] == true);
      CHECK(e["tls"]["verified"] == true);
    }
    for (std::size_t i = 0; i < kPorts; ++i) CHECK(servers.accepted(i) == 1);  // each once, none dropped
    CHECK(servers.handshakes() == kPorts);
    INFO("at most " << servers.held_at_most() << " held at once");
    CHECK(servers.held_at_most() <= c.limit);
    // The counter does see concurrency: more than the small limit when allowed.
    if (c.limit > 4) CHECK(servers.held_at_most() > 4);
  }
}

TEST_CASE("probe: --parallel takes 1 to 4096") {
  TempDir t;
  write_file(t.path + "/api.yaml", definition({{"", "production", "", {"http://127.0.0.1:" + std::to_string(closed_port()) + "/v1"}}}));
  for (const char* n : {"0", "4097", "100000", "-1"}) {
    CAPTURE(n);
    auto r = run({portico_binary(), "probe", t.path + "/api.yaml", "--parallel", n}, {}, kEnv);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "--parallel"));
  }
  for (const char* n : {"1", "4096"}) {
    CAPTURE(n);
    auto r = run({portico_binary(), "probe", t.path + "/api.yaml", "--parallel", n, "--attempts", "1"}, {}, kEnv);
    CHECK(r.exit_code == 8);  // probed: the one endpoint is refused
  }
}

TEST_CASE("probe: an expired certificate is reason tls and unavailable, even when trusted") {
  EVP_PKEY* key = test_key();
  std::string pem = expired_certificate_pem(key);
  Backend tls(Backend::Kind::Tls200, pem, key);
  TempDir t;
  std::string ca = t.path + "/expired.pem";
  write_file(ca, pem);
  auto run = probe_definition(t, {{"", "production", "failover", {tls.url("https") + "/v1"}}},
                              {"--timeout", "1000", "--attempts", "1", "--ca-cert", ca});
  INFO(run.r.out << run.r.err);
  CHECK(run.r.exit_code == 8);
  const json& e = endpoint(group(run.j, ""), 0);
  CHECK(e["available"] == false);
  CHECK(e["reason"] == "tls");
  CHECK(e["attempts"] == 1);
  REQUIRE(e.contains("tls"));
  CHECK(e["tls"]["verified"] == false);
  CHECK(e["tls"]["days_left"].get<long>() < 0);
  CHECK(contains(e["tls"]["error"].get<std::string>(), "expired"));
}

TEST_CASE("probe: an https endpoint whose server closes the connection during the handshake is unavailable, reason reset") {
  Backend closer(Backend::Kind::Close);
  TempDir t;
  auto run = probe_definition(t,
                              {{"", "production", "failover", {closer.url("https") + "/v1"}},
                               {"/plain", "production", "failover", {closer.url("http") + "/v1"}}},
                              {"--timeout", "1000"});
  INFO(run.r.out << run.r.err);
  CHECK(run.r.exit_code == 8);
  const json& e = endpoint(group(run.j, ""), 0);
  CHECK(e["available"] == false);
  // The peer closed the connection during the handshake: not a TLS problem
  // (no alert, no certificate), the connection was cut: spec reason `reset`,
  // which is what the prober means for "the connection closed during the TLS
  // handshake".
  CHECK(e["reason"] == "reset");
  // Over plain http the same backend is TCP-available: the gateway would use it.
  CHECK(group(run.j, "/plain")["verdict"] == "primary");
}

TEST_CASE("probe: --environment sandbox probes only the sandbox groups") {
  Backend live(Backend::Kind::Http200);
  std::string closed = "http://127.0.0.1:" + std::to_string(closed_port());
  TempDir t;
  std::vector<GroupSpec> groups{{"", "production", "failover", {closed}},
                                {"", "sandbox", "failover", {live.url()}},
                                {"/a", "production", "", {closed}},
                                {"/a", "sandbox", "", {live.url()}}};

  auto all = probe_definition(t, groups, {"--timeout", "300"});
  CHECK(all.r.exit_code == 8);
  CHECK(all.j["groups"].size() == 4);
  CHECK(live.wait_accepted(1) == 1);

  auto sandbox = probe_definition(t, groups, {"--timeout", "300", "--environment", "sandbox"});
  INFO(sandbox.r.out << sandbox.r.err);
  CHECK(sandbox.r.exit_code == 0);
  REQUIRE(sandbox.j["groups"].size() == 2);
  for (const auto& g : sandbox.j["groups"]) {
    CHECK(g["environment"] == "sandbox");
    CHECK((g["verdict"] == "primary" || g["verdict"] == "all-up"));
  }
  CHECK(live.wait_accepted(2) == 2);

  auto production = probe_definition(t, groups, {"--timeout", "300", "--environment", "production"});
  CHECK(production.r.exit_code == 8);
  REQUIRE(production.j["groups"].size() == 2);
  for (const auto& g : production.j["groups"]) CHECK(g["environment"] == "production");
  CHECK(live.wait_accepted(3, std::chrono::milliseconds(300), std::chrono::milliseconds(0)) == 2);  // not probed

  // A filter that leaves nothing to probe is an input error.
  auto nothing = probe_definition(t, {{"", "production", "", {live.url()}}}, {"--environment", "sandbox"}, false);
  CHECK(nothing.r.exit_code == 3);
}

TEST_CASE("probe: bad flags are usage errors (exit 2) with nothing on stdout") {
  TempDir t;
  write_file(t.path + "/api.yaml", definition({{"", "production", "", {"http://127.0.0.1:9/v1"}}}));
  for (std::vector<std::string> flags : {std::vector<std::string>{"--timeout", "0"},
                                         {"--timeout", "soon"},
                                         {"--attempts", "0"},
                                         {"--parallel", "0"},
                                         {"--environment", "staging"},
                                         {"--format", "xml"}}) {
    CAPTURE(flags[0] + " " + flags[1]);
    std::vector<std::string> args{portico_binary(), "probe", t.path + "/api.yaml"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = run(args, {}, kEnv);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_FALSE(r.err.empty());
  }
  auto missing = run({portico_binary(), "probe", t.path + "/missing.yaml"}, {}, kEnv);
  CHECK(missing.exit_code == 3);
}

// ----------------------------------------------------- the library's prober

TEST_CASE("probe: the socket prober gives one result per target, in order, with reasons and attempts") {
  Backend live(Backend::Kind::Http200);
  int closed = closed_port();
  BlackHole hole;
  auto prober = probe::make_socket_prober();
  probe::Options o;
  o.timeout_ms = 300;
  o.attempts = 2;

  std::vector<probe::Target> targets{{"127.0.0.1", live.port(), false},
                                     {"127.0.0.1", closed, false},
                                     {"localhost", live.port(), false},
                                     {kUnresolvable, 80, false}};
  if (hole.ok()) targets.push_back({"127.0.0.1", hole.port(), false});

  for (int parallel : {64, 1}) {
    CAPTURE(parallel);
    o.parallel = parallel;
    auto t0 = Clock::now();
    auto results = prober->probe(targets, o);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    REQUIRE(results.size() == targets.size());
    CHECK(results[0].available);
    CHECK(results[0].reason == probe::Reason::Ok);
    CHECK(results[0].attempts == 1);
    CHECK(results[0].address == "127.0.0.1");
    CHECK(results[0].connect_ms >= 0);
    CHECK(results[0].connect_ms < 300);
    CHECK_FALSE(results[0].tls.checked);
    CHECK_FALSE(results[1].available);
    CHECK(results[1].reason == probe::Reason::Refused);
    CHECK(results[1].attempts == 2);
    CHECK(results[2].available);
    CHECK(results[2].address == "127.0.0.1");
    CHECK_FALSE(results[3].available);
    CHECK(results[3].reason == probe::Reason::Dns);
    if (hole.ok()) {
      CHECK_FALSE(results[4].available);
      CHECK(results[4].reason == probe::Reason::Timeout);
      CHECK(results[4].attempts == 2);
    }
    CHECK(ms < 3000);
  }
  // Each probe of a live target is one connection.
  CHECK(live.wait_accepted(4) == 4);

  o.attempts = 3;
  auto three = prober->probe({{"127.0.0.1", closed, false}}, o);
  CHECK(three[0].attempts == 3);
  CHECK(three[0].reason == probe::Reason::Refused);
}

TEST_CASE("probe: the socket prober probes black holes concurrently, about attempts x timeout in all") {
  std::vector<std::unique_ptr<BlackHole>> holes;
  std::vector<probe::Target> targets;
  for (int i = 0; i < 4; ++i) {
    holes.push_back(std::make_unique<BlackHole>());
    if (!holes.back()->ok()) {
      MESSAGE("skipped: no black hole on loopback here");
      return;
    }
    targets.push_back({"127.0.0.1", holes.back()->port(), false});
  }
  probe::Options o;
  o.timeout_ms = 400;
  o.attempts = 2;
  auto t0 = Clock::now();
  auto results = probe::make_socket_prober()->probe(targets, o);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  for (const auto& r : results) {
    CHECK(r.reason == probe::Reason::Timeout);
    CHECK(r.attempts == 2);
  }
  // One after the other would take 4 x 2 x 400 ms = 3.2 s; together, about 0.8 s.
  CHECK(ms >= 700);
  CHECK(ms < 3000);
}

TEST_CASE("probe: the socket prober verifies https against Options::ca_file") {
  EVP_PKEY* key = test_key();
  std::string pem = crypto::self_signed_certificate_pem(key, {"localhost", "127.0.0.1"}, 30);
  Backend tls(Backend::Kind::Tls200, pem, key);
  TempDir t;
  write_file(t.path + "/ca.pem", pem);
  probe::Options o;
  o.timeout_ms = 1000;
  o.attempts = 1;
  auto prober = probe::make_socket_prober();

  auto untrusted = prober->probe({{"127.0.0.1", tls.port(), true}}, o);
  CHECK_FALSE(untrusted[0].available);
  CHECK(untrusted[0].reason == probe::Reason::Tls);
  CHECK(untrusted[0].tls.checked);
  CHECK_FALSE(untrusted[0].tls.verified);

  o.ca_file = t.path + "/ca.pem";
  auto trusted = prober->probe({{"127.0.0.1", tls.port(), true}, {"localhost", tls.port(), true}}, o);
  for (const auto& r : trusted) {
    CHECK(r.available);
    CHECK(r.reason == probe::Reason::Ok);
    CHECK(r.tls.checked);
    CHECK(r.tls.verified);
    CHECK(r.tls.days_left >= 29);
    CHECK(r.tls.days_left <= 30);
  }
  // A plain http target on the TLS port is just a TCP connect.
  auto plain = prober->probe({{"127.0.0.1", tls.port(), false}}, o);
  CHECK(plain[0].available);
  CHECK_FALSE(plain[0].tls.checked);
}

// =================================================================== endpoints

TEST_CASE("endpoints: agrees with the cluster assertions of Choreo Connect's unit tests") {
  std::string shared = shared_dir();
  if (shared.empty()) {
    MESSAGE("skipped: ../shared is absent");
    return;
  }
  std::string dir = shared + "/corpus/choreo-connect/unit/";
  struct Expected {
    std::string scope, path, environment, type;
    std::vector<std::string> urls;
    std::string source;
  };
  const std::vector<std::string> api_urls{"http://apiLevelEndpoint", "http://apiLevelLBEndpoint:8080"};
  const std::vector<std::string> res_urls{"https://resourceLevelEndpoint", "https://resourceLevelLBEndpoint:8080"};
  const std::string prod = "x-wso2-production-endpoints", sand = "x-wso2-sandbox-endpoints";
  std::map<std::string, std::vector<Expected>> table{
      {"openapi_with_extensions_only.yaml",
       {{"api", "", "production", "loadbalance", api_urls, prod},
        {"resource", "/pets", "production", "failover", res_urls, prod}}},
      {"openapi_with_extensions_servers.yaml",
       {{"api", "", "production", "loadbalance", api_urls, prod},
        {"resource", "/pets", "production", "failover", res_urls, prod}}},
      {"openapi_with_endpoint_ref.yaml",
       {{"api", "", "production", "loadbalance", api_urls, "#/x-wso2-endpoints/my-api-endpoints"},
        {"resource", "/pets", "production", "failover", res_urls, "#/x-wso2-endpoints/my-resource-endpoints"}}},
      {"openapi_prod_sand_clusters.yaml",
       {{"api", "", "production", "loadbalance", {"http://apiLevelProdEndpoint"}, prod},
        {"api", "", "sandbox", "loadbalance", {"http://apiLevelProdEndpoint"}, sand},
        {"resource", "/pets/{petId}", "production", "loadbalance", {"https://resourceLevelProdEndpoint"}, prod},
        {"resource", "/pets/{petId}", "sandbox", "loadbalance", {"https://resourceLevelProdEndpoint"}, sand}}},
  };
  for (const auto& [file, expected] : table) {
    CAPTURE(file);
    auto run = run_portico({"endpoints", dir + file});
    INFO(run.r.out << run.r.err);
    CHECK(run.r.exit_code == 0);
    const json& groups = run.j["groups"];
    REQUIRE(groups.is_array());
    CHECK(groups.size() == expected.size());
    for (const auto& e : expected) {
      CAPTURE(e.scope + " " + e.path + " " + e.environment);
      const json* found = nullptr;
      for (const auto& g : groups)
        if (g["scope"] == e.scope && g["environment"] == e.environment &&
            (e.path.empty() ? g["path"].is_null() : g["path"] == e.path))
          found = &g;
      REQUIRE(found != nullptr);
      CHECK((*found)["type"] == e.type);
      CHECK((*found)["urls"].get<std::vector<std::string>>() == e.urls);
      CHECK((*found)["source"] == e.source);
    }
  }
}

TEST_CASE("endpoints: --format json has the shape of cli.md and needs no network") {
  TempDir t;
  // Hosts that do not exist anywhere: `endpoints` must not try to reach them.
  std::string y =
      "openapi: 3.0.1\n"
      "info: {title: Shape, version: 1.0.0}\n"
      "x-wso2-basePath: /shape\n"
      "x-wso2-production-endpoints:\n"
      "  type: failover\n"
      "  urls: [http://primary.invalid/v1, '  backup.invalid/v1  ']\n"
      "x-wso2-sandbox-endpoints: '#/x-wso2-endpoints/sand'\n"
      "x-wso2-endpoints:\n"
      "  - sand:\n"
      "      urls: [https://sandbox.invalid/v1]\n"
      "paths:\n"
      "  /pets:\n"
      "    x-wso2-production-endpoints:\n"
      "      type: failover\n"
      "      urls: [https://pets.invalid:8443/v1]\n"
      "    get:\n      responses:\n        '200': {description: OK}\n"
      "  /other:\n"
      "    get:\n      responses:\n        '200': {description: OK}\n";
  write_file(t.path + "/shape.yaml", y);
  auto run = run_portico({"endpoints", t.path + "/shape.yaml"});
  INFO(run.r.out << run.r.err);
  CHECK(run.r.exit_code == 0);
  const json& j = run.j;
  REQUIRE(j.is_object());
  CHECK(j.size() == 3);
  CHECK(j["strict"] == true);  // the root x-wso2-endpoints list 'sand' is built
  REQUIRE(j.contains("api"));
  CHECK(j["api"] == json{{"name", "Shape"}, {"version", "1.0.0"}, {"basepath", "/shape"}});
  REQUIRE(j["groups"].is_array());
  REQUIRE(j["groups"].size() == 3);
  const std::set<std::string> keys{"scope", "path", "environment", "type", "urls", "source", "dropped",
                                   "uses_production_cluster"};
  for (const auto& g : j["groups"]) {
    std::set<std::string> have;
    for (auto it = g.begin(); it != g.end(); ++it) have.insert(it.key());
    CHECK(have == keys);
    CHECK((g["scope"] == "api" || g["scope"] == "resource"));
    CHECK((g["environment"] == "production" || g["environment"] == "sandbox"));
    CHECK((g["type"] == "failover" || g["type"] == "loadbalance"));
    CHECK(g["urls"].is_array());
    CHECK(g["source"].is_string());
    CHECK(g["path"].is_null() == (g["scope"] == "api"));
  }
  CHECK(j["groups"][0] == json{{"scope", "api"},
                               {"path", nullptr},
                               {"environment", "production"},
                               {"type", "failover"},
                               {"urls", {"http://primary.invalid/v1", "http://backup.invalid/v1"}},
                               {"source", "x-wso2-production-endpoints"},
                               {"dropped", nullptr},
                               {"uses_production_cluster", false}});
  CHECK(j["groups"][1] == json{{"scope", "api"},
                               {"path", nullptr},
                               {"environment", "sandbox"},
                               {"type", "loadbalance"},
                               {"urls", {"https://sandbox.invalid/v1"}},
                               {"source", "#/x-wso2-endpoints/sand"},
                               {"dropped", nullptr},
                               {"uses_production_cluster", false}});
  CHECK(j["groups"][2] == json{{"scope", "resource"},
                               {"path", "/pets"},
                               {"environment", "production"},
                               {"type", "failover"},
                               {"urls", {"https://pets.invalid:8443/v1"}},
                               {"source", "x-wso2-production-endpoints"},
                               {"dropped", nullptr},
                               {"uses_production_cluster", false}});

  auto human = run_portico({"endpoints", t.path + "/shape.yaml"}, false);
  CHECK(human.r.exit_code == 0);
  CHECK(contains(human.r.out, "Shape 1.0.0 at /shape"));
  CHECK(contains(human.r.out, "https://pets.invalid:8443/v1"));
  CHECK(contains(human.r.out, "#/x-wso2-endpoints/sand"));
  CHECK(human.r.err.empty());
}

// ------------------------------------------------ lists the gateway drops

TEST_CASE("probe: a failover list with mixed paths is dropped, not probed, and leaves production without a backend (exit 8)") {
  // Both backends are up: a probe that ignored the gateway would say "primary".
  Backend a(Backend::Kind::Http200), b(Backend::Kind::Http200);
  TempDir t;
  std::vector<GroupSpec> groups{{"", "production", "failover", {a.url() + "/v1", b.url() + "/v2"}}};
  auto run = probe_definition(t, groups, {"--timeout", "500"});
  CHECK(run.r.exit_code == 8);
  const json& api = group(run.j, "");
  CHECK(api["verdict"] == "unavailable");
  CHECK(api["serving"].is_null());
  REQUIRE(api["dropped"].is_object());
  CHECK(api["dropped"]["fallback"].is_null());
  CHECK(contains(api["dropped"]["reason"].get<std::string>(), "do not share one path"));
  CHECK(endpoint(api, 0)["available"] == false);
  CHECK(endpoint(api, 0)["reason"].is_null());
  CHECK(contains(endpoint(api, 0)["error"].get<std::string>(), "not probed"));
  CHECK(a.accepted() == 0);  // nothing was sent to a list the gateway drops
  CHECK(b.accepted() == 0);

  auto human = probe_definition(t, groups, {"--timeout", "500"}, false);
  CHECK(human.r.exit_code == 8);
  CHECK(contains(human.r.out, "unavailable"));
  CHECK(contains(human.r.out, "dropped: (API) production"));
  CHECK(contains(human.r.out, "have no backend"));
}

TEST_CASE("probe: a resource list dropped in strict mode shares the API-level group's verdict, and endpoints shows the fallback") {
  Backend api_primary(Backend::Kind::Http200), resource(Backend::Kind::Http200), named(Backend::Kind::Http200);
  std::string closed = "http://127.0.0.1:" + std::to_string(closed_port());
  TempDir t;
  // The API-level list has failed over; /orders' own list is up but on /v2,
  // off the API path /v1 while the root x-wso2-endpoints list is built.
  std::string y =
      "openapi: 3.0.1\ninfo: {title: Strict, version: 1.0.0}\nx-wso2-basePath: /strict\n"
      "x-wso2-production-endpoints:\n  type: failover\n  urls: ['" + closed + "/v1', '" + api_primary.url() + "/v1']\n"
      "x-wso2-endpoints:\n  - shared:\n      urls: ['" + named.url() + "/v1']\n"
      "paths:\n  /orders:\n    x-wso2-production-endpoints:\n      type: failover\n"
      "      urls: ['" + resource.url() + "/v2', '" + resource.url() + "/v2/']\n"
      "    get: {responses: {'200': {description: OK}}}\n";
  write_file(t.path + "/strict.yaml", y);

  auto run = run_portico({"probe", t.path + "/strict.yaml", "--timeout", "500"});
  CHECK(run.r.exit_code == 7);  // the API-level group (which also serves /orders) has failed over
  const json& orders = group(run.j, "/orders");
  CHECK(orders["verdict"] == "dropped");
  CHECK(orders["traffic_verdict"] == "failed-over");
  CHECK(orders["dropped"]["fallback"] == "api");
  CHECK(resource.accepted() == 0);
  CHECK(group(run.j, "")["verdict"] == "failed-over");

  auto junit = run_portico({"probe", t.path + "/strict.yaml", "--timeout", "500", "--format", "junit"}, false);
  CHECK(contains(junit.r.out, "skipped=\"1\""));
  CHECK(contains(junit.r.out, "<skipped message="));

  auto ep = run_portico({"endpoints", t.path + "/strict.yaml"});
  CHECK(ep.r.exit_code == 0);
  CHECK(ep.j["strict"] == true);
  const json& eo = group(ep.j, "/orders");
  REQUIRE(eo["dropped"].is_object());
  CHECK(eo["dropped"]["fallback"] == "api");
  CHECK(contains(eo["dropped"]["reason"].get<std::string>(), "differs from the API path '/v1'"));
  CHECK(group(ep.j, "")["dropped"].is_null());

  auto human = run_portico({"endpoints", t.path + "/strict.yaml"}, false);
  CHECK(contains(human.r.out, "DROPPED"));
  CHECK(contains(human.r.out, "its traffic goes to the API-level production list instead"));
  CHECK(contains(human.r.out, "strict mode"));
}

TEST_CASE("probe: a failover group whose primary is up but a backup is down is degraded (exit 7)") {
  Backend live(Backend::Kind::Http200);
  std::string closed = "http://127.0.0.1:" + std::to_string(closed_port());
  TempDir t;
  std::vector<GroupSpec> groups{{"", "production", "failover", {live.url() + "/v1", closed + "/v1"}}};
  auto run = probe_definition(t, groups, {"--timeout", "500"});
  CHECK(run.r.exit_code == 7);
  const json& api = group(run.j, "");
  CHECK(api["verdict"] == "degraded");
  CHECK(api["serving"] == 0);
  auto human = probe_definition(t, groups, {"--timeout", "500"}, false);
  CHECK(human.r.exit_code == 7);
  CHECK(contains(human.r.out, "a backup is down"));
}

TEST_CASE("probe: --watch with a bad value is refused before anything is probed") {
  Backend live(Backend::Kind::Http200);
  TempDir t;
  std::vector<GroupSpec> groups{{"", "production", "failover", {live.url() + "/v1"}}};
  auto run = probe_definition(t, groups, {"--watch", "0"}, false);
  CHECK(run.r.exit_code == 2);
  CHECK(run.r.out.empty());
  CHECK(live.accepted() == 0);
}

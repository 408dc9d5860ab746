// Fault injection against the client (issue 12): servers that reset the
// connection mid-upload, stall after the response headers, answer garbage,
// send an endless body or oversized headers, present a bad certificate, or
// cut the TLS handshake. Every case ends with exit 6 (or 4) within the
// timeouts it was given, a message that says what happened, and nothing
// left behind: TMPDIR (a fresh folder per test) is empty afterwards and the
// project is byte for byte as it was.
//
// Servers: the fake adapter and hostile replies of tests/support/
// fake_servers.hpp (plain HTTP) and the TLS backends of backends.hpp, all
// on 127.0.0.1 with a port the kernel picks. Every run is bounded
// (--timeout and --retries small, and a kill after at most 60 s).
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "backends.hpp"
#include "crypto/keys.hpp"
#include "fake_servers.hpp"
#include "portico_cli.hpp"
#include "strings.hpp"

using namespace portico::test;
namespace fs = std::filesystem;

namespace {

const std::string kApis = std::string(FakeAdapter::kBase) + "/apis";

// A project of Pets 1.0.0 (with `docs_bytes` of incompressible
// documentation, so that an upload takes many writes), a client, and a fresh
// TMPDIR; `clean()` checks that nothing was left behind.
struct Faults {
  PorticoCli c;
  TempDir t, tmp;
  std::string proj = t.path + "/proj";
  std::map<std::string, std::string> before;

  explicit Faults(std::size_t docs_bytes = 0) {
    write_client_project(proj);
    if (docs_bytes) write_file(proj + "/Docs/manual.bin", noise(docs_bytes));
    before = tree_snapshot(proj);
    c.env = admin_credentials();
    c.env["TMPDIR"] = tmp.path;
  }

  CliRun deploy(const std::string& target, std::vector<std::string> flags = {}) const {
    flags.insert(flags.begin(), {"deploy", proj, "-e", target});
    return c(flags);
  }
  CliRun list(const std::string& target, std::vector<std::string> flags = {}) const {
    flags.insert(flags.begin(), {"list", "-e", target});
    return c(flags);
  }
  void clean() const {
    INFO("left in TMPDIR: " << join(tree_names(tmp.path), ", "));
    CHECK(tree_names(tmp.path).empty());
    CHECK(tree_snapshot(proj) == before);
  }
};

// A fake adapter that answers `reply` to every request (any method, any path).
FakeAdapter::Options always(const FakeReply& reply) {
  FakeAdapter::Options o;
  o.api.name = "Pets";
  o.api.version = "1.0.0";
  o.api.context = "/pets";
  o.hostile = FakeAdapter::Hostile::Custom;
  o.hostile_count = 1000;
  o.hostile_method = "";
  o.hostile_path = "";
  o.custom_reply = reply;
  return o;
}

std::size_t count_requests(const FakeAdapter& f, const std::string& method, const std::string& path) {
  std::size_t n = 0;
  for (const auto& r : f.requests()) n += r.method == method && r.path == path;
  return n;
}

// A TLS server on 127.0.0.1 whose certificate is self-signed for `names`
// and valid for `days` from an hour ago (negative: expired); cert_file holds
// the certificate, to pass as --ca-cert.
struct TlsServer {
  portico::crypto::Pkey key = portico::crypto::generate_rsa(2048);
  std::string cert;
  std::unique_ptr<Backend> backend;
  std::string cert_file;

  TlsServer(const std::vector<std::string>& names, int days, const std::string& dir) {
    cert = portico::crypto::self_signed_certificate_pem(key.get(), names, days);
    cert_file = dir + "/server-" + names.front() + std::to_string(days) + ".pem";
    write_file(cert_file, cert);
    backend = std::make_unique<Backend>(Backend::Kind::Tls200, cert, key.get());
  }
  std::string url() const { return backend->url("https"); }
};

}  // namespace

// ====================================================== resets and stalls

TEST_CASE("faults: a reset mid-upload on every attempt exits 6 after --retries, leaving nothing behind") {
  Faults f(2u << 20);  // 2 MiB of documentation that does not compress
  FakeAdapter fake(always(FakeReply::reset_mid_body(256u << 10)));
  auto r = f.deploy(fake.url(), {"--retries", "2", "--timeout", "20"});
  INFO(r);
  CHECK(r.code == 6);
  CHECK(contains(r.err, "the connection was reset"));
  CHECK(contains(r.err, "may still have been applied"));  // the server had the request: say so
  CHECK(count_requests(fake, "POST", kApis) == 3);          // the first attempt and 2 retries
  for (const auto& req : fake.requests()) {
    CAPTURE(req.body.size());
    CHECK(req.body.size() >= (256u << 10));  // each reset came mid-upload, not before it
  }
  f.clean();
}

TEST_CASE("faults: a server that stalls after sending the response headers exits 6 within --timeout") {
  Faults f;
  FakeAdapter fake(always(FakeReply::stall_after_head(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"list\":")));
  auto l = f.list(fake.url(), {"--timeout", "2"});  // list retries 3 times by default
  INFO(l);
  CHECK(l.code == 6);
  CHECK(contains(l.err, "did not answer in time"));
  CHECK(l.seconds < 12);  // a bound on the run, not a speed test: the timeout ends it
  CHECK(count_requests(fake, "GET", kApis) == 1);  // a timeout may have been acted on: not retried
  auto d = f.deploy(fake.url(), {"--timeout", "2", "--retries", "1"});
  INFO(d);
  CHECK(d.code == 6);
  CHECK(contains(d.err, "did not answer in time"));
  CHECK(d.seconds < 12);
  f.clean();
}

// ================================================================ garbage

TEST_CASE("faults: garbage instead of HTTP exits 6 saying the answer could not be read, without retrying") {
  Faults f;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"text", "hello, this is not an HTTP server\r\n\r\n"},
      {"binary", std::string("\x00\xff\x13\x37\x80garbage\x01\x02\r\n\r\n", 18)},
      {"bad status line", "HTTP/1.1 abc\r\n\r\n"},
      {"SSH banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"},
  };
  for (const auto& [name, bytes] : cases) {
    CAPTURE(name);
    FakeAdapter fake(always(FakeReply::raw(bytes)));
    auto l = f.list(fake.url(), {"--timeout", "10"});  // list retries 3 times by default
    INFO(l);
    CHECK(l.code == 6);
    CHECK(contains(l.err, "the adapter's answer could not be read"));
    CHECK(contains(l.err, "not HTTP"));
    CHECK(contains(l.err, "hint: check that the URL is the adapter's REST API"));
    CHECK(count_requests(fake, "GET", kApis) == 1);
    auto d = f.deploy(fake.url(), {"--retries", "3", "--timeout", "10"});
    INFO(d);
    CHECK(d.code == 6);
    CHECK(contains(d.err, "the adapter's answer could not be read"));
    CHECK(count_requests(fake, "POST", kApis) == 1);
  }
  f.clean();
}

// ========================================================= sizes: body, headers

TEST_CASE("faults: a 2 GB body announced by Content-Length is refused before any of it is read") {
  Faults f;
  FakeAdapter fake(always(FakeReply::flood(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n", 2ull << 30)));
  auto l = f.list(fake.url(), {"--timeout", "30"});
  INFO(l);
  CHECK(l.code == 6);
  CHECK(contains(l.err, "the response is larger than 64 MiB"));
  // What the server could push into the socket buffers before the client
  // hung up: far less than the 64 MiB the client would have read before.
  INFO("bytes sent: " << fake.server_bytes_sent());
  CHECK(fake.server_bytes_sent() < (32u << 20));
  auto d = f.deploy(fake.url(), {"--timeout", "30"});
  INFO(d);
  CHECK(d.code == 6);
  CHECK(contains(d.err, "the response is larger than 64 MiB"));
  CHECK(contains(d.err, "may still have been applied"));
  f.clean();
}

TEST_CASE("faults: an endless chunked body is cut at 64 MiB, never read to the end") {
  Faults f;
  FakeAdapter fake(always(FakeReply::flood(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", 2ull << 30)));
  auto l = f.list(fake.url(), {"--timeout", "30"});
  INFO(l);
  CHECK(l.code == 6);
  CHECK(contains(l.err, "the response is larger than 64 MiB"));
  INFO("bytes sent: " << fake.server_bytes_sent());
  CHECK(fake.server_bytes_sent() < (96u << 20));  // 64 MiB read, the rest in socket buffers at most
  f.clean();
}

TEST_CASE("faults: oversized response headers are reported as such, not as a reset, and not retried") {
  Faults f;
  const std::string body = R"({"total":0,"count":0,"list":[]})";
  auto answer_with_headers = [&](const std::string& headers) {
    return FakeReply::raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + headers + "Content-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  };
  std::string many;  // 100 lines of 1 KiB: past portico's 64 KiB
  for (int i = 0; i < 100; ++i) many += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
  const std::string one_line = "X-Huge: " + std::string(200000, 'b') + "\r\n";  // past libcurl's 100 KiB per line
  for (const auto& headers : {many, one_line}) {
    CAPTURE(headers.size());
    FakeAdapter fake(always(answer_with_headers(headers)));
    auto l = f.list(fake.url(), {"--timeout", "10"});  // list retries 3 times by default
    INFO(l);
    CHECK(l.code == 6);
    CHECK(contains(l.err, "the response headers exceed 64 KiB"));
    CHECK(!contains(l.err, "reset"));
    CHECK(!contains(l.err, "retry"));
    CHECK(count_requests(fake, "GET", kApis) == 1);
  }
  // Just under the limit is an ordinary answer.
  std::string under;
  for (int i = 0; i < 60; ++i) under += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
  FakeAdapter fine(always(answer_with_headers(under)));
  auto ok = f.list(fine.url());
  INFO(ok);
  CHECK(ok.code == 0);
  f.clean();
}

// =================================================================== TLS

TEST_CASE("faults: a self-signed, a wrong-host or an expired certificate exits 6 with a --ca-cert hint") {
  Faults f;
  {
    TlsServer s({"127.0.0.1"}, 30, f.t.path);
    for (const auto& r : {f.list(s.url(), {"--timeout", "10"}), f.deploy(s.url(), {"--timeout", "10"})}) {
      INFO(r);
      CHECK(r.code == 6);
      CHECK(contains(r.err, "the adapter's TLS certificate was not verified"));
      CHECK(contains(r.err, "hint: pass the adapter's CA with --ca-cert"));
    }
    // The same certificate pinned is trusted: the failures above were the certificate's.
    auto pinned = f.c({"list", "-e", s.url(), "--ca-cert", s.cert_file, "--timeout", "10"});
    INFO(pinned);
    CHECK(pinned.code != 6);
  }
  {
    TlsServer s({"adapter.example.com"}, 30, f.t.path);  // trusted once pinned, but for another name
    for (const auto& r : {f.list(s.url(), {"--ca-cert", s.cert_file, "--timeout", "10"}),
                          f.deploy(s.url(), {"--ca-cert", s.cert_file, "--timeout", "10"})}) {
      INFO(r);
      CHECK(r.code == 6);
      CHECK(contains(r.err, "not verified"));
      CHECK(contains(r.err, "does not name the host"));
      CHECK(contains(r.err, "--ca-cert"));
      CHECK(!contains(r.err, "does not chain to the pinned CA"));
    }
  }
  {
    TlsServer s({"127.0.0.1"}, -1, f.t.path);  // expired yesterday
    for (const auto& r : {f.list(s.url(), {"--ca-cert", s.cert_file, "--timeout", "10"}),
                          f.deploy(s.url(), {"--ca-cert", s.cert_file, "--timeout", "10"})}) {
      INFO(r);
      CHECK(r.code == 6);
      CHECK(contains(r.err, "expired"));
      CHECK(contains(r.err, "--ca-cert"));
      CHECK(!contains(r.err, "does not chain to the pinned CA"));
    }
  }
  f.clean();
}

TEST_CASE("faults: a TLS handshake closed, reset or answered in plain text exits 6 without the --ca-cert hint") {
  Faults f;
  Backend closing(Backend::Kind::Close), resetting(Backend::Kind::Reset), plain(Backend::Kind::PlainAnswer);
  for (const auto& url : {closing.url("https"), resetting.url("https"), plain.url("https")}) {
    CAPTURE(url);
    for (const std::vector<std::string>& pin : {std::vector<std::string>{}, {"--ca-cert", f.t.path + "/ca.pem"}}) {
      if (!pin.empty()) write_file(pin[1], portico::crypto::self_signed_certificate_pem(
                                               portico::crypto::generate_rsa(2048).get(), {"127.0.0.1"}, 30));
      std::vector<std::string> flags = pin;
      flags.insert(flags.end(), {"--timeout", "10"});
      auto deploy_flags = flags;
      deploy_flags.insert(deploy_flags.end(), {"--retries", "1"});
      for (const auto& r : {f.list(url, flags), f.deploy(url, deploy_flags)}) {
        INFO(r);
        CHECK(r.code == 6);
        CHECK(contains(r.err, "the TLS handshake with the adapter failed"));
        CHECK(contains(r.err, "before any certificate was checked"));
        CHECK(!contains(r.err, "--ca-cert"));
        CHECK(!contains(r.err, "pinned CA"));
      }
    }
  }
  f.clean();
}

// ======================================================= init --oas URL

namespace {

constexpr std::uint64_t kDownloadCap = 32u << 20;  // client::kMaxDownloadBytes

// An OpenAPI definition in JSON of exactly `size` bytes (a long description).
std::string definition_of_size(std::size_t size) {
  const std::string before = R"({"openapi":"3.0.1","info":{"title":"Big","version":"1.0.0","description":")";
  const std::string after =
      R"("},"x-wso2-basePath":"/big","x-wso2-production-endpoints":{"urls":["http://127.0.0.1:9/big"]},"paths":{"/a":{"get":{"responses":{"200":{"description":"OK"}}}}}})";
  REQUIRE(size > before.size() + after.size());
  return before + std::string(size - before.size() - after.size(), 'd') + after;
}

// A certificate for 127.0.0.1 (and its key), written where --ca-cert can read it.
struct Certificate {
  portico::crypto::Pkey key = portico::crypto::generate_rsa(2048);
  std::string pem = portico::crypto::self_signed_certificate_pem(key.get(), {"127.0.0.1"}, 30);
  std::string file;
  explicit Certificate(const std::string& dir) : file(dir + "/ca.pem") { write_file(file, pem); }
};

}  // namespace

TEST_CASE("faults: init --oas stops a download over 32 MiB near the limit: exit 3 naming it, nothing written") {
  Faults f;
  Certificate ca(f.t.path);
  const std::string announced =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(kDownloadCap + 1) +
      "\r\n\r\n";
  const std::string chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string unknown = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
  struct Case {
    const char* what;
    HttpsServer::Answer answer;
    std::uint64_t min_sent, max_sent;  // what the server pushed before the client left
  };
  // Measured: 3.7 MiB, 36.1 MiB and 36.0 MiB.
  const Case cases[] = {
      // Refused from the head: only what the socket buffers took.
      {"Content-Length one byte over", {announced, "", kDownloadCap + 1}, 0, 16u << 20},
      // Read up to the limit, then cut: the limit and the socket buffers, never the 1 GiB.
      {"chunked 1 GiB", {chunked, "", 1ull << 30}, kDownloadCap, kDownloadCap + (16u << 20)},
      {"1 GiB until close", {unknown, "", 1ull << 30}, kDownloadCap, kDownloadCap + (16u << 20)},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    HttpsServer server(ca.pem, ca.key.get(), c.answer);
    auto before = tree_names(f.t.path);
    auto r = f.c({"init", f.t.path + "/proj-new", "--oas", server.url("/openapi.json"), "--ca-cert", ca.file});
    INFO(r);
    CHECK(r.code == 3);
    CHECK(contains(r.err, server.url("/openapi.json") + " is larger than the 32 MiB limit for --oas downloads"));
    CHECK(contains(r.err, "nothing was written"));
    CHECK(server.requests() == 1);  // not retried
    INFO("body bytes the client's socket took: " << server.body_sent());
    CHECK(server.body_sent() >= c.min_sent);
    CHECK(server.body_sent() < c.max_sent);
    CHECK(!fs::exists(f.t.path + "/proj-new"));
    CHECK(tree_names(f.t.path) == before);  // no half-built directory beside it either

    // An existing project is not touched, --force or not.
    auto forced = f.c({"init", f.proj, "--oas", server.url("/openapi.json"), "--ca-cert", ca.file, "--force"});
    INFO(forced);
    CHECK(forced.code == 3);
  }
  f.clean();
}

TEST_CASE("faults: init --oas downloads a definition of exactly 32 MiB and writes it byte for byte") {
  Faults f;
  Certificate ca(f.t.path);
  const std::string def = definition_of_size(kDownloadCap);
  HttpsServer server(ca.pem, ca.key.get(),
                     {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(def.size()) + "\r\n\r\n",
                      def});
  auto r = f.c({"init", f.t.path + "/big", "--oas", server.url("/openapi.json"), "--ca-cert", ca.file});
  INFO(r);
  REQUIRE(r.code == 0);
  auto files = tree_snapshot(f.t.path + "/big");
  std::string written = files.count("Definitions/swagger.json") ? files["Definitions/swagger.json"]
                                                                : files["Definitions/swagger.yaml"];
  CHECK(written.size() == kDownloadCap);
  CHECK(written == def);
  CHECK(contains(files["api.yaml"], "name: Big"));
  f.clean();
}

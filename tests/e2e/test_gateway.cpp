// `portico gateway`: the local stand-in for the Choreo Connect adapter's REST
// API (adapter.md section 1, cli.md "gateway"), driven over real HTTPS with
// libcurl. Every test starts its own gateway on 127.0.0.1 with a free port and
// a fresh data directory; every network wait is bounded.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cli_run.hpp"
#include "gateway_process.hpp"
#include "http.hpp"
#include "loopback.hpp"
#include "process.hpp"
#include "projects.hpp"
#include "strings.hpp"

using namespace portico::test;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kBase = "/api/mgw/adapter/0.1";

// ---------------------------------------------------------------- utilities

std::string b64url_encode(std::string_view s) {
  std::string b = base64_encode(s);
  for (auto& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

std::string b64url_decode(std::string s) {
  for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  return base64_decode(s);
}

// --------------------------------------------------------------- projects

// A Choreo Connect project (adapter.md section 2) for one API.
struct Project {
  std::string name = "Pets";
  std::string version = "1.0.0";
  std::string context = "/pets";
  std::string basepath = "/pets";  // x-wso2-basePath; "" = none
  std::string type = "HTTP";
  std::string endpoint = "http://backend.example.com/v1";
  std::vector<std::string> definition_urls = {"http://primary.example.com/v1", "http://backup.example.com/v1"};
  std::vector<std::string> envs = {"Default"};  // empty = no deployment_environments.yaml
  std::string vhost = "localhost";
  std::string omit;                 // an api.yaml data.* field to leave out
  std::string servers_url;          // OpenAPI 3 servers[0].url; "" = none
  std::string definition;           // replaces the generated Definitions/swagger.yaml when set
  bool with_api_yaml = true;
  bool with_definition = true;
};

std::string api_yaml(const Project& p) {
  std::string y = "type: api\nversion: v4.0.0\ndata:\n";
  if (p.omit != "name") y += "  name: " + p.name + "\n";
  if (p.omit != "version") y += "  version: " + p.version + "\n";
  if (p.omit != "context") y += "  context: " + p.context + "\n";
  if (p.omit != "type") y += "  type: " + p.type + "\n";
  y += "  endpointImplementationType: ENDPOINT\n"
       "  endpointConfig:\n"
       "    endpoint_type: http\n"
       "    production_endpoints:\n"
       "      url: \"" + p.endpoint + "\"\n";
  return y;
}

std::string swagger_yaml(const Project& p) {
  Api a(p.name, p.version, p.basepath);
  a.servers_url = p.servers_url;
  a.urls = p.definition_urls;
  return definition_yaml(a);
}

std::map<std::string, std::string> project_files(const Project& p) {
  std::map<std::string, std::string> files;
  if (p.with_api_yaml) files["api.yaml"] = api_yaml(p);
  if (p.with_definition) files["Definitions/swagger.yaml"] = p.definition.empty() ? swagger_yaml(p) : p.definition;
  if (!p.envs.empty()) files["deployment_environments.yaml"] = deployment_environments_yaml(p.envs, p.vhost);
  return files;
}

// Writes the files under WORK/<root>/ and zips them with the real `zip`
// (zip -r -X), with the root folder inside the archive unless root is "".
std::string make_zip(const std::string& work_parent, const std::map<std::string, std::string>& files,
                     const std::string& root = "Project") {
  static std::atomic<int> counter{0};
  static const std::string zip = find_program("zip");
  REQUIRE_MESSAGE(!zip.empty(), "the `zip` program is needed (apt-get install zip)");
  std::string work = work_parent + "/zip-" + std::to_string(counter++);
  std::string dir = root.empty() ? work + "/content" : work + "/" + root;
  for (const auto& [name, content] : files) write_file(dir + "/" + name, content);
  std::string out = work + "/project.zip";
  auto r = root.empty() ? run({zip, "-r", "-X", "-q", out, "."}, {}, {}, dir)
                        : run({zip, "-r", "-X", "-q", out, root}, {}, {}, work);
  REQUIRE_MESSAGE(r.exit_code == 0, "zip failed: " << r.err);
  return read_file(out);
}

std::string make_zip(const std::string& work_parent, const Project& p, const std::string& root = "Project") {
  return make_zip(work_parent, project_files(p), root);
}

// A Swagger 2.0 definition of Legacy VERSION with `basePath: BASE_PATH`.
std::string legacy_definition(const std::string& version, const std::string& base_path) {
  return "swagger: '2.0'\ninfo:\n  title: Legacy\n  version: " + version + "\nbasePath: " + base_path + "\n" +
         "x-wso2-production-endpoints:\n  urls:\n    - http://primary.example.com/v1\n  type: failover\n"
         "paths:\n  /items:\n    get:\n      responses:\n        '200':\n          description: OK\n";
}

// Project with name, version and x-wso2-basePath set.
Project project(const std::string& name, const std::string& version, const std::string& basepath) {
  Project p;
  p.name = name;
  p.version = version;
  p.context = basepath;
  p.basepath = basepath;
  return p;
}

// ---------------------------------------------------------------- gateway

using Auth = std::function<void(HttpRequest&)>;

Auth basic(const std::string& user, const std::string& pass) {
  return [=](HttpRequest& r) { r.basic = std::make_pair(user, pass); };
}
Auth bearer(const std::string& token) {
  return [=](HttpRequest& r) { r.bearer = token; };
}
Auth header(const std::string& h) {
  return [=](HttpRequest& r) { r.headers.push_back(h); };
}
Auth no_auth() {
  return [](HttpRequest&) {};
}
const Auth kAdmin = basic("admin", "admin");

// A gateway with its own data directory, and requests to it.
struct Gateway : TempGateway {
  using TempGateway::TempGateway;

  HttpRequest request(const std::string& method, const std::string& path, const Auth& auth = kAdmin) const {
    HttpRequest r;
    r.method = method;
    r.url = proc->url(path);
    r.ca_file = proc->ca_file();
    auth(r);
    return r;
  }

  HttpResponse token(const std::string& user, const std::string& pass) const {
    return token_raw(json{{"username", user}, {"password", pass}}.dump());
  }
  HttpResponse token_raw(const std::string& body) const {
    auto r = request("POST", "/oauth2/token", no_auth());
    r.headers.push_back("Content-Type: application/json");
    r.body = body;
    return http_request(r);
  }
  std::string token_for(const std::string& user, const std::string& pass) const {
    auto r = token(user, pass);
    REQUIRE_MESSAGE(r.status == 200, "token request: " << r.status << " " << r.body << " " << r.error);
    auto j = json::parse(r.body);
    return j.at("accessToken").get<std::string>();
  }

  HttpResponse deploy(const std::string& zip, const std::string& query = "", const Auth& auth = kAdmin) const {
    auto r = request("POST", "/apis" + query, auth);
    r.parts.push_back({"file", zip, "project.zip", "application/zip"});
    return http_request(r);
  }
  HttpResponse deploy(const Project& p, const std::string& query = "", const Auth& auth = kAdmin) const {
    return deploy(make_zip(tmp.path, p), query, auth);
  }
  HttpResponse list(const std::string& query = "", const Auth& auth = kAdmin) const {
    return http_request(request("GET", "/apis" + query, auth));
  }
  json list_json(const std::string& query = "") const {
    auto r = list(query);
    REQUIRE_MESSAGE(r.status == 200, "GET /apis" << query << ": " << r.status << " " << r.body << " " << r.error);
    auto j = json::parse(r.body, nullptr, false);
    REQUIRE_MESSAGE(j.is_object(), "GET /apis body is not a JSON object: " << r.body);
    return j;
  }
  HttpResponse undeploy(const std::string& query, const Auth& auth = kAdmin) const {
    return http_request(request("DELETE", "/apis" + query, auth));
  }
};

std::string undeploy_query(const std::string& name, const std::string& version) {
  return "?apiName=" + url_encode(name) + "&version=" + url_encode(version);
}

// The list entry for apiName, or null.
json find_api(const json& list, const std::string& name, const std::string& version = "") {
  if (!list.contains("list") || !list["list"].is_array()) return nullptr;
  for (const auto& a : list["list"])
    if (a.value("apiName", "") == name && (version.empty() || a.value("version", "") == version)) return a;
  return nullptr;
}

// An error response: the status, Content-Type application/json and a body
// {"code": <int>, "message": "<non-empty>"}. Returns the message.
std::string check_json_error(const HttpResponse& r, long status) {
  INFO("response: " << r.status << " [" << r.content_type << "] " << r.body << (r.ok() ? "" : " curl: " + r.error));
  CHECK(r.status == status);
  CHECK(lower(r.content_type).rfind("application/json", 0) == 0);
  auto j = json::parse(r.body, nullptr, false);
  CHECK(j.is_object());
  if (!j.is_object()) return "";
  CHECK(j.contains("code"));
  CHECK(j.value("code", json()).is_number_integer());
  CHECK(j.contains("message"));
  CHECK(j.value("message", json()).is_string());
  std::string msg = j.value("message", json()).is_string() ? j["message"].get<std::string>() : "";
  CHECK(!msg.empty());
  return msg;
}

#define CHECK_STATUS(resp, code)                                                                   \
  do {                                                                                             \
    const auto& r_ = (resp);                                                                       \
    INFO("response: " << r_.status << " " << r_.body << (r_.ok() ? "" : " curl: " + r_.error));    \
    CHECK(r_.status == (code));                                                                    \
  } while (0)

json jwt_part(const std::string& token, int index) {
  auto parts = split(token, '.');
  if (static_cast<int>(parts.size()) <= index) return nullptr;
  return json::parse(b64url_decode(parts[index]), nullptr, false);
}

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A raw TCP connection to 127.0.0.1:port, closed by the destructor.
struct RawSocket {
  int fd = -1;
  explicit RawSocket(int port) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~RawSocket() {
    if (fd >= 0) close(fd);
  }
  bool send_all(const std::string& data) { return portico::test::send_all(fd, data); }
};

// Five sequential authenticated requests, each answered 200 within 3 s.
void check_answers_promptly(const Gateway& g) {
  for (int i = 0; i < 5; ++i) {
    auto req = g.request("GET", "/apis");
    req.timeout_ms = 5000;
    auto r = http_request(req);
    INFO("request " << i << ": " << r.status << " " << r.error << " after " << r.elapsed_ms << " ms");
    CHECK(r.status == 200);
    CHECK(r.elapsed_ms < 3000);
  }
}

// POST /apis QUERY of every zip, one thread each, all released at once; the answers in order.
std::vector<HttpResponse> deploy_at_once(const Gateway& g, const std::vector<std::string>& zips,
                                         const std::string& query = "") {
  std::vector<HttpResponse> results(zips.size());
  std::latch start(static_cast<std::ptrdiff_t>(zips.size()));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < zips.size(); ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = g.deploy(zips[i], query);
    });
  for (auto& t : threads) t.join();
  return results;
}

int count_status(const std::vector<HttpResponse>& responses, long status) {
  return static_cast<int>(std::count_if(responses.begin(), responses.end(), [&](const auto& r) { return r.status == status; }));
}

int count_lines_with(const std::string& text, const std::vector<std::string>& needles) {
  int n = 0;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    bool all = true;
    for (const auto& w : needles) all = all && contains(line, w);
    n += all;
  }
  return n;
}

}  // namespace

// ====================================================================== start

TEST_CASE("gateway: prints one listening line with the https base URL and the absolute CA path") {
  Gateway g;
  const auto& line = g.proc->listening_line();
  std::smatch m;
  static const std::regex re(R"(^portico gateway listening on https://127\.0\.0\.1:([0-9]+)/api/mgw/adapter/0\.1 \(adapter\) and https://127\.0\.0\.1:[0-9]+ \(router\) \(CA: (/[^)]+)\)$)");
  REQUIRE_MESSAGE(std::regex_match(line, m, re), "line: " << line);
  CHECK(std::stoi(m[1]) > 0);
  CHECK(std::stoi(m[1]) != 9843);  // --listen 127.0.0.1:0 picked a free port
  std::error_code ec;
  CHECK(fs::path(m[2].str()).is_absolute());
  CHECK(fs::equivalent(m[2].str(), g.data_dir + "/tls/cert.pem", ec));
  CHECK(fs::exists(g.data_dir + "/tls/key.pem"));
  CHECK(contains(read_file(m[2].str()), "-----BEGIN CERTIFICATE-----"));
  auto r = g.list();
  CHECK_STATUS(r, 200);
  CHECK(g.stop() == 0);
  CHECK(g.proc->process().stdout_text() == line + "\n");  // exactly one line on stdout
}

TEST_CASE("gateway: a relative --data-dir still prints an absolute CA path") {
  TempDir t;
  GatewayProcess gw({"--data-dir", "rel-data"}, {}, t.path);
  std::string ca = gw.ca_file();
  CHECK(fs::path(ca).is_absolute());
  std::error_code ec;
  CHECK(fs::equivalent(ca, t.path + "/rel-data/tls/cert.pem", ec));
  HttpRequest req;
  req.url = gw.url("/apis");
  req.ca_file = ca;
  req.basic = std::make_pair("admin", "admin");
  CHECK_STATUS(http_request(req), 200);
  CHECK(gw.stop() == 0);
}

TEST_CASE("gateway: --plain-http serves the same API over http and says so") {
  Gateway g({"--plain-http"});
  static const std::regex re(R"(^portico gateway listening on http://127\.0\.0\.1:[0-9]+/api/mgw/adapter/0\.1 \(adapter\) and http://127\.0\.0\.1:[0-9]+ \(router\) \(plain HTTP\)$)");
  CHECK_MESSAGE(std::regex_match(g.proc->listening_line(), re), "line: " << g.proc->listening_line());
  CHECK(g.proc->ca_file().empty());
  std::string token = g.token_for("admin", "admin");
  CHECK_STATUS(g.list("", bearer(token)), 200);
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
  auto j = g.list_json();
  CHECK(j["total"] == 1);
  check_json_error(g.list("", basic("admin", "nope")), 401);
}

TEST_CASE("gateway: stops with exit status 0 on SIGTERM and on SIGINT") {
  {
    Gateway g;
    CHECK(g.stop(SIGTERM) == 0);
    CHECK_FALSE(g.proc->process().had_to_kill());
  }
  {
    Gateway g;
    CHECK_STATUS(g.list(), 200);
    CHECK(g.stop(SIGINT) == 0);
    CHECK_FALSE(g.proc->process().had_to_kill());
  }
}

// A second gateway on a port that is already held must fail (exit 3, the
// reason and the port), never share the port: with SO_REUSEPORT the kernel
// split connections between the two.
void check_port_refused(int port, const std::string& data_dir) {
  ChildProcess second({portico_binary(), "gateway", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir",
                       data_dir},
                      neutral_env());
  auto status = second.wait_exit(20s);
  if (!status) second.terminate(SIGKILL, 2s);
  REQUIRE_MESSAGE(status.has_value(), "the second gateway kept running; stdout: " << second.stdout_text());
  second.wait_drained(2s);
  CHECK(*status == 3);
  CHECK_MESSAGE(contains(second.stderr_text(), "address already in use"), second.stderr_text());
  CHECK_MESSAGE(contains(second.stderr_text(), "127.0.0.1:" + std::to_string(port)), second.stderr_text());
  CHECK_FALSE(contains(second.stdout_text(), "listening"));
}

TEST_CASE("gateway: a port held by another listening socket is exit 3, address already in use, naming the port") {
  int port = 0;
  int fd = listen_loopback(port);
  TempDir t;
  check_port_refused(port, t.path + "/data");
  ::close(fd);
}

TEST_CASE("gateway: a second gateway on the first one's port is exit 3 and the first keeps serving") {
  Gateway g;
  TempDir t;
  check_port_refused(g.proc->port(), t.path + "/data");
  CHECK_STATUS(g.list(), 200);
  CHECK(g.stop() == 0);
}

// ======================================================================== TLS

TEST_CASE("gateway: a client without the gateway's CA fails certificate verification") {
  Gateway g;
  auto req = g.request("GET", "/apis");
  req.ca_file.clear();  // the system store does not know the self-signed certificate
  auto r = http_request(req);
  INFO("curl: " << r.curl_code << " " << r.error);
  CHECK(r.status == 0);
  CHECK(r.curl_code == CURLE_PEER_FAILED_VERIFICATION);
  // Control: with the CA file it verifies.
  CHECK_STATUS(g.list(), 200);
}

TEST_CASE("gateway: TLS 1.1 and older are refused, TLS 1.2 is accepted") {
  Gateway g;
  auto old = g.request("GET", "/apis");
  old.ssl_version = long{CURL_SSLVERSION_TLSv1} | long{CURL_SSLVERSION_MAX_TLSv1_1};
  old.ssl_cipher_list = "DEFAULT:@SECLEVEL=0";  // let this client offer TLS 1.0/1.1, so the refusal is the server's
  auto r = http_request(old);
  INFO("curl: " << r.curl_code << " " << r.error);
  CHECK(r.status == 0);
  CHECK(r.curl_code != CURLE_OK);
  CHECK(r.curl_code != CURLE_COULDNT_CONNECT);

  auto v12 = g.request("GET", "/apis");
  v12.ssl_version = long{CURL_SSLVERSION_TLSv1_2} | long{CURL_SSLVERSION_MAX_TLSv1_2};
  CHECK_STATUS(http_request(v12), 200);
}

TEST_CASE("gateway: --cert and --key serve the given certificate") {
  std::string openssl = find_program("openssl");
  if (openssl.empty()) {
    MESSAGE("openssl not found; skipped");
    return;
  }
  TempDir t;
  auto r = run({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", t.path + "/key.pem", "-out", t.path + "/cert.pem", "-days", "2", "-subj",
                "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  Gateway g({"--cert", t.path + "/cert.pem", "--key", t.path + "/key.pem"});
  auto req = g.request("GET", "/apis");
  req.ca_file = t.path + "/cert.pem";
  CHECK_STATUS(http_request(req), 200);
  // A gateway-generated CA from another data dir does not verify this server.
  Gateway other;
  req.ca_file = other.proc->ca_file();
  auto bad = http_request(req);
  CHECK(bad.curl_code == CURLE_PEER_FAILED_VERIFICATION);
}

// ====================================================================== token

TEST_CASE("gateway: /oauth2/token issues a JWT with username, scope admin and exp, usable as Bearer on /apis") {
  Gateway g;
  auto r = g.token("admin", "admin");
  CHECK_STATUS(r, 200);
  CHECK(lower(r.content_type).rfind("application/json", 0) == 0);
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("accessToken"));
  std::string token = j["accessToken"];
  auto parts = split(token, '.');
  REQUIRE(parts.size() == 3);
  static const std::regex b64url("^[A-Za-z0-9_-]+$");
  for (const auto& p : parts) CHECK(std::regex_match(p, b64url));
  auto header = jwt_part(token, 0);
  CHECK(header.is_object());
  CHECK(header.contains("alg"));
  auto payload = jwt_part(token, 1);
  REQUIRE(payload.is_object());
  CHECK(payload["username"] == "admin");
  CHECK(payload["scope"] == "admin");
  REQUIRE(payload["exp"].is_number());
  long long exp = payload["exp"].get<long long>();
  CHECK(exp > now_seconds() + 3500);  // default lifetime 3600 s
  CHECK(exp <= now_seconds() + 3700);

  CHECK_STATUS(g.list("", bearer(token)), 200);
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets"), "", bearer(token)), 200);
  CHECK_STATUS(g.undeploy(undeploy_query("Pets", "1.0.0"), bearer(token)), 200);
}

TEST_CASE("gateway: --token-lifetime sets the token's exp") {
  Gateway g({"--token-lifetime", "120"});
  auto payload = jwt_part(g.token_for("admin", "admin"), 1);
  REQUIRE(payload.is_object());
  long long exp = payload.value("exp", 0LL);
  CHECK(exp > now_seconds() + 100);
  CHECK(exp <= now_seconds() + 125);
}

TEST_CASE("gateway: a token request with a wrong password or an unknown user gets 401 with a JSON body") {
  Gateway g;
  check_json_error(g.token("admin", "wrong"), 401);
  check_json_error(g.token("nobody", "admin"), 401);
  check_json_error(g.token("admin", ""), 401);
  check_json_error(g.token("", ""), 401);
}

TEST_CASE("gateway: token credentials that break the pattern or exceed 100 characters get 422") {
  Gateway g;
  check_json_error(g.token("ad min", "admin"), 422);
  check_json_error(g.token("admin", "ad min"), 422);
  check_json_error(g.token("admin!", "admin"), 422);
  check_json_error(g.token(std::string(101, 'a'), "admin"), 422);
  check_json_error(g.token("admin", std::string(101, 'a')), 422);
  // Exactly 100 allowed characters is valid input: an unknown user, so 401.
  check_json_error(g.token(std::string(100, 'a'), "admin"), 401);
  check_json_error(g.token("a_~.@-Z9", "admin"), 401);
}

TEST_CASE("gateway: a token request that is not JSON or lacks a field gets a 4xx JSON error") {
  Gateway g;
  for (const std::string& body : {std::string("not json"), std::string("{\"username\": \"admin\"}"),
                                 std::string("{\"password\": \"admin\"}"), std::string("[]")}) {
    CAPTURE(body);
    auto r = g.token_raw(body);
    CHECK((r.status == 400 || r.status == 422));
    check_json_error(r, r.status == 422 ? 422 : 400);
  }
}

TEST_CASE("gateway: an expired token gets 401") {
  Gateway g({"--token-lifetime", "1"});
  std::string token = g.token_for("admin", "admin");
  auto payload = jwt_part(token, 1);
  REQUIRE(payload.is_object());
  CHECK(payload.value("exp", 0LL) <= now_seconds() + 2);
  std::this_thread::sleep_for(2500ms);
  check_json_error(g.list("", bearer(token)), 401);
  check_json_error(g.deploy(project("Pets", "1.0.0", "/pets"), "", bearer(token)), 401);
  // A new token works again.
  CHECK_STATUS(g.list("", bearer(g.token_for("admin", "admin"))), 200);
}

TEST_CASE("gateway: a tampered token gets 401") {
  Gateway g;
  std::string token = g.token_for("admin", "admin");
  auto parts = split(token, '.');
  REQUIRE(parts.size() == 3);
  CHECK_STATUS(g.list("", bearer(token)), 200);

  auto payload = jwt_part(token, 1);
  REQUIRE(payload.is_object());
  std::vector<std::pair<std::string, std::string>> variants;

  auto other_user = payload;
  other_user["username"] = "mallory";
  variants.emplace_back("payload username changed", parts[0] + "." + b64url_encode(other_user.dump()) + "." + parts[2]);

  auto longer = payload;
  longer["exp"] = payload.value("exp", 0LL) + 100000;
  variants.emplace_back("payload exp changed", parts[0] + "." + b64url_encode(longer.dump()) + "." + parts[2]);

  std::string sig = parts[2];
  std::size_t mid = sig.size() / 2;
  sig[mid] = sig[mid] == 'A' ? 'B' : 'A';
  variants.emplace_back("signature changed", parts[0] + "." + parts[1] + "." + sig);

  variants.emplace_back("signature removed", parts[0] + "." + parts[1] + ".");
  variants.emplace_back("two parts", parts[0] + "." + parts[1]);
  variants.emplace_back("alg none", b64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + parts[1] + ".");
  variants.emplace_back("alg HS256 with empty key",
                        b64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + parts[1] + "." + parts[2]);
  variants.emplace_back("garbage", "not-a-token");

  for (const auto& [what, bad] : variants) {
    CAPTURE(what);
    check_json_error(g.list("", bearer(bad)), 401);
  }
}

// ======================================================================= auth

TEST_CASE("gateway: Basic auth with a configured user works directly on /apis") {
  Gateway g;
  CHECK_STATUS(g.list("", basic("admin", "admin")), 200);
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets"), "", basic("admin", "admin")), 200);
  CHECK_STATUS(g.undeploy(undeploy_query("Pets", "1.0.0"), basic("admin", "admin")), 200);
}

TEST_CASE("gateway: --user replaces the default user, is repeatable, and a password may contain any character") {
  Gateway g({"--user", "alice:pw-alice", "--user", "bob:p@ss w0rd!", "--user", "carol:pa:ss"});
  CHECK_STATUS(g.list("", basic("alice", "pw-alice")), 200);
  CHECK_STATUS(g.list("", basic("bob", "p@ss w0rd!")), 200);  // Basic has no character restriction
  CHECK_STATUS(g.list("", basic("carol", "pa:ss")), 200);     // NAME:PASSWORD splits at the first colon
  check_json_error(g.list("", basic("admin", "admin")), 401);
  check_json_error(g.list("", basic("alice", "pw-bob")), 401);
  auto payload = jwt_part(g.token_for("alice", "pw-alice"), 1);
  REQUIRE(payload.is_object());
  CHECK(payload["username"] == "alice");
  // The token endpoint keeps its pattern on the password.
  check_json_error(g.token("bob", "p@ss w0rd!"), 422);
}

TEST_CASE("gateway: --user NAME takes the password from PORTICO_GATEWAY_PASSWORD") {
  Gateway g({"--user", "ci"}, {{"PORTICO_GATEWAY_PASSWORD", "from-env-Pw1"}});
  CHECK_STATUS(g.list("", basic("ci", "from-env-Pw1")), 200);
  check_json_error(g.list("", basic("ci", "")), 401);
  check_json_error(g.list("", basic("ci", "wrong")), 401);
  CHECK(!g.token_for("ci", "from-env-Pw1").empty());
}

TEST_CASE("gateway: missing, wrong or malformed authentication gets 401 on every /apis operation") {
  Gateway g;
  std::string zip = make_zip(g.tmp.path, project("Pets", "1.0.0", "/pets"));
  std::vector<std::pair<std::string, Auth>> bad = {
      {"no Authorization header", no_auth()},
      {"wrong password", basic("admin", "wrong")},
      {"unknown user", basic("root", "admin")},
      {"empty password", basic("admin", "")},
      {"Basic without a colon", header("Authorization: Basic " + base64_encode("adminadmin"))},
      {"Basic not base64", header("Authorization: Basic %%%not-base64%%%")},
      {"Basic empty", header("Authorization: Basic")},
      {"Bearer not a JWT", header("Authorization: Bearer not.a.jwt")},
      {"Bearer empty", header("Authorization: Bearer ")},
      // Found by fuzz/jwt: a header {"alg":5} threw in the worker and ended the gateway.
      {"Bearer whose alg is a number", header("Authorization: Bearer eyJhbGciOjV9.e30.eA")},
      {"unknown scheme", header("Authorization: Digest username=\"admin\"")},
      {"credentials without a scheme", header("Authorization: " + base64_encode("admin:admin"))},
  };
  for (const auto& [what, auth] : bad) {
    CAPTURE(what);
    check_json_error(g.list("", auth), 401);
    check_json_error(g.deploy(zip, "", auth), 401);
    check_json_error(g.undeploy(undeploy_query("Pets", "1.0.0"), auth), 401);
  }
  // None of the refused deploys went through.
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: an unknown path gets 404 with a JSON body") {
  Gateway g;
  check_json_error(http_request(g.request("GET", "/nothing-here")), 404);
}

// ===================================================================== deploy

TEST_CASE("gateway: a deployed API is listed with name, version, context, type HTTP, env Default and vhost localhost") {
  Gateway g;
  CHECK_STATUS(g.deploy(project("SwaggerPetstore", "1.0.5", "/petstore")), 200);
  auto j = g.list_json();
  CHECK(j["total"] == 1);
  CHECK(j["count"] == 1);
  REQUIRE(j["list"].is_array());
  REQUIRE(j["list"].size() == 1);
  auto a = j["list"][0];
  CHECK(a["apiName"] == "SwaggerPetstore");
  CHECK(a["version"] == "1.0.5");
  CHECK(a["context"] == "/petstore");
  CHECK(a["apiType"] == "HTTP");
  CHECK(a["gateway-envs"] == json::array({"Default"}));
  CHECK(a["vhost"] == "localhost");
}

TEST_CASE("gateway: a project without deployment_environments.yaml goes to Default on localhost") {
  Gateway g;
  auto p = project("Pets", "1.0.0", "/pets");
  p.envs.clear();
  CHECK_STATUS(g.deploy(p), 200);
  auto a = find_api(g.list_json(), "Pets");
  REQUIRE(!a.is_null());
  CHECK(a["gateway-envs"] == json::array({"Default"}));
  CHECK(a["vhost"] == "localhost");
}

TEST_CASE("gateway: a zip without a root folder is accepted as well") {
  Gateway g;
  CHECK_STATUS(g.deploy(make_zip(g.tmp.path, project("Pets", "1.0.0", "/pets"), "")), 200);
  CHECK(!find_api(g.list_json(), "Pets").is_null());
}

TEST_CASE("gateway: the listed context is api.yaml context + version unless the definition sets a base path") {
  Gateway g;
  // No base path in the definition: context + "/" + version.
  auto plain = project("Plain", "1.0.0", "");
  plain.context = "/plain";
  CHECK_STATUS(g.deploy(plain), 200);
  // OpenAPI 3 servers path.
  auto servers = project("Servers", "2.0.0", "");
  servers.context = "/ignored";
  servers.servers_url = "https://api.example.com/store/v2";
  CHECK_STATUS(g.deploy(servers), 200);
  // x-wso2-basePath beats servers, and no version is appended.
  auto ext = project("Extension", "3.0.0", "/ext");
  ext.context = "/ignored-too";
  ext.servers_url = "https://api.example.com/other";
  CHECK_STATUS(g.deploy(ext), 200);
  // Swagger 2 basePath.
  auto legacy = project("Legacy", "4.0.0", "");
  legacy.context = "/ignored-three";
  legacy.definition = legacy_definition("4.0.0", "/legacy");
  CHECK_STATUS(g.deploy(legacy), 200);

  auto j = g.list_json();
  CHECK(j["total"] == 4);
  auto ctx = [&](const std::string& name) {
    auto a = find_api(j, name);
    return a.is_null() ? std::string("<not listed>") : a.value("context", std::string("<no context>"));
  };
  CHECK(ctx("Plain") == "/plain/1.0.0");
  CHECK(ctx("Servers") == "/store/v2");
  CHECK(ctx("Extension") == "/ext");
  CHECK(ctx("Legacy") == "/legacy");
}

TEST_CASE("gateway: deploying the same name and version again gets 409, and 200 with ?override=true") {
  Gateway g;
  auto p = project("Pets", "1.0.0", "/pets");
  CHECK_STATUS(g.deploy(p), 200);
  check_json_error(g.deploy(p), 409);
  check_json_error(g.deploy(p, "?override=false"), 409);
  check_json_error(g.deploy(p, "?overwrite=true"), 409);  // only `override` is read
  CHECK_STATUS(g.deploy(p, "?override=true"), 200);
  // An override may move the API to a new base path.
  auto moved = project("Pets", "1.0.0", "/pets-v2");
  CHECK_STATUS(g.deploy(moved, "?override=true"), 200);
  auto j = g.list_json();
  CHECK(j["total"] == 1);
  auto a = find_api(j, "Pets", "1.0.0");
  REQUIRE(!a.is_null());
  CHECK(a["context"] == "/pets-v2");
}

TEST_CASE("gateway: a different API on the same vhost and base path gets 409, even with override") {
  Gateway g;
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
  check_json_error(g.deploy(project("Other", "1.0.0", "/pets")), 409);
  check_json_error(g.deploy(project("Other", "1.0.0", "/pets"), "?override=true"), 409);
  // Same name, another version: another API too.
  check_json_error(g.deploy(project("Pets", "2.0.0", "/pets"), "?override=true"), 409);
  auto j = g.list_json();
  CHECK(j["total"] == 1);
  CHECK(!find_api(j, "Pets", "1.0.0").is_null());
}

TEST_CASE("gateway: the same base path on another vhost is not a conflict, and delete takes the vhost") {
  Gateway g;
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
  auto other = project("Other", "1.0.0", "/pets");
  other.vhost = "api.example.com";
  CHECK_STATUS(g.deploy(other), 200);
  auto j = g.list_json();
  CHECK(j["total"] == 2);
  auto a = find_api(j, "Other");
  REQUIRE(!a.is_null());
  CHECK(a["vhost"] == "api.example.com");
  CHECK_STATUS(g.undeploy(undeploy_query("Other", "1.0.0") + "&vhost=api.example.com"), 200);
  j = g.list_json();
  CHECK(j["total"] == 1);
  CHECK(!find_api(j, "Pets").is_null());
}

TEST_CASE("gateway: an upload without a file part gets 400 with a JSON body") {
  Gateway g;
  std::string zip = make_zip(g.tmp.path, project("Pets", "1.0.0", "/pets"));
  auto req = g.request("POST", "/apis");
  req.parts.push_back({"upload", zip, "project.zip", "application/zip"});
  check_json_error(http_request(req), 400);
  auto field = g.request("POST", "/apis");
  field.parts.push_back({"comment", "no file here", "", ""});
  check_json_error(http_request(field), 400);
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: an upload that is not a zip gets 500 with a JSON reason") {
  Gateway g;
  check_json_error(g.deploy(std::string("this is not a zip archive")), 500);
  check_json_error(g.deploy(std::string()), 500);
  // A bare OpenAPI file is not a project either.
  check_json_error(g.deploy(swagger_yaml(project("Pets", "1.0.0", "/pets"))), 500);
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: a zip without api.yaml gets 500 saying so") {
  Gateway g;
  auto p = project("Pets", "1.0.0", "/pets");
  p.with_api_yaml = false;
  auto msg = check_json_error(g.deploy(p), 500);
  CHECK_MESSAGE(contains(lower(msg), "api.yaml"), "message: " << msg);
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: a zip without a definition gets 500 saying so") {
  Gateway g;
  auto p = project("Pets", "1.0.0", "/pets");
  p.with_definition = false;
  auto msg = check_json_error(g.deploy(p), 500);
  CHECK_MESSAGE((contains(lower(msg), "definition") || contains(lower(msg), "swagger")), "message: " << msg);
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: api.yaml without name, version, context or type gets 500 naming the field") {
  Gateway g;
  for (std::string field : {"name", "version", "context", "type"}) {
    CAPTURE(field);
    auto p = project("Pets", "1.0.0", "/pets");
    p.omit = field;
    auto msg = check_json_error(g.deploy(p), 500);
    CHECK_MESSAGE(contains(lower(msg), field), "message: " << msg);
  }
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: a relative or empty endpoint URL in api.yaml gets 500") {
  Gateway g;
  for (std::string url : {"/v1/backend", ""}) {
    CAPTURE(url);
    auto p = project("Pets", "1.0.0", "/pets");
    p.endpoint = url;
    check_json_error(g.deploy(p), 500);
  }
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: a definition with an empty or invalid base path gets 500") {
  Gateway g;
  auto spaced = project("Pets", "1.0.0", "\"/pets store\"");
  spaced.context = "/pets";
  check_json_error(g.deploy(spaced), 500);
  auto legacy = project("Legacy", "1.0.0", "");
  legacy.context = "/legacy";
  legacy.definition = legacy_definition("1.0.0", "''");
  check_json_error(g.deploy(legacy), 500);
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: a definition endpoint URL with an invalid host gets 500") {
  Gateway g;
  auto p = project("Pets", "1.0.0", "/pets");
  p.definition_urls = {"http://bad_host_/v1", "http://backup.example.com/v1"};
  check_json_error(g.deploy(p), 500);
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: deployment_environments.yaml naming only unknown environments gets 200 but nothing is listed") {
  Gateway g;
  auto p = project("Pets", "1.0.0", "/pets");
  p.envs = {"Nowhere"};
  CHECK_STATUS(g.deploy(p), 200);
  auto j = g.list_json();
  CHECK(j["total"] == 0);
  CHECK(find_api(j, "Pets").is_null());
}

TEST_CASE("gateway: --environment declares the gateway environments a project may target") {
  Gateway g({"--environment", "Default", "--environment", "Staging"});
  auto p = project("Pets", "1.0.0", "/pets");
  p.envs = {"Staging"};
  CHECK_STATUS(g.deploy(p), 200);
  auto a = find_api(g.list_json(), "Pets");
  REQUIRE(!a.is_null());
  CHECK(a["gateway-envs"] == json::array({"Staging"}));
}

// ======================================================================= list

TEST_CASE("gateway: list filters with query=type:http, and limit=1 gives count 1 of total 2") {
  Gateway g;
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
  CHECK_STATUS(g.deploy(project("Stores", "1.0.0", "/stores")), 200);
  auto all = g.list_json();
  CHECK(all["total"] == 2);
  CHECK(all["count"] == 2);
  CHECK(all["list"].size() == 2);
  auto http = g.list_json("?query=type:http");
  CHECK(http["count"] == 2);
  CHECK(http["list"].size() == 2);
  auto one = g.list_json("?limit=1");
  CHECK(one["total"] == 2);
  CHECK(one["count"] == 1);
  CHECK(one["list"].size() == 1);
  auto both = g.list_json("?query=type:http&limit=1");
  CHECK(both["count"] == 1);
  auto ws = g.list_json("?query=type:ws");
  CHECK(ws["count"] == 0);
  CHECK(ws["list"].size() == 0);
  CHECK_STATUS(g.list("?limit=100000000"), 200);
}

TEST_CASE("gateway: a list query that breaks the pattern or is longer than 9 characters gets 422") {
  Gateway g;
  // ^[a-zA-Z:]*$, at most 9 characters.
  for (std::string query : {"type:http1", "type:httpx", "type:ht1p", "type:ws1", "a1", "type_http", "type http"}) {
    CAPTURE(query);
    check_json_error(g.list("?query=" + url_encode(query)), 422);
  }
  CHECK_STATUS(g.list("?query=type:http"), 200);
  CHECK_STATUS(g.list("?query=" + url_encode("TYPE:HTTP")), 200);
}

TEST_CASE("gateway: a list limit of 0, negative, above 1e8 or not an integer gets 422") {
  Gateway g;
  for (std::string limit : {"0", "-1", "100000001", "abc", "1.5"}) {
    CAPTURE(limit);
    check_json_error(g.list("?limit=" + limit), 422);
  }
}

// ===================================================================== delete

TEST_CASE("gateway: delete answers 200 and the API disappears from the list") {
  Gateway g;
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
  CHECK_STATUS(g.deploy(project("Stores", "1.0.0", "/stores")), 200);
  CHECK_STATUS(g.undeploy(undeploy_query("Pets", "1.0.0")), 200);
  auto j = g.list_json();
  CHECK(j["total"] == 1);
  CHECK(find_api(j, "Pets").is_null());
  CHECK(!find_api(j, "Stores").is_null());
  CHECK_STATUS(g.undeploy(undeploy_query("Stores", "1.0.0")), 200);
  j = g.list_json();
  CHECK(j["total"] == 0);
  CHECK(j["count"] == 0);
  CHECK(j["list"] == json::array());
  // The base path is free again.
  CHECK_STATUS(g.deploy(project("Other", "1.0.0", "/pets")), 200);
}

TEST_CASE("gateway: delete with vhost and environments parameters") {
  Gateway g;
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
  CHECK_STATUS(g.undeploy(undeploy_query("Pets", "1.0.0") + "&vhost=localhost&environments=Default"), 200);
  CHECK(g.list_json()["total"] == 0);
}

TEST_CASE("gateway: delete of an API that is not deployed gets 404") {
  Gateway g;
  check_json_error(g.undeploy(undeploy_query("Pets", "1.0.0")), 404);
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
  check_json_error(g.undeploy(undeploy_query("Pets", "2.0.0")), 404);
  CHECK_STATUS(g.undeploy(undeploy_query("Pets", "1.0.0")), 200);
  check_json_error(g.undeploy(undeploy_query("Pets", "1.0.0")), 404);
}

TEST_CASE("gateway: delete parameters that break the patterns get 422") {
  Gateway g;
  std::vector<std::pair<std::string, std::string>> bad = {
      {"apiName too short", undeploy_query("ab", "1.0.0")},
      {"apiName with a space", undeploy_query("bad name", "1.0.0")},
      {"apiName with a slash", undeploy_query("bad/name", "1.0.0")},
      {"apiName too long", undeploy_query(std::string(256, 'a'), "1.0.0")},
      {"apiName missing", "?version=1.0.0"},
      {"version missing", "?apiName=Pets"},
      {"version empty", undeploy_query("Pets", "")},
      {"version too long", undeploy_query("Pets", std::string(16, '1'))},
      {"version with a space", undeploy_query("Pets", "1.0 0")},
      {"vhost with an underscore", undeploy_query("Pets", "1.0.0") + "&vhost=bad_host"},
      {"environments with an empty name", undeploy_query("Pets", "1.0.0") + "&environments=" + url_encode("a::b")},
      {"environments with a bang", undeploy_query("Pets", "1.0.0") + "&environments=" + url_encode("a!")},
  };
  for (const auto& [what, q] : bad) {
    CAPTURE(what);
    check_json_error(g.undeploy(q), 422);
  }
  // At the limits, the parameters are valid: 404, not 422.
  check_json_error(g.undeploy(undeploy_query("abc", "1")), 404);
  check_json_error(g.undeploy(undeploy_query(std::string(255, 'a'), std::string(15, '1'))), 404);
  check_json_error(g.undeploy(undeploy_query("a_~.-b", "1.0_-x") + "&vhost=" + url_encode("*.example.com") +
                              "&environments=" + url_encode("Production and Sandbox:Label1")),
                   404);
}

// ==================================================================== restart

TEST_CASE("gateway: deployed APIs and the certificate survive a restart with the same data dir") {
  Gateway g;
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
  CHECK_STATUS(g.deploy(project("Stores", "2.0.0", "/stores")), 200);
  std::string ca = g.proc->ca_file();
  std::string cert = read_file(ca);
  REQUIRE(!cert.empty());
  CHECK(g.stop() == 0);

  g.start();
  CHECK(g.proc->ca_file() == ca);
  CHECK(read_file(g.proc->ca_file()) == cert);
  auto j = g.list_json();
  CHECK(j["total"] == 2);
  auto a = find_api(j, "Pets", "1.0.0");
  REQUIRE(!a.is_null());
  CHECK(a["context"] == "/pets");
  CHECK(a["gateway-envs"] == json::array({"Default"}));
  CHECK(a["vhost"] == "localhost");
  // The conflict rules still know the restored APIs.
  check_json_error(g.deploy(project("Pets", "1.0.0", "/pets")), 409);
  check_json_error(g.deploy(project("Other", "1.0.0", "/stores")), 409);
  // A delete persists too.
  CHECK_STATUS(g.undeploy(undeploy_query("Stores", "2.0.0")), 200);
  CHECK(g.stop() == 0);

  g.start();
  j = g.list_json();
  CHECK(j["total"] == 1);
  CHECK(find_api(j, "Stores").is_null());
  CHECK(read_file(g.proc->ca_file()) == cert);
}

// ====================================================================== abuse

TEST_CASE("gateway: an upload larger than --max-upload gets 413 and the server keeps answering") {
  Gateway g({"--max-upload", "100000"});
  std::mt19937 rng(42);
  std::string big(200 * 1024, '\0');
  for (auto& c : big) c = static_cast<char>(rng());
  auto r = g.deploy(big);
  check_json_error(r, 413);
  CHECK_STATUS(g.list(), 200);

  // Under the limit, the size is not the problem: a non-zip is 500, a project 200.
  check_json_error(g.deploy(big.substr(0, 50 * 1024)), 500);
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets")), 200);
}

TEST_CASE("gateway: a chunked upload (no Content-Length) cannot get past --max-upload") {
  Gateway g({"--max-upload", "100000"});
  // A valid project, made larger than the limit by an incompressible extra file.
  std::mt19937 rng(7);
  std::string noise(150 * 1024, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  auto files = project_files(project("Big", "1.0.0", "/big"));
  files["README.bin"] = noise;
  std::string zip = make_zip(g.tmp.path, files);
  REQUIRE(zip.size() > 100000);
  auto chunked = g.request("POST", "/apis");
  chunked.headers.push_back("Transfer-Encoding: chunked");
  chunked.parts.push_back({"file", zip, "project.zip", "application/zip"});
  auto r = http_request(chunked);
  // 413 (counted while streaming), or 411 when the gateway refuses chunked
  // uploads outright; never read and deployed.
  CHECK_MESSAGE((r.status == 413 || r.status == 411), "status " << r.status << ": " << r.body);
  check_json_error(r, r.status == 411 ? 411 : 413);
  CHECK(find_api(g.list_json(), "Big").is_null());
  CHECK_STATUS(g.list(), 200);
}

TEST_CASE("gateway: a plain-http client that stops halfway through its request headers does not block others") {
  Gateway g({"--plain-http"});
  RawSocket stalled(g.proc->port());
  REQUIRE(stalled.send_all("POST " + kBase + "/apis HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"));
  std::this_thread::sleep_for(200ms);  // let the server pick the connection up
  check_answers_promptly(g);
}

TEST_CASE("gateway: TLS clients that stall in the handshake or halfway through the headers do not block others") {
  Gateway g;
  // Connected, silent.
  RawSocket idle(g.proc->port());
  // A TLS record header announcing 512 bytes of ClientHello, then only 16 of them.
  RawSocket half_hello(g.proc->port());
  REQUIRE(half_hello.send_all(std::string("\x16\x03\x01\x02\x00", 5) + std::string("\x01\x00\x01\xfc\x03\x03", 6) +
                              std::string(10, 'x')));
  // A finished handshake, then half of the request headers (openssl s_client, kept open).
  std::unique_ptr<ChildProcess> s_client;
  std::string openssl = find_program("openssl");
  if (!openssl.empty()) {
    s_client = std::make_unique<ChildProcess>(
        std::vector<std::string>{openssl, "s_client", "-connect", "127.0.0.1:" + std::to_string(g.proc->port()),
                                 "-CAfile", g.proc->ca_file(), "-verify_return_error", "-quiet"},
        std::map<std::string, std::string>{}, true);
    bool handshake = s_client->wait_for_stderr("verify return:1", 5s);
    CHECK_MESSAGE(handshake, "s_client: " << s_client->stderr_text());
    CHECK(s_client->write_stdin("GET " + kBase + "/apis HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthoriz"));
  } else {
    MESSAGE("openssl not found: the half-headers-over-TLS client is skipped");
  }
  std::this_thread::sleep_for(200ms);
  check_answers_promptly(g);
  if (s_client) CHECK_FALSE(s_client->poll_exit().has_value());  // it was really kept open
}

TEST_CASE("gateway: 50 concurrent deploys of 50 different APIs all succeed and all are listed") {
  // Every deploy admitted at once: these tests are about the store under
  // concurrency (the admission bound has its own tests in test_gateway_faults).
  Gateway g({"--max-concurrent-deploys", "64"});
  constexpr int kN = 50;
  std::vector<std::string> zips;
  for (int i = 0; i < kN; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "Api%02d", i);
    zips.push_back(make_zip(g.tmp.path, project(name, "1.0.0", "/api" + std::string(name + 3))));
  }
  std::vector<HttpResponse> results(kN);
  std::latch start(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = g.deploy(zips[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kN; ++i) {
    CAPTURE(i);
    CHECK_STATUS(results[i], 200);
  }
  auto j = g.list_json();
  CHECK(j["total"] == kN);
  CHECK(j["count"] == kN);
  REQUIRE(j["list"].is_array());
  std::set<std::string> names;
  for (const auto& a : j["list"]) names.insert(a.value("apiName", ""));
  CHECK(names.size() == kN);
}

TEST_CASE("gateway: concurrent deploys of one API without override: exactly one 200, the others 409") {
  // Every deploy admitted at once: these tests are about the store under
  // concurrency (the admission bound has its own tests in test_gateway_faults).
  Gateway g({"--max-concurrent-deploys", "64"});
  constexpr int kN = 10;
  std::string zip = make_zip(g.tmp.path, project("Pets", "1.0.0", "/pets"));
  auto results = deploy_at_once(g, std::vector<std::string>(kN, zip));
  CHECK(count_status(results, 200) == 1);
  CHECK(count_status(results, 409) == kN - 1);
  CHECK(g.list_json()["total"] == 1);
}

TEST_CASE("gateway: concurrent deploys of different APIs on one base path: exactly one wins") {
  // Every deploy admitted at once: these tests are about the store under
  // concurrency (the admission bound has its own tests in test_gateway_faults).
  Gateway g({"--max-concurrent-deploys", "64"});
  constexpr int kN = 10;
  std::vector<std::string> zips;
  for (int i = 0; i < kN; ++i) zips.push_back(make_zip(g.tmp.path, project("Claim" + std::to_string(i), "1.0.0", "/shared")));
  auto results = deploy_at_once(g, zips, "?override=true");
  CHECK(count_status(results, 200) == 1);
  CHECK(count_status(results, 409) == kN - 1);
  auto j = g.list_json();
  CHECK(j["total"] == 1);
}

// ================================================================ access log

TEST_CASE("gateway: the access log has a line per request and never shows passwords or tokens") {
  const std::string password = "Hunter2-Secret-Pw";
  const std::string wrong = "Wr0ng-Guess-Pw";
  Gateway g({"--user", "logger:" + password});
  std::string token = g.token_for("logger", password);                                   // POST token 200
  CHECK_STATUS(g.list("", basic("logger", password)), 200);                              // GET 200
  CHECK_STATUS(g.list("", bearer(token)), 200);                                          // GET 200
  check_json_error(g.list("", basic("logger", wrong)), 401);                             // GET 401
  check_json_error(g.token("logger", wrong), 401);                                       // POST token 401
  check_json_error(g.undeploy(undeploy_query("Pets", "1.0.0"), bearer(token)), 404);     // DELETE 404
  CHECK_STATUS(g.deploy(project("Pets", "1.0.0", "/pets"), "", bearer(token)), 200);     // POST 200

  // The log line may be written just after the response: wait (bounded) for the last one.
  auto deadline = std::chrono::steady_clock::now() + 3s;
  std::string log;
  while (std::chrono::steady_clock::now() < deadline) {
    log = g.log();
    if (count_lines_with(log, {"/apis", "POST"}) >= 1 && count_lines_with(log, {"/oauth2/token"}) >= 2) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(g.stop() == 0);
  log = g.log();
  INFO("stderr:\n" << log);
  CHECK(count_lines_with(log, {"POST", "/oauth2/token", "200"}) == 1);
  CHECK(count_lines_with(log, {"POST", "/oauth2/token", "401"}) == 1);
  CHECK(count_lines_with(log, {"GET", "/apis", "200"}) == 2);
  CHECK(count_lines_with(log, {"GET", "/apis", "401"}) == 1);
  CHECK(count_lines_with(log, {"DELETE", "/apis", "404"}) == 1);
  CHECK(count_lines_with(log, {"POST", "/apis", "200"}) == 1);
  CHECK(count_lines_with(log, {"/apis"}) == 5);
  CHECK(count_lines_with(log, {"/oauth2/token"}) == 2);
  // Each request line: method, path, status, bytes, then a duration in ms.
  static const std::regex access(R"((GET|POST|DELETE) (/\S+) ([1-5][0-9]{2}) ([0-9]+)\b.*\b[0-9]+(\.[0-9]+)? ?ms\b)");
  std::stringstream lines(log);
  std::string line;
  int request_lines = 0;
  while (std::getline(lines, line)) {
    if (!contains(line, "/apis") && !contains(line, "/oauth2/token")) continue;
    ++request_lines;
    CHECK_MESSAGE(std::regex_search(line, access), "access log line: " << line);
  }
  CHECK(request_lines == 7);

  auto parts = split(token, '.');
  CHECK_FALSE(contains(log, password));
  CHECK_FALSE(contains(log, wrong));
  CHECK_FALSE(contains(log, base64_encode("logger:" + password)));
  CHECK_FALSE(contains(log, base64_encode("logger:" + wrong)));
  CHECK_FALSE(contains(log, token));
  REQUIRE(parts.size() == 3);
  CHECK_FALSE(contains(log, parts[2]));  // not even the signature alone
  CHECK_FALSE(contains(log, parts[1]));
}

TEST_CASE("gateway: a second gateway on the first one's data directory is exit 3 naming the holder, and the first keeps serving") {
  Gateway g;
  ChildProcess second({portico_binary(), "gateway", "--listen", "127.0.0.1:0", "--data-dir", g.data_dir},
                      {});
  auto status = second.wait_exit(20s);
  if (!status) second.terminate(SIGKILL, 2s);
  REQUIRE_MESSAGE(status.has_value(), "the second gateway kept running; stdout: " << second.stdout_text());
  second.wait_drained(2s);
  CHECK(*status == 3);
  CHECK_MESSAGE(contains(second.stderr_text(), "is in use by another portico gateway (pid "), second.stderr_text());
  CHECK_FALSE(contains(second.stdout_text(), "listening"));
  CHECK_STATUS(g.list(), 200);
  CHECK(g.stop() == 0);
}

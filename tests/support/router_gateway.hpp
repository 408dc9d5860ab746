// Test support: `portico gateway` with its router for the router's e2e tests
// (tests/e2e/test_router*.cpp): fast health timing, project zips built in
// memory, calls through the router with a token from /testkey, the JSON view
// of the clusters, and bounded polling. Header-only.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "archive/zip_writer.hpp"
#include "gateway_process.hpp"
#include "http.hpp"
#include "util/file.hpp"

namespace portico::test {

using namespace std::chrono_literals;

inline const std::vector<std::string> kFast{"--plain-http",          "--health-interval",     "150", "--no-traffic-interval",
                                     "150",                   "--health-timeout",      "150", "--unhealthy-threshold",
                                     "2",                     "--healthy-threshold",   "2"};

inline std::vector<std::string> fast(std::vector<std::string> more = {}) {
  auto a = kFast;
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

inline std::string api_yaml(const std::string& name, const std::string& version) {
  return "type: api\nversion: v4.0.0\ndata:\n  name: " + name + "\n  version: " + version + "\n  context: /" + name +
         "\n  type: HTTP\n  endpointImplementationType: ENDPOINT\n  endpointConfig:\n    endpoint_type: http\n"
         "    production_endpoints: {url: http://127.0.0.1:9/unused}\n";
}

// A definition with base path /NAME/VERSION; `root` is inserted at the root
// (endpoint extensions), `paths` is the paths mapping (indented by 2).
inline std::string definition(const std::string& name, const std::string& version, const std::string& root,
                       const std::string& paths) {
  return "openapi: 3.0.1\ninfo: {title: " + name + ", version: '" + version + "'}\nx-wso2-basePath: /" + name + "/" +
         version + "\n" + root + "paths:\n" + paths;
}

inline const std::string kGetItems = "  /items:\n    get: {responses: {'200': {description: OK}}}\n";

struct RouterGateway : TempGateway {
  explicit RouterGateway(std::vector<std::string> args = fast(), std::map<std::string, std::string> env = {})
      : TempGateway(std::move(args), std::move(env)) {}

  std::string zip(const std::string& name, const std::string& version, const std::string& def,
                  std::map<std::string, std::string> extra = {}) {
    static int n = 0;
    std::string out = tmp.path + "/p" + std::to_string(n++) + ".zip";
    std::vector<archive::ZipInput> e{{name + "/api.yaml", {}, api_yaml(name, version)},
                                     {name + "/Definitions/swagger.yaml", {}, def}};
    for (auto& [k, v] : extra) e.push_back({name + "/" + k, {}, v});
    archive::write_zip(out, std::move(e));
    return file::read(out);
  }
  HttpRequest adapter(const std::string& method, const std::string& path) {
    HttpRequest r;
    r.method = method;
    r.url = proc->url(path);
    r.ca_file = proc->ca_file();
    r.basic = std::make_pair("admin", "admin");
    return r;
  }
  void deploy(const std::string& zip_bytes, bool override = false) {
    auto r = adapter("POST", override ? "/apis?override=true" : "/apis");
    r.parts.push_back({"file", zip_bytes, "project.zip", "application/zip"});
    auto res = http_request(r);
    REQUIRE_MESSAGE(res.status == 200, "deploy: " << res.status << " " << res.body << " " << res.error);
  }
  void undeploy(const std::string& name, const std::string& version) {
    auto res = http_request(adapter("DELETE", "/apis?apiName=" + name + "&version=" + version));
    REQUIRE_MESSAGE(res.status == 200, "undeploy: " << res.status << " " << res.body);
  }
  HttpResponse call(const std::string& method, const std::string& path, const std::string& token = "",
                    std::vector<std::string> headers = {}) {
    HttpRequest r;
    r.method = method;
    r.url = proc->router_url() + path;
    r.ca_file = proc->ca_file();
    bool host_given = false;
    for (const auto& h : headers) host_given = host_given || h.rfind("Host:", 0) == 0;
    r.headers = std::move(headers);
    if (!host_given) r.headers.push_back("Host: localhost");
    if (!token.empty()) r.bearer = token;
    r.timeout_ms = 10000;
    return http_request(r);
  }
  std::string token(const std::string& keytype = "") {
    HttpRequest r;
    r.method = "POST";
    r.url = proc->router_url() + "/testkey";
    r.ca_file = proc->ca_file();
    r.headers.push_back("Host: localhost");
    r.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    r.basic = std::make_pair("admin", "admin");
    r.body = keytype.empty() ? "" : "keytype=" + keytype;
    auto res = http_request(r);
    REQUIRE_MESSAGE(res.status == 200, "testkey: " << res.status << " " << res.body);
    CHECK(res.content_type.rfind("text/plain", 0) == 0);
    return res.body;
  }
  nlohmann::json clusters() {
    HttpRequest r;
    r.url = proc->router_url() + "/portico/clusters";
    r.ca_file = proc->ca_file();
    auto res = http_request(r);
    REQUIRE(res.status == 200);
    return nlohmann::json::parse(res.body);
  }
  // Polls (every 20 ms, at most `limit`) until pred(GET path) holds; returns the last answer.
  HttpResponse until(const std::string& path, const std::string& tok, const std::function<bool(const HttpResponse&)>& pred,
                     std::chrono::milliseconds limit = 5s) {
    auto end = std::chrono::steady_clock::now() + limit;
    HttpResponse r;
    do {
      r = call("GET", path, tok);
      if (pred(r)) return r;
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < end);
    return r;
  }
  // Waits until the cluster named `label` has had its first checks.
  void wait_checked(const std::string& label) {
    auto end = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < end) {
      nlohmann::json view = clusters();
      for (const auto& c : view["clusters"])
        if (c["name"] == label) {
          bool all = true;
          for (const auto& h : c["hosts"]) all = all && h["health"] != "waiting for its first check";
          if (all) return;
        }
      std::this_thread::sleep_for(20ms);
    }
    FAIL("cluster " << label << " was never checked: " << clusters().dump() << "\n" << log());
  }
};

inline bool from(const HttpResponse& r, const std::string& name) { return r.status == 200 && r.body.rfind(name + " ", 0) == 0; }

inline std::string code_of(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : "";
}

inline std::string failover_root(const std::vector<std::string>& urls, const std::string& type = "failover",
                          const std::string& extra = "") {
  std::string s = "x-wso2-production-endpoints:\n  type: " + type + "\n  urls:\n";
  for (const auto& u : urls) s += "    - " + u + "\n";
  return s + extra;
}

}  // namespace portico::test

// The adapter's REST logic without sockets: Service driven with requests.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "archive/zip_writer.hpp"
#include "crypto/jwt.hpp"
#include "crypto/keys.hpp"
#include "doc/document.hpp"
#include "project/acceptance.hpp"
#include "gateway/adapter/request.hpp"
#include "gateway/adapter/service.hpp"
#include "process.hpp"
#include "util/base64.hpp"
#include "util/file.hpp"
#include "util/error.hpp"
#include <unistd.h>
#include <sys/stat.h>
#include <filesystem>
#include <set>

using namespace portico;
using nlohmann::json;

namespace {

std::string api_yaml(const std::string& name, const std::string& version, const std::string& context,
                     const std::string& extra = "") {
  return "type: api\nversion: v4.0.0\ndata:\n  name: " + name + "\n  version: " + version + "\n  context: " +
         context + "\n  type: HTTP\n  endpointImplementationType: ENDPOINT\n  endpointConfig:\n"
         "    endpoint_type: http\n    production_endpoints: {url: http://backend.example.com/v1}\n" + extra;
}

std::string definition(const std::string& title, const std::string& version) {
  return "openapi: 3.0.1\ninfo: {title: " + title + ", version: '" + version +
         "'}\nx-wso2-production-endpoints:\n  urls: [http://a.example.com/v1, http://b.example.com/v1]\n"
         "  type: failover\npaths:\n  /x:\n    get: {responses: {'200': {description: OK}}}\n";
}

std::string zip_of(std::vector<archive::ZipInput> entries) {
  test::TempDir t;
  archive::write_zip(t.path + "/p.zip", std::move(entries));
  return file::read(t.path + "/p.zip");
}

std::string project_zip(const std::string& name, const std::string& version, const std::string& context,
                    const std::string& envs = "") {
  std::vector<archive::ZipInput> e{{name + "/api.yaml", {}, api_yaml(name, version, context)},
                                   {name + "/Definitions/swagger.yaml", {}, definition(name, version)}};
  if (!envs.empty()) e.push_back({name + "/deployment_environments.yaml", {}, envs});
  return zip_of(e);
}

struct Fixture {
  test::TempDir dir;
  gateway::adapter::Store store{dir.path};
  crypto::Pkey key = crypto::generate_rsa(2048);
  long long now = 1'000'000;
  gateway::adapter::Service service{gateway::adapter::ServiceConfig{}, store, key.get(), [this] { return now; }};

  gateway::adapter::Response call(const std::string& method, const std::string& path, std::string auth = "basic",
                         std::multimap<std::string, std::string> params = {}, const std::string* file = nullptr,
                         const std::string& body = "") {
    gateway::adapter::Request r;
    r.method = method;
    r.path = path;
    r.params = std::move(params);
    r.authorization = auth == "basic" ? "Basic " + base64::encode("admin:admin") : auth;
    r.body = body;
    if (file) {
      r.multipart = r.has_file = true;
      r.file = *file;
    }
    return service.handle(r);
  }
  gateway::adapter::Response deploy(const std::string& zip, bool override = false) {
    std::multimap<std::string, std::string> p;
    if (override) p.emplace("override", "true");
    return call("POST", "/apis", "basic", p, &zip);
  }
  json list(std::multimap<std::string, std::string> p = {}) {
    auto r = call("GET", "/apis", "basic", std::move(p));
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }
};

}  // namespace

TEST_CASE("gateway service: a token is issued for good credentials and works until it expires") {
  Fixture f;
  auto bad = f.call("POST", "/oauth2/token", "", {}, nullptr, R"({"username":"admin","password":"nope"})");
  CHECK(bad.status == 401);
  CHECK(json::parse(bad.body)["code"] == 401);
  auto r = f.call("POST", "/oauth2/token", "", {}, nullptr, R"({"username":"admin","password":"admin"})");
  REQUIRE(r.status == 200);
  std::string token = json::parse(r.body)["accessToken"];
  CHECK(f.call("GET", "/apis", "Bearer " + token).status == 200);
  f.now += 3600;
  CHECK(f.call("GET", "/apis", "Bearer " + token).status == 401);
}

TEST_CASE("gateway service: credential patterns and body shape are validated") {
  Fixture f;
  CHECK(f.call("POST", "/oauth2/token", "", {}, nullptr, R"({"username":"ad min","password":"x"})").status == 422);
  CHECK(f.call("POST", "/oauth2/token", "", {}, nullptr,
               R"({"username":")" + std::string(101, 'a') + R"(","password":"x"})").status == 422);
  CHECK(f.call("POST", "/oauth2/token", "", {}, nullptr, R"({"username":"admin"})").status == 422);
  CHECK(f.call("POST", "/oauth2/token", "", {}, nullptr, "not json").status == 400);
}

TEST_CASE("gateway service: /apis needs Basic or Bearer credentials") {
  Fixture f;
  CHECK(f.call("GET", "/apis", "").status == 401);
  CHECK(f.call("GET", "/apis", "Basic " + base64::encode("admin:wrong")).status == 401);
  CHECK(f.call("GET", "/apis", "Basic !!!").status == 401);
  CHECK(f.call("GET", "/apis", "Bearer a.b.c").status == 401);
  CHECK(f.call("GET", "/apis", "Digest x").status == 401);
  // A token signed with the gateway's key whose claims have the wrong types.
  CHECK(f.call("GET", "/apis", "Bearer " + crypto::jwt_sign_rs256({{"username", 1}, {"scope", "admin"}, {"exp", 2'000'000}},
                                                                  f.key.get())).status == 401);
  CHECK(f.call("GET", "/apis", "Bearer " + crypto::jwt_sign_rs256({{"username", "admin"}, {"scope", {1}}, {"exp", 2'000'000}},
                                                                  f.key.get())).status == 401);
}

// Found by fuzz/gateway_request: an error message quoting bytes that are not
// UTF-8 made nlohmann's dump() throw, which ended the gateway's worker.
TEST_CASE("gateway service: an answer quoting bytes that are not UTF-8 is still JSON") {
  Fixture f;
  auto scheme = f.call("GET", "/apis", "\xff\xfe x");
  CHECK(scheme.status == 401);
  CHECK(json::parse(scheme.body)["message"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
  auto path = f.call("GET", "/apis\xc3");
  CHECK(path.status == 404);
  CHECK_NOTHROW(json::parse(path.body));
  serve::Request h;
  h.method = "GET";
  h.target = "/elsewhere/\xff";
  gateway::adapter::Request req;
  auto refused = gateway::adapter::decode_request(h, req);
  REQUIRE(refused);
  CHECK(refused->status == 404);
  CHECK_NOTHROW(json::parse(refused->body));
}

TEST_CASE("gateway request: query parameters are percent-decoded and the multipart part named file is found") {
  serve::Request h;
  h.method = "POST";
  h.target = std::string(gateway::adapter::kBasePath) + "/apis?override=tr%75e&a+b=c%2&&x";
  h.headers = {{"Content-Type", "multipart/form-data; boundary=\"b b\""}, {"Authorization", "Basic x"}};
  h.body = "--b b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nno\r\n"
           "--b b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.zip\"\r\n\r\nPK\r\n--b b--\r\n";
  gateway::adapter::Request req;
  REQUIRE_FALSE(gateway::adapter::decode_request(h, req));
  CHECK(req.path == "/apis");
  CHECK(req.params.find("override")->second == "true");
  CHECK(req.params.find("a b")->second == "c%2");
  CHECK(req.params.find("x")->second.empty());
  CHECK(req.authorization == "Basic x");
  CHECK(req.multipart);
  CHECK(req.has_file);
  CHECK(req.file == "PK");
  h.headers.push_back({"Transfer-Encoding", "chunked"});
  auto refused = gateway::adapter::decode_request(h, req);
  REQUIRE(refused);
  CHECK(refused->status == 411);
}

TEST_CASE("gateway service: deploy, list, conflict, override, undeploy") {
  Fixture f;
  std::string pets = project_zip("Pets", "1.0.0", "/pets");
  CHECK(f.deploy(pets).status == 200);
  json l = f.list();
  REQUIRE(l["count"] == 1);
  CHECK(l["list"][0]["apiName"] == "Pets");
  CHECK(l["list"][0]["context"] == "/pets/1.0.0");
  CHECK(l["list"][0]["gateway-envs"] == json::array({"Default"}));
  CHECK(l["list"][0]["vhost"] == "localhost");
  CHECK(f.deploy(pets).status == 409);
  CHECK(f.deploy(pets, true).status == 200);
  // Another API on the same base path: 409, even with override.
  std::string clash = project_zip("Other", "1.0.0", "/pets");
  auto c = f.deploy(zip_of({{"o/api.yaml", {}, api_yaml("Other", "2.0.0", "/pets/1.0.0")},
                            {"o/Definitions/swagger.yaml", {}, definition("Other", "2.0.0") + "x-wso2-basePath: /pets/1.0.0\n"}}),
                    true);
  CHECK(c.status == 409);
  CHECK(json::parse(c.body)["message"].get<std::string>().find("base path") != std::string::npos);
  CHECK(f.call("DELETE", "/apis", "basic", {{"apiName", "Pets"}, {"version", "1.0.0"}}).status == 200);
  CHECK(f.list()["count"] == 0);
  CHECK(f.call("DELETE", "/apis", "basic", {{"apiName", "Pets"}, {"version", "1.0.0"}}).status == 404);
}

TEST_CASE("gateway service: rejected projects get 500 with the reason") {
  Fixture f;
  auto notzip = f.deploy("plain text");
  CHECK(notzip.status == 500);
  CHECK(json::parse(notzip.body)["message"].get<std::string>().find("zip") != std::string::npos);
  auto noapi = f.deploy(zip_of({{"p/Definitions/swagger.yaml", {}, definition("P", "1")}}));
  CHECK(noapi.status == 500);
  auto nocontext = f.deploy(zip_of({{"p/api.yaml", {}, "data: {name: P, version: '1', type: HTTP}\n"},
                                    {"p/Definitions/swagger.yaml", {}, definition("P", "1")}}));
  CHECK(nocontext.status == 500);
  CHECK(json::parse(nocontext.body)["message"].get<std::string>().find("data.context") != std::string::npos);
  auto badurl = f.deploy(zip_of({{"p/api.yaml", {}, "data:\n  name: P\n  version: '1'\n  context: /p\n  type: HTTP\n"
                                                      "  endpointConfig: {production_endpoints: {url: /relative}}\n"},
                                 {"p/Definitions/swagger.yaml", {}, definition("P", "1")}}));
  CHECK(badurl.status == 500);
  auto nofile = f.call("POST", "/apis");
  CHECK(nofile.status == 400);
  CHECK(f.list()["total"] == 0);
}

TEST_CASE("gateway service: a project for unknown environments is answered 200 and not deployed") {
  Fixture f;
  std::string envs = "type: deployment_environments\ndata:\n  - deploymentEnvironment: Nowhere\n    deploymentVhost: x\n";
  CHECK(f.deploy(project_zip("Pets", "1.0.0", "/pets", envs)).status == 200);
  CHECK(f.list()["total"] == 0);
}

TEST_CASE("gateway service: list filters by type and limits, parameters are validated") {
  Fixture f;
  CHECK(f.deploy(project_zip("Aaa", "1", "/a")).status == 200);
  CHECK(f.deploy(project_zip("Bbb", "1", "/b")).status == 200);
  json l = f.list({{"limit", "1"}});
  CHECK(l["total"] == 2);
  CHECK(l["count"] == 1);
  CHECK(l["list"][0]["apiName"] == "Aaa");
  CHECK(f.list({{"query", "type:ws"}})["total"] == 0);
  CHECK(f.list({{"query", "type:http"}})["total"] == 2);
  CHECK(f.call("GET", "/apis", "basic", {{"query", "type:http1"}}).status == 422);
  CHECK(f.call("GET", "/apis", "basic", {{"query", "type:https"}}).status == 422);  // 10 characters
  CHECK(f.call("GET", "/apis", "basic", {{"limit", "0"}}).status == 422);
  CHECK(f.call("DELETE", "/apis", "basic", {{"apiName", "a b"}, {"version", "1"}}).status == 422);
  CHECK(f.call("DELETE", "/apis", "basic", {{"apiName", "Aaa"}}).status == 422);
}

TEST_CASE("gateway service: deployments persist in the store across instances") {
  test::TempDir dir;
  auto key = crypto::generate_rsa(2048);
  {
    gateway::adapter::Store store(dir.path);
    gateway::adapter::Service s(gateway::adapter::ServiceConfig{}, store, key.get(), [] { return 1LL; });
    gateway::adapter::Request r;
    r.method = "POST";
    r.path = "/apis";
    r.authorization = "Basic " + base64::encode("admin:admin");
    r.multipart = r.has_file = true;
    std::string zip = project_zip("Pets", "1.0.0", "/pets");
    r.file = zip;
    REQUIRE(s.handle(r).status == 200);
  }
  gateway::adapter::Store again(dir.path);
  auto all = again.list();
  REQUIRE(all.size() == 1);
  CHECK(all[0].name == "Pets");
  CHECK(all[0].basepath == "/pets/1.0.0");
}

TEST_CASE("gateway acceptance: entries are classified by substring, the last match wins") {
  // A stray openapi.yaml after api.yaml is read as the metadata, as the adapter does.
  auto v = project::accept_project(zip_of({{"p/api.yaml", {}, api_yaml("P", "1", "/p")},
                                           {"p/Definitions/swagger.yaml", {}, definition("P", "1")},
                                           {"p/zz-openapi.yaml", {}, "not: metadata\n"}}));
  CHECK_FALSE(v.api);
  auto ok = project::accept_project(zip_of({{"api.yaml", {}, api_yaml("P", "1", "/p")},
                                            {"Definitions/swagger.yaml", {}, definition("P", "1")}}));
  REQUIRE(ok.api);  // no root folder is fine
  CHECK(ok.api->basepath == "/p/1");
}

TEST_CASE("gateway store: a second store on the same data directory is refused, naming the holder") {
  test::TempDir dir;
  gateway::adapter::Store first(dir.path);
  try {
    gateway::adapter::Store second(dir.path);
    FAIL("a second store on the same directory was allowed");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::Input);
    CHECK(std::string(e.what()).find("in use by another portico gateway (pid " + std::to_string(::getpid()) + ")") !=
          std::string::npos);
  }
}

TEST_CASE("gateway store: metadata it cannot understand is quarantined with its archive, never deleted") {
  for (std::string bad : {std::string("{\"name\": \"Pe"), std::string(""), std::string("\x01\x02garbage\xff"),
                          std::string("{\"kind\": \"something else\", \"items\": [1, 2]}")}) {
    CAPTURE(bad);
    test::TempDir dir;
    auto key = crypto::generate_rsa(2048);
    {
      gateway::adapter::Store store(dir.path);
      gateway::adapter::Service s(gateway::adapter::ServiceConfig{}, store, key.get(), [] { return 1LL; });
      for (auto [name, bp] : {std::pair{"Pets", "/pets"}, std::pair{"Shop", "/shop"}}) {
        gateway::adapter::Request r;
        r.method = "POST";
        r.path = "/apis";
        r.authorization = "Basic " + base64::encode("admin:admin");
        r.multipart = r.has_file = true;
        std::string zip = project_zip(name, "1.0.0", bp);
        r.file = zip;
        REQUIRE(s.handle(r).status == 200);
      }
    }
    // Corrupt the metadata of one API.
    std::filesystem::path victim, victim_zip;
    for (const auto& e : std::filesystem::directory_iterator(dir.path + "/apis"))
      if (e.path().extension() == ".json" && file::read(e.path()).find("\"Pets\"") != std::string::npos) {
        victim = e.path();
        auto meta = nlohmann::json::parse(file::read(e.path()));
        victim_zip = e.path().parent_path() / meta["archive"].get<std::string>();
      }
    REQUIRE(!victim.empty());
    std::string zip_bytes = file::read(victim_zip);
    file::write_atomic(victim, bad);

    gateway::adapter::Store again(dir.path);
    auto all = again.list();
    REQUIRE(all.size() == 1);
    CHECK(all[0].name == "Shop");
    CHECK_FALSE(std::filesystem::exists(victim));
    CHECK_FALSE(std::filesystem::exists(victim_zip));
    // Both files kept aside, byte for byte.
    std::size_t kept = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path + "/quarantine")) {
      if (e.path().filename() == victim_zip.filename()) {
        CHECK(file::read(e.path()) == zip_bytes);
        ++kept;
      }
      if (e.path().filename() == victim.filename()) {
        CHECK(file::read(e.path()) == bad);
        ++kept;
      }
    }
    CHECK(kept == 2);
  }
}

TEST_CASE("gateway store: a data directory it creates is 0700 even under umask 000") {
  test::TempDir dir;
  mode_t old = ::umask(0);
  { gateway::adapter::Store store(dir.path + "/data"); }
  ::umask(old);
  CHECK((std::filesystem::status(dir.path + "/data").permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms::owner_all);
  CHECK((std::filesystem::status(dir.path + "/data/apis").permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms::owner_all);
}

// Issue 10 item 14: the gateway spent seconds on a large definition even to
// answer 409 for an API that exists. The name+version conflict now comes from
// api.yaml alone, and the definition is not parsed.
TEST_CASE("gateway service: an existing API without override gets 409 without its definition being parsed") {
  Fixture f;
  REQUIRE(f.deploy(project_zip("Pets", "1.0.0", "/pets")).status == 200);
  std::string big = definition("Pets", "1.0.0");
  for (int i = 0; i < 20000; ++i)
    big += "  /r" + std::to_string(i) + ":\n    get: {responses: {'200': {description: OK}}}\n";
  std::string zip = zip_of({{"Pets/api.yaml", {}, api_yaml("Pets", "1.0.0", "/pets")},
                            {"Pets/Definitions/swagger.yaml", {}, big}});
  auto before = doc::bytes_parsed();
  auto r = f.deploy(zip);
  CHECK(r.status == 409);
  CHECK(json::parse(r.body)["message"].get<std::string>().find("override=true") != std::string::npos);
  CHECK(doc::bytes_parsed() - before < big.size());
  // With override the project is accepted in full, its definition parsed once.
  before = doc::bytes_parsed();
  CHECK(f.deploy(zip, true).status == 200);
  auto parsed = doc::bytes_parsed() - before;
  CHECK(parsed >= big.size());
  CHECK(parsed < 2 * big.size());
}

TEST_CASE("gateway store: every put and update gives a new revision, read_archive reads the current revision only") {
  test::TempDir dir;
  gateway::adapter::Store store(dir.path);
  using gateway::adapter::Deployment;
  auto deployment = [](const std::string& name) {
    return Deployment{name, "1.0.0", "HTTP", "/" + name, {{"Default", "localhost"}}, 1, ""};
  };
  store.put(deployment("a"), "zip of a, first");
  store.put(deployment("b"), "zip of b");
  auto first = store.list();
  REQUIRE(first.size() == 2);
  CHECK(first[0].revision != 0);
  CHECK(first[0].revision != first[1].revision);
  CHECK(store.list()[0].revision == first[0].revision);  // unchanged while nothing changes
  CHECK(store.read_archive(first[0]) == "zip of a, first");
  CHECK(store.read_archive(first[1]) == "zip of b");

  // Override: a new revision in place; the old one's archive is no longer read.
  store.put(deployment("a"), "zip of a, second");
  auto second = store.list();
  REQUIRE(second.size() == 2);
  CHECK(second[0].name == "a");
  CHECK(second[0].revision != first[0].revision);
  CHECK(second[0].revision != first[1].revision);
  CHECK(second[1].revision == first[1].revision);
  CHECK_FALSE(store.read_archive(first[0]));
  CHECK(store.read_archive(second[0]) == "zip of a, second");

  // An update (environments changed, same archive) is a new revision too.
  Deployment b = second[1];
  b.targets.push_back({"Sandbox", "sandbox.example.com"});
  store.update(b);
  auto third = store.list();
  CHECK(third[1].revision != second[1].revision);
  CHECK(third[1].revision != second[0].revision);
  CHECK(store.read_archive(third[1]) == "zip of b");
  CHECK_FALSE(store.read_archive(second[1]));

  // Undeploy, then deploy again: never a revision given before.
  store.remove("a", "1.0.0");
  CHECK_FALSE(store.read_archive(second[0]));
  store.put(deployment("a"), "zip of a, third");
  auto fourth = store.list();
  REQUIRE(fourth.size() == 2);
  std::set<std::uint64_t> seen{first[0].revision, first[1].revision, second[0].revision, third[1].revision};
  CHECK_FALSE(seen.count(fourth[1].revision));
  CHECK(store.read_archive(fourth[1]) == "zip of a, third");
}

#include <doctest/doctest.h>

#include <filesystem>

#include "archive/zip_reader.hpp"
#include "doc/document.hpp"
#include "process.hpp"
#include "project/api_yaml.hpp"
#include "project/generate.hpp"
#include "project/package.hpp"
#include "rules/validate.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

using namespace portico;

namespace {
const project::GeneratedFile* file_named(const project::Generated& g, const std::string& p) {
  for (const auto& f : g.files)
    if (f.path == p) return &f;
  return nullptr;
}
}  // namespace

TEST_CASE("generate: api.yaml from a failover definition: first URL, then failovers, context without the version") {
  auto d = doc::parse("d.yaml",
                      "openapi: 3.0.1\ninfo: {title: Swagger Pets, version: 1.0.5}\nx-wso2-basePath: /pets/1.0.5\n"
                      "x-wso2-production-endpoints: {urls: [http://a.example.com/v1, http://b.example.com/v1, "
                      "http://c.example.com/v1], type: failover}\n"
                      "x-wso2-sandbox-endpoints: {urls: [http://s.example.com/v1]}\npaths: {}\n");
  auto g = project::generate_project(d);
  CHECK(g.name == "SwaggerPets");
  CHECK(g.context == "/pets");
  const auto* api = file_named(g, "api.yaml");
  REQUIRE(api);
  auto meta = project::read_api_yaml(std::make_shared<doc::Document>(doc::parse("api.yaml", api->content)));
  CHECK(project::ApiYaml::str(meta.name) == "SwaggerPets");
  CHECK(project::ApiYaml::str(meta.version) == "1.0.5");
  CHECK(project::ApiYaml::str(meta.context) == "/pets");
  REQUIRE(meta.production.urls.size() == 3);
  CHECK(meta.production.failovers == 2);
  CHECK(meta.production.urls[0]->text == "http://a.example.com/v1");
  REQUIRE(meta.sandbox.urls.size() == 1);
  // The definition is copied byte for byte.
  CHECK(file_named(g, "Definitions/swagger.yaml")->content == d.source);
  // The generated project passes the api.yaml checks.
  CHECK(rules::check_api_yaml(meta, &d).empty());
}

TEST_CASE("generate: load balancing lists, servers without extensions, and JSON definitions") {
  auto lb = doc::parse("d.json",
                       R"({"openapi": "3.0.1", "info": {"title": "A", "version": "1"}, "servers": [{"url": "https://s1.example.com/base"}, {"url": "https://s2.example.com/base"}], "paths": {}})");
  auto g = project::generate_project(lb);
  CHECK(file_named(g, "Definitions/swagger.json"));
  const auto* api = file_named(g, "api.yaml");
  CHECK(api->content.find("endpoint_type: load_balance") != std::string::npos);
  CHECK(api->content.find("https://s2.example.com/base") != std::string::npos);
  CHECK(api->content.find("_failovers") == std::string::npos);
}

TEST_CASE("generate: the starter definition validates cleanly") {
  auto d = doc::parse("starter.yaml", project::starter_definition());
  CHECK(rules::check_definition(d).empty());
}

TEST_CASE("package: a project directory becomes a deterministic zip under one root folder") {
  test::TempDir t;
  std::string dir = t.path + "/p";
  test::write_file(dir + "/api.yaml", "x");
  test::write_file(dir + "/Definitions/swagger.yaml", "y");
  test::write_file(dir + "/.git/HEAD", "z");
  test::write_file(dir + "/Docs/a.md~", "backup");
  test::write_file(dir + "/Docs/guide.md", "doc");
  auto layout = project::scan(dir);
  auto p1 = project::package_directory(layout, "Pets-1", t.path + "/1.zip");
  auto p2 = project::package_directory(layout, "Pets-1", t.path + "/2.zip");
  CHECK(p1.entries == std::vector<std::string>{"Pets-1/Definitions/swagger.yaml", "Pets-1/Docs/guide.md", "Pets-1/api.yaml"});
  CHECK(file::read(t.path + "/1.zip") == file::read(t.path + "/2.zip"));
  auto entries = archive::read_zip(file::read(t.path + "/1.zip"));
  CHECK(entries.size() == 3);
}

TEST_CASE("package: symbolic links and stray files are refused, naming them") {
  test::TempDir t;
  std::string dir = t.path + "/p";
  test::write_file(dir + "/api.yaml", "x");
  std::filesystem::create_symlink("/etc/hostname", dir + "/secret.txt");
  try {
    project::package_directory(project::scan(dir), "r", t.path + "/o.zip");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::Input);
    CHECK(std::string(e.what()).find("secret.txt") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(t.path + "/o.zip"));
  std::filesystem::remove(dir + "/secret.txt");
  test::write_file(dir + "/openapi.yaml", "x");
  CHECK_THROWS_AS(project::package_directory(project::scan(dir), "r", t.path + "/o.zip"), Error);
}

TEST_CASE("package: root folder names that would hide api.yaml are replaced") {
  CHECK(project::root_folder("Pets", "1.0") == "Pets-1.0");
  CHECK(project::root_folder("MyDefinitions", "1") == "project");
  CHECK(project::root_folder("a/b", "1") == "a_b-1");
}

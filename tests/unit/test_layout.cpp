#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "process.hpp"
#include "project/layout.hpp"

using namespace portico;

TEST_CASE("layout: dotfiles, VCS folders and editor backups are never archived") {
  CHECK(project::is_archivable("api.yaml"));
  CHECK(project::is_archivable("Docs/guide.md"));
  CHECK(project::is_archivable("api.yaml.bak"));  // not an editor backup: it is stray
  CHECK_FALSE(project::is_archivable(".git/config"));
  CHECK_FALSE(project::is_archivable("Docs/.DS_Store"));
  CHECK_FALSE(project::is_archivable("CVS/Entries"));
  CHECK_FALSE(project::is_archivable("api.yaml~"));
  CHECK_FALSE(project::is_archivable("#api.yaml#"));
}

TEST_CASE("layout: finds api.yaml, the definition, and the files the adapter would misread") {
  test::TempDir t;
  std::string d = t.path + "/proj";
  test::write_file(d + "/api.yaml", "x");
  test::write_file(d + "/Definitions/swagger.yaml", "x");
  test::write_file(d + "/Definitions/swagger.json", "x");
  test::write_file(d + "/openapi.yaml", "x");
  test::write_file(d + "/Docs/myapi.json", "x");
  test::write_file(d + "/.git/api.yaml", "x");
  test::write_file(d + "/README.md", "x");
  auto l = project::scan(d);
  CHECK(l.api_file == "api.yaml");
  CHECK(l.definition == "Definitions/swagger.yaml");
  std::vector<std::string> stray;
  for (const auto& s : l.stray) stray.push_back(s.path);
  std::sort(stray.begin(), stray.end());
  CHECK(stray == std::vector<std::string>{"Definitions/swagger.json", "Docs/myapi.json", "openapi.yaml"});
  CHECK(std::find(l.files.begin(), l.files.end(), ".git/api.yaml") == l.files.end());
}

TEST_CASE("layout: a directory named like Definitions is stray, symlinks are listed apart") {
  test::TempDir t;
  std::string d = t.path + "/MyDefinitions";
  test::write_file(d + "/api.yaml", "x");
  std::filesystem::create_symlink("/etc/passwd", d + "/link.txt");
  auto l = project::scan(d);
  REQUIRE(l.stray.size() == 1);
  CHECK(l.stray[0].path == ".");
  CHECK(l.symlinks == std::vector<std::string>{"link.txt"});
  CHECK(project::is_project_dir(d));
  CHECK_FALSE(project::is_project_dir(t.path));
}

TEST_CASE("layout: an archive's entry list gets the directory's rules below its root folder") {
  auto a = project::archive_layout({"Project/", "Project/api.yaml", "Project/Definitions/", "Project/Definitions/swagger.yaml",
                                    "Project/api.yaml.bak", "Project/Definitions/swagger.json.orig"});
  CHECK(a.root == "Project");
  CHECK(a.rules.api_file == "api.yaml");
  CHECK(a.rules.definition == "Definitions/swagger.yaml");
  REQUIRE(a.rules.stray.size() == 2);
  CHECK(a.rules.stray[0].path == "Definitions/swagger.json.orig");
  CHECK(a.rules.stray[1].path == "api.yaml.bak");

  // The same names as a directory's files give the same findings.
  auto d = project::check_entries(a.files, "Project");
  REQUIRE(d.stray.size() == 2);
  CHECK(d.stray[1].path == "api.yaml.bak");

  auto flat = project::archive_layout({"api.yaml", "Definitions/swagger.yaml"});
  CHECK(flat.root.empty());
  CHECK(flat.rules.api_file == "api.yaml");
  CHECK(flat.rules.stray.empty());

  auto named = project::archive_layout({"MyDefinitions/api.yaml", "MyDefinitions/Definitions/swagger.yaml"});
  CHECK(named.root == "MyDefinitions");
  REQUIRE(named.rules.stray.size() == 1);
  CHECK(named.rules.stray[0].path == ".");
}

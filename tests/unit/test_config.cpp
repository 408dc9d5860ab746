#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>

#include "config/config.hpp"
#include "process.hpp"
#include "util/error.hpp"

using namespace portico;

TEST_CASE("config: adapter URLs get the base path; other schemes are usage errors") {
  CHECK(config::normalise_adapter_url("https://gw.example.com:9843") == "https://gw.example.com:9843/api/mgw/adapter/0.1");
  CHECK(config::normalise_adapter_url("https://gw:9843/") == "https://gw:9843/api/mgw/adapter/0.1");
  CHECK(config::normalise_adapter_url("https://gw:9843/api/mgw/adapter/0.1") == "https://gw:9843/api/mgw/adapter/0.1");
  CHECK_THROWS_AS(config::normalise_adapter_url("ftp://gw"), Error);
  CHECK_THROWS_AS(config::normalise_adapter_url("gw:9843"), Error);
  CHECK_THROWS_AS(config::normalise_adapter_url("https://user:pw@gw"), Error);
}

TEST_CASE("config: environments and logins round-trip; credentials are written 0600") {
  test::TempDir t;
  config::Store s(t.path);
  s.put_environment("prod", {"https://gw/api/mgw/adapter/0.1", "/ca.pem", false});
  s.put_environment("dev", {"https://dev/api/mgw/adapter/0.1", "", true});
  auto envs = s.environments();
  REQUIRE(envs.size() == 2);
  CHECK(envs["prod"].ca_cert == "/ca.pem");
  CHECK(envs["dev"].insecure);
  s.put_login("prod", {"admin", "tok", 42});
  CHECK(s.logins()["prod"].token == "tok");
  struct stat st {};
  REQUIRE(::stat((t.path + "/credentials.yaml").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(s.remove_environment("dev"));
  CHECK_FALSE(s.remove_environment("dev"));
  CHECK(s.remove_login("prod"));
}

TEST_CASE("config: a credentials file readable by others is refused with the chmod that fixes it") {
  test::TempDir t;
  config::Store s(t.path);
  s.put_login("prod", {"admin", "tok", 42});
  ::chmod((t.path + "/credentials.yaml").c_str(), 0644);
  try {
    s.logins();
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::Input);
    CHECK(e.hint().find("chmod 600") != std::string::npos);
  }
}

TEST_CASE("config: a malformed config file is an input error, not a crash") {
  test::TempDir t;
  test::write_file(t.path + "/config.yaml", "environments: [unclosed\n");
  config::Store s(t.path);
  CHECK_THROWS_AS(s.environments(), Error);
}

TEST_CASE("config: the directory comes from the flag, then PORTICO_CONFIG_DIR, then XDG") {
  CHECK(config::config_dir("/x") == "/x");
}

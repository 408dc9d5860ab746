#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "config/config.hpp"
#include "process.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

using namespace portico;

TEST_CASE("config: adapter URLs get the base path, other schemes are usage errors") {
  CHECK(config::normalise_adapter_url("https://gw.example.com:9843") == "https://gw.example.com:9843/api/mgw/adapter/0.1");
  CHECK(config::normalise_adapter_url("https://gw:9843/") == "https://gw:9843/api/mgw/adapter/0.1");
  CHECK(config::normalise_adapter_url("https://gw:9843/api/mgw/adapter/0.1") == "https://gw:9843/api/mgw/adapter/0.1");
  CHECK_THROWS_AS(config::normalise_adapter_url("ftp://gw"), Error);
  CHECK_THROWS_AS(config::normalise_adapter_url("gw:9843"), Error);
  CHECK_THROWS_AS(config::normalise_adapter_url("https://user:pw@gw"), Error);
}

TEST_CASE("config: environments and logins round-trip, credentials are written 0600") {
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

TEST_CASE("config: the directory comes from the flag, then PORTICO_CONFIG_DIR, then XDG, then HOME") {
  struct Saved {
    std::string name;
    std::optional<std::string> value;
  };
  std::vector<Saved> saved;
  for (const char* n : {"PORTICO_CONFIG_DIR", "XDG_CONFIG_HOME", "HOME"}) {
    const char* v = std::getenv(n);
    saved.push_back({n, v ? std::optional<std::string>(v) : std::nullopt});
  }
  ::setenv("PORTICO_CONFIG_DIR", "/from-env", 1);
  ::setenv("XDG_CONFIG_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  CHECK(config::config_dir("/flag") == "/flag");
  CHECK(config::config_dir("") == "/from-env");
  ::unsetenv("PORTICO_CONFIG_DIR");
  CHECK(config::config_dir("") == "/xdg/portico");
  ::unsetenv("XDG_CONFIG_HOME");
  CHECK(config::config_dir("") == "/home/u/.config/portico");
  ::unsetenv("HOME");
  CHECK_THROWS_AS(config::config_dir(""), Error);
  for (const auto& s : saved) {
    if (s.value)
      ::setenv(s.name.c_str(), s.value->c_str(), 1);
    else
      ::unsetenv(s.name.c_str());
  }
}

TEST_CASE("config: a configuration directory portico creates is 0700 even under umask 000") {
  test::TempDir t;
  mode_t old = ::umask(0);
  {
    config::Store s(t.path + "/new/portico");
    s.put_environment("prod", {"https://gw/api/mgw/adapter/0.1", "", false});
  }
  ::umask(old);
  struct stat st {};
  REQUIRE(::stat((t.path + "/new/portico").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("config: an adapter URL with user-info is refused without echoing the password") {
  try {
    config::normalise_adapter_url("https://admin:s3cret-pw@gw.example.com:9843");
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::Usage);
    CHECK(std::string(e.what()).find("s3cret-pw") == std::string::npos);
    CHECK(e.hint().find("s3cret-pw") == std::string::npos);
    CHECK(std::string(e.what()).find("credentials") != std::string::npos);
  }
}

TEST_CASE("config: removing a login works on a credentials file others can read, and leaves it 0600") {
  test::TempDir t;
  config::Store s(t.path);
  s.put_login("prod", {"admin", "tok-123", 4102444800});
  std::filesystem::permissions(t.path + "/credentials.yaml", std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  CHECK_THROWS_AS(s.logins(), Error);  // reading is refused
  CHECK(s.remove_login("prod"));      // removing is not
  struct stat st {};
  REQUIRE(::stat((t.path + "/credentials.yaml").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(portico::file::read(t.path + "/credentials.yaml").find("tok-123") == std::string::npos);
}

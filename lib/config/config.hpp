// Named adapters (<config-dir>/config.yaml) and stored logins
// (<config-dir>/credentials.yaml, mode 0600, refused when group or world
// readable). Both written atomically.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace portico::config {

inline constexpr std::string_view kAdapterBasePath = "/api/mgw/adapter/0.1";

struct Environment {
  std::string adapter;  // https://host:port/api/mgw/adapter/0.1
  std::string ca_cert;  // absolute path, or empty
  bool insecure = false;
};

struct Login {
  std::string username;
  std::string token;
  long long expires = 0;  // seconds since the epoch
};

// The config directory: --config-dir, else PORTICO_CONFIG_DIR, else
// $XDG_CONFIG_HOME/portico, else ~/.config/portico.
std::filesystem::path config_dir(const std::string& flag);

// `URL` normalised: scheme checked, the adapter base path added when absent.
// Throws Error(Usage) for anything but http(s)://host[:port][/path].
std::string normalise_adapter_url(const std::string& url);

class Store {
 public:
  explicit Store(std::filesystem::path dir);

  std::map<std::string, Environment> environments() const;  // throws Error(Input) on a bad file
  void put_environment(const std::string& name, const Environment& env);
  bool remove_environment(const std::string& name);

  std::map<std::string, Login> logins() const;  // throws Error(Input) on unsafe permissions
  void put_login(const std::string& env, const Login& login);
  bool remove_login(const std::string& env);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace portico::config

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "handlers.hpp"
#include "session.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/table.hpp"

namespace portico::cli {

namespace {

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string expiry_text(long long expires) {
  if (expires == 0) return "unknown expiry";
  long long left = expires - now_seconds();
  if (left <= 0) return "expired";
  if (left < 3600) return "expires in " + std::to_string(left / 60) + " min";
  return "expires in " + std::to_string(left / 3600) + " h";
}

}  // namespace

int run_env_add(const Invocation& inv) {
  std::string name = inv.get("NAME");
  if (!valid_name(name))
    throw Error(ExitCode::Usage, "environment name '" + name + "' must be 1-64 letters, digits, '-', '_' or '.'");
  config::Store store(config::config_dir(inv.config_dir));
  config::Environment e;
  if (inv.get("adapter").empty())
    throw Error(ExitCode::Usage, "env add needs --adapter URL", "for example: portico env add " + name + " --adapter https://localhost:9843");
  e.adapter = config::normalise_adapter_url(inv.get("adapter"));
  if (auto ca = inv.get("ca-cert"); !ca.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(ca, ec)) throw Error(ExitCode::Input, "--ca-cert: cannot read " + ca);
    e.ca_cert = std::filesystem::absolute(ca).string();
  }
  e.insecure = inv.flag("insecure");
  auto envs = store.environments();
  if (envs.count(name) && !inv.flag("force"))
    throw Error(ExitCode::Usage, "environment '" + name + "' exists already", "pass --force to replace it");
  store.put_environment(name, e);
  // A token issued by the old adapter must never be sent to a new one.
  if (envs.count(name) && envs[name].adapter != e.adapter) {
    try {
      if (store.remove_login(name) && !inv.quiet)
        std::cerr << "portico: the stored login of " << name << " was for another adapter and is dropped\n";
    } catch (const Error&) {
    }
  }
  if (e.adapter.rfind("http://", 0) == 0)
    std::cerr << "portico: warning: " << name << " is plain HTTP; use it only with a local 'portico gateway --plain-http'\n";
  if (e.insecure) std::cerr << "portico: warning: TLS verification is off for " << name << "\n";
  if (!inv.quiet) std::cerr << "portico: added environment " << name << " -> " << e.adapter << "\n";
  return 0;
}

int run_env_list(const Invocation& inv) {
  config::Store store(config::config_dir(inv.config_dir));
  auto envs = store.environments();
  std::map<std::string, config::Login> logins;
  try {
    logins = store.logins();
  } catch (const Error& e) {
    std::cerr << "portico: warning: " << e.what() << "\n";
  }
  if (inv.get("format", "human") == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& [name, e] : envs) {
      nlohmann::ordered_json j{{"name", name}, {"adapter", e.adapter}, {"ca_cert", e.ca_cert}, {"insecure", e.insecure}};
      auto it = logins.find(name);
      if (it != logins.end())
        j["login"] = {{"username", it->second.username},
                      {"expires", it->second.expires},
                      {"expired", it->second.expires != 0 && it->second.expires <= now_seconds()}};
      else
        j["login"] = nullptr;
      out.push_back(j);
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (envs.empty()) {
    std::cout << "no environments; add one with 'portico env add NAME --adapter https://host:9843'\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, e] : envs) {
    std::string tls = e.adapter.rfind("http://", 0) == 0 ? "none (plain HTTP)"
                      : e.insecure                       ? "insecure"
                      : e.ca_cert.empty()                ? "system CAs"
                                                         : "CA " + e.ca_cert;
    auto it = logins.find(name);
    std::string login =
        it == logins.end() ? "-" : it->second.username + " (" + expiry_text(it->second.expires) + ")";
    rows.push_back({name, e.adapter, tls, login});
  }
  std::cout << text::render_table({"NAME", "ADAPTER", "TLS", "LOGIN"}, rows);
  return 0;
}

int run_env_remove(const Invocation& inv) {
  std::string name = inv.get("NAME");
  config::Store store(config::config_dir(inv.config_dir));
  if (!store.remove_environment(name)) throw Error(ExitCode::Usage, "no environment named '" + name + "'");
  try {
    store.remove_login(name);
  } catch (const Error&) {
  }
  if (!inv.quiet) std::cerr << "portico: removed environment " << name << "\n";
  return 0;
}

int run_login(const Invocation& inv) {
  Invocation target = inv;
  target.values["environment"] = {inv.get("ENV")};
  std::string user = inv.get("username", "admin");
  std::string password;
  if (inv.flag("password-stdin")) {
    std::getline(std::cin, password);
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) password.pop_back();
    if (password.empty()) throw Error(ExitCode::Auth, "--password-stdin: no password on standard input");
  } else if (const char* p = std::getenv("PORTICO_PASSWORD"); p && *p) {
    password = p;
  } else if (auto pw = prompt_password("Password for " + user + ": ")) {
    password = *pw;
  } else {
    throw Error(ExitCode::Auth, "no password: there is no terminal to ask on",
                "pipe it in: printf '%s' \"$PASSWORD\" | portico login " + inv.get("ENV") + " -u " + user +
                    " --password-stdin");
  }
  std::string env = inv.get("ENV");
  if (env.rfind("http", 0) == 0)
    throw Error(ExitCode::Usage, "login keeps a token for a named environment", "add it first: portico env add NAME --adapter " + env);
  Session s(target, false);
  client::Token t = s.client().login(user, password);
  config::Store store(config::config_dir(inv.config_dir));
  store.put_login(env, {user, t.token, t.expires});
  if (!inv.quiet)
    std::cerr << "portico: logged in to " << env << " as " << user
              << (t.expires ? " (token " + expiry_text(t.expires) + ")" : "") << "\n";
  return 0;
}

int run_logout(const Invocation& inv) {
  std::string env = inv.get("ENV");
  config::Store store(config::config_dir(inv.config_dir));
  bool had = store.remove_login(env);
  if (!inv.quiet) std::cerr << "portico: " << (had ? "logged out of " : "no stored login for ") << env << "\n";
  return 0;
}

}  // namespace portico::cli

namespace portico::cli {

int run_env_import_apictl(const Invocation& inv) {
  std::string path = inv.get("FILE");
  if (path.empty()) {
    const char* home = std::getenv("HOME");
    if (!home || !*home) throw Error(ExitCode::Input, "HOME is not set", "pass the apictl config file: portico env import-apictl FILE");
    path = std::string(home) + "/.wso2apictl/main_config.yaml";
  }
  YAML::Node root;
  try {
    root = YAML::Load(file::read(path, 1 << 20));
  } catch (const YAML::Exception& e) {
    throw Error(ExitCode::Input, "cannot read " + path + ": " + e.what());
  }
  YAML::Node clusters = root.IsMap() ? root["mgw-clusters"] : YAML::Node();
  if (!clusters || !clusters.IsMap() || clusters.size() == 0)
    throw Error(ExitCode::Input, path + " has no mgw-clusters (apictl's Choreo Connect environments)",
                "add them to apictl with 'apictl mg add env', or add them here with 'portico env add'");
  config::Store store(config::config_dir(inv.config_dir));
  auto existing = store.environments();
  int added = 0, skipped = 0;
  for (const auto& kv : clusters) {
    std::string name = kv.first.as<std::string>("");
    std::string adapter = kv.second.IsMap() ? kv.second["adapter"].as<std::string>("") : "";
    if (name.empty() || adapter.empty()) continue;
    if (existing.count(name) && !inv.flag("force")) {
      std::cerr << "portico: skipped " << name << ": an environment of that name exists (--force replaces it)\n";
      ++skipped;
      continue;
    }
    config::Environment e;
    try {
      e.adapter = config::normalise_adapter_url(adapter);
    } catch (const Error& err) {
      std::cerr << "portico: skipped " << name << ": " << err.what() << "\n";
      ++skipped;
      continue;
    }
    store.put_environment(name, e);
    std::cerr << "portico: imported " << name << " -> " << e.adapter << "\n";
    ++added;
  }
  std::cerr << "portico: " << added << " imported, " << skipped
            << " skipped; tokens are not imported: run 'portico login NAME' for each\n";
  return 0;
}

}  // namespace portico::cli

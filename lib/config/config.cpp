#include "config/config.hpp"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "endpoints/url.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;

namespace portico::config {

namespace {

constexpr auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;

YAML::Node load_yaml(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return YAML::Node(YAML::NodeType::Map);
  try {
    YAML::Node n = YAML::Load(file::read(p, 1 << 20));
    if (n.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!n.IsMap()) throw Error(ExitCode::Input, p.string() + " is not a YAML mapping");
    return n;
  } catch (const YAML::Exception& e) {
    throw Error(ExitCode::Input, "cannot read " + p.string() + ": " + e.what(),
                "fix or remove the file; 'portico env add' recreates it");
  }
}

void save_yaml(const fs::path& p, const YAML::Node& n, fs::perms mode) {
  std::error_code ec;
  bool existed = fs::exists(p.parent_path(), ec);
  fs::create_directories(p.parent_path(), ec);
  if (ec) throw Error(ExitCode::Input, "cannot create " + p.parent_path().string() + ": " + ec.message());
  // A configuration directory portico creates is private, whatever the umask.
  if (!existed) fs::permissions(p.parent_path(), fs::perms::owner_all, fs::perm_options::replace, ec);
  YAML::Emitter out;
  out << n;
  file::write_atomic(p, std::string(out.c_str()) + "\n", mode);
}

void check_private(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return;
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    throw Error(ExitCode::Input, p.string() + " is readable by other users: refusing to use the credentials in it",
                "run: chmod 600 " + p.string());
}

}  // namespace

fs::path config_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* e = std::getenv("PORTICO_CONFIG_DIR"); e && *e) return e;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return fs::path(x) / "portico";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".config" / "portico";
  throw Error(ExitCode::Input, "cannot find a configuration directory: HOME is not set",
              "pass --config-dir DIR or set PORTICO_CONFIG_DIR");
}

std::string normalise_adapter_url(const std::string& raw) {
  std::string url(text::trim(raw));
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    throw Error(ExitCode::Usage, "adapter URL '" + url + "' must start with https:// (or http:// for a local gateway)");
  endpoints::Url u = endpoints::parse_url(url);
  if (u.has_userinfo)  // never echo it: it may hold a password
    throw Error(ExitCode::Usage, "the adapter URL holds credentials (user-info before '@'); they are not shown here",
                "give the URL without them, and the credentials with 'portico login' or PORTICO_USERNAME/PORTICO_PASSWORD");
  if (!u.ok() || u.host.empty() || u.has_query || u.has_fragment)
    throw Error(ExitCode::Usage, "adapter URL '" + url + "' is not https://host[:port]",
                "for example https://localhost:9843");
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (u.path.empty() || u.path == "/") url += std::string(kAdapterBasePath);
  return url;
}

Store::Store(fs::path dir) : dir_(std::move(dir)) {}

std::map<std::string, Environment> Store::environments() const {
  std::map<std::string, Environment> out;
  YAML::Node root = load_yaml(dir_ / "config.yaml");
  YAML::Node envs = root["environments"];
  if (!envs) return out;
  if (!envs.IsMap()) throw Error(ExitCode::Input, (dir_ / "config.yaml").string() + ": environments is not a mapping");
  for (const auto& kv : envs) {
    Environment e;
    e.adapter = kv.second["adapter"].as<std::string>("");
    e.ca_cert = kv.second["ca_cert"].as<std::string>("");
    e.insecure = kv.second["insecure"].as<bool>(false);
    out[kv.first.as<std::string>()] = e;
  }
  return out;
}

void Store::put_environment(const std::string& name, const Environment& env) {
  YAML::Node root = load_yaml(dir_ / "config.yaml");
  YAML::Node e;
  e["adapter"] = env.adapter;
  if (!env.ca_cert.empty()) e["ca_cert"] = env.ca_cert;
  if (env.insecure) e["insecure"] = true;
  root["environments"][name] = e;
  save_yaml(dir_ / "config.yaml", root,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

bool Store::remove_environment(const std::string& name) {
  YAML::Node root = load_yaml(dir_ / "config.yaml");
  if (!root["environments"] || !root["environments"][name]) return false;
  root["environments"].remove(name);
  save_yaml(dir_ / "config.yaml", root,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  return true;
}

std::map<std::string, Login> Store::logins() const {
  fs::path p = dir_ / "credentials.yaml";
  check_private(p);
  std::map<std::string, Login> out;
  YAML::Node root = load_yaml(p);
  for (const auto& kv : root) {
    Login l;
    l.username = kv.second["username"].as<std::string>("");
    l.token = kv.second["token"].as<std::string>("");
    l.expires = kv.second["expires"].as<long long>(0);
    out[kv.first.as<std::string>()] = l;
  }
  return out;
}

void Store::put_login(const std::string& env, const Login& login) {
  fs::path p = dir_ / "credentials.yaml";
  check_private(p);
  YAML::Node root = load_yaml(p);
  YAML::Node n;
  n["username"] = login.username;
  n["token"] = login.token;
  n["expires"] = login.expires;
  root[env] = n;
  save_yaml(p, root, kPrivate);
}

bool Store::remove_login(const std::string& env) {
  // No check_private here: taking a token out of a file others can read is
  // what the user wants most; the file is rewritten 0600.
  fs::path p = dir_ / "credentials.yaml";
  YAML::Node root = load_yaml(p);
  if (!root[env]) return false;
  root.remove(env);
  save_yaml(p, root, kPrivate);
  return true;
}

}  // namespace portico::config

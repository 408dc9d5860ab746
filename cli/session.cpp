#include "session.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "terminal.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

namespace portico::cli {

namespace {

std::string env_var(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool is_url(const std::string& s) { return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0; }

// Whether a password can be asked for (prompt_password's /dev/tty).
bool has_terminal() {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<std::string> prompt_password(const std::string& prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios old {};
  bool have_termios = ::tcgetattr(fd, &old) == 0;
  if (!have_termios) {
    ::close(fd);
    return std::nullopt;
  }
  if (::write(fd, prompt.data(), prompt.size()) < 0) {}
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string pw;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n' && c != '\r') pw += c;
  ::tcsetattr(fd, TCSAFLUSH, &old);
  if (::write(fd, "\n", 1) < 0) {}
  ::close(fd);
  return pw;
}

Session::Session(const Invocation& inv, bool need_auth)
    : store_(config::config_dir(inv.config_dir)), quiet_(inv.quiet) {
  std::string env = inv.get("environment");
  if (env.empty()) throw Error(ExitCode::Usage, "no adapter given", "pass -e ENV (a name from 'portico env list', or https://host:port)");
  std::string ca_flag = inv.get("ca-cert");
  bool insecure_flag = inv.flag("insecure");
  if (is_url(env)) {
    target_.label = env;
    target_.base_url = config::normalise_adapter_url(env);
  } else {
    auto envs = store_.environments();
    auto it = envs.find(env);
    if (it == envs.end()) {
      std::string known;
      for (const auto& [n, _] : envs) known += (known.empty() ? "" : ", ") + n;
      throw Error(ExitCode::Usage, "unknown environment '" + env + "'",
                  known.empty() ? "add one with 'portico env add " + env + " --adapter https://host:9843', or pass a URL"
                                : "known: " + known + "; or pass https://host:port");
    }
    env_name_ = env;
    target_.label = env;
    target_.base_url = it->second.adapter;
    target_.ca_file = it->second.ca_cert;
    target_.insecure = it->second.insecure;
  }
  if (!ca_flag.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(ca_flag, ec))
      throw Error(ExitCode::Input, "--ca-cert: cannot read " + ca_flag);
    target_.ca_file = std::filesystem::absolute(ca_flag).string();
  }
  if (insecure_flag) target_.insecure = true;
  if (target_.insecure)
    std::cerr << "portico: warning: TLS verification is off for " << target_.label
              << ": anyone on the path can read the credentials and the API\n";
  if (target_.base_url.rfind("http://", 0) == 0)
    std::cerr << "portico: warning: " << target_.label
              << " is plain HTTP: credentials travel unencrypted (use it only with a local 'portico gateway --plain-http')\n";

  if (auto t = inv.get("timeout"); !t.empty()) {
    if (!text::is_all_digits(t) || t.size() > 6) throw Error(ExitCode::Usage, "--timeout takes whole seconds");
    options_.timeout_ms = std::stol(t) * 1000;
    options_.connect_timeout_ms = std::min(options_.connect_timeout_ms, options_.timeout_ms);
  }
  if (auto r = inv.get("retries"); !r.empty()) {
    if (!text::is_all_digits(r) || r.size() > 2) throw Error(ExitCode::Usage, "--retries takes a number from 0 to 99");
    options_.retries = std::stoi(r);
  }
  if (!inv.quiet) options_.notice = [](const std::string& m) { std::cerr << "portico: " << m << "\n"; };

  // Credentials: the environment first, then the stored login.
  std::string user = env_var("PORTICO_USERNAME"), pass = env_var("PORTICO_PASSWORD"), token = env_var("PORTICO_TOKEN");
  if (!token.empty()) {
    auth_.token = token;
    auth_.origin = "PORTICO_TOKEN";
    if (!user.empty() && !pass.empty())
      auth_.renewal_credentials = [user, pass] { return std::optional<std::pair<std::string, std::string>>({user, pass}); };
  } else if (!user.empty() && !pass.empty()) {
    auth_.username = user;
    auth_.password = pass;
    auth_.origin = "PORTICO_USERNAME and PORTICO_PASSWORD";
  } else if (!env_name_.empty()) {
    auto logins = store_.logins();
    auto it = logins.find(env_name_);
    if (it != logins.end() && !it->second.token.empty()) {
      auth_.token = it->second.token;
      auth_.origin = "the stored login";
      std::string stored_user = it->second.username;
      std::string name = env_name_;
      // An expired token is not sent when it cannot be renewed (no terminal
      // to ask the password on): say what to do instead.
      long long exp = it->second.expires;
      if (need_auth && exp > 0 && exp <= now_seconds() && !has_terminal())
        throw Error(ExitCode::Auth,
                    "the stored token for " + name + " (" + stored_user + ") expired " +
                        std::to_string((now_seconds() - exp) / 60) + " min ago, and there is no terminal to renew it on",
                    "run 'portico login " + name + " -u " + stored_user +
                        "' (or --password-stdin), or set PORTICO_USERNAME and PORTICO_PASSWORD");
      auth_.renewal_credentials = [stored_user, name]() -> std::optional<std::pair<std::string, std::string>> {
        auto pw = prompt_password("Password for " + stored_user + " on " + name + " (the token has expired): ");
        if (!pw) return std::nullopt;
        return std::make_pair(stored_user, *pw);
      };
      config::Store* store = &store_;
      auth_.on_renewed = [store, name, stored_user](const std::string& tok, long long exp) {
        store->put_login(name, {stored_user, tok, exp});
      };
    }
  }
  if (need_auth && auth_.token.empty() && auth_.username.empty())
    throw Error(ExitCode::Auth, "no credentials for " + target_.label,
                env_name_.empty() ? "set PORTICO_USERNAME and PORTICO_PASSWORD (or PORTICO_TOKEN)"
                                  : "run 'portico login " + env_name_ + "', or set PORTICO_USERNAME and PORTICO_PASSWORD");

  std::function<void(const std::string&)> trace;
  if (inv.verbose) trace = [](const std::string& line) { std::cerr << line << "\n"; };
  transport_ = net::make_curl_transport(trace);
  client_ = std::make_unique<client::AdapterClient>(*transport_, target_, auth_, options_);
}

void Session::enable_progress() {
  if (quiet_ || !is_terminal(stderr)) return;
  auto last = std::make_shared<int>(-1);
  options_.progress = [last](std::size_t now, std::size_t total) {
    int pct = total ? static_cast<int>(now * 100 / total) : 0;
    if (pct == *last) return;
    *last = pct;
    int bars = pct / 5;
    std::cerr << "\rUploading [" << std::string(bars, '#') << std::string(20 - bars, ' ') << "] " << pct << "%"
              << (now == total ? "\n" : "") << std::flush;
  };
  client_ = std::make_unique<client::AdapterClient>(*transport_, target_, auth_, options_);
}

}  // namespace portico::cli

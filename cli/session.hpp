// What every command that talks to an adapter needs: the target from
// `-e ENV` (a configured name or an https:// URL), credentials (PORTICO_*
// variables first, then the stored login), warnings about insecure
// settings, and an AdapterClient over libcurl.
#pragma once

#include <memory>
#include <string>

#include "client/adapter.hpp"
#include "commands.hpp"
#include "config/config.hpp"
#include "net/http.hpp"

namespace portico::cli {

class Session {
 public:
  // Reads -e/--environment, --ca-cert, --insecure, --timeout, --retries.
  Session(const Invocation& inv, bool need_auth = true);
  client::AdapterClient& client() { return *client_; }
  const client::Target& target() const { return target_; }
  // Progress on stderr when it is a terminal.
  void enable_progress();

 private:
  config::Store store_;
  client::Target target_;
  std::string env_name_;  // empty when -e was a URL
  std::unique_ptr<net::Transport> transport_;
  std::unique_ptr<client::AdapterClient> client_;
  client::Options options_;
  client::Auth auth_;
  bool quiet_;
};

// Reads a password without echo from the terminal; nullopt without a TTY.
std::optional<std::string> prompt_password(const std::string& prompt);
long long now_seconds();

}  // namespace portico::cli

// `portico gateway`: the Service and the router on the serving layer (serve/, Boost.Asio),
// with TLS material, a bounded worker pool, limits, an access log and a
// clean stop on SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "gateway/router/health.hpp"
#include "gateway/adapter/service.hpp"

namespace portico::gateway {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 9843;  // 0: any free port
  bool plain_http = false;
  std::filesystem::path cert, key;  // empty: self-signed in data_dir/tls
  std::filesystem::path data_dir;
  std::size_t max_upload = 64u << 20;
  int read_timeout_s = 30, write_timeout_s = 60;
  std::size_t workers = 16;
  adapter::ServiceConfig service;
  // The router (adapter.md section 5): same TLS mode and certificate.
  bool router = true;
  std::string router_host = "127.0.0.1";
  int router_port = 9095;  // 0: any free port
  gateway::router::HealthConfig health;
  std::size_t router_max_connections = 10000;
};

// Runs until SIGINT or SIGTERM. `on_ready` gets the one line to print once
// the socket listens. Throws Error(Input) for bad TLS files or a data
// directory it cannot use, Error(Network) when it cannot listen.
void run_server(const ServerConfig& config, const std::function<void(const std::string&)>& on_ready);

}  // namespace portico::gateway

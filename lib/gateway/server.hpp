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
  // Deploys between their head and their answer at once; more get 503 with
  // Retry-After before their body is read.
  std::size_t max_concurrent_deploys = 2;
  std::size_t max_connections = 4096;  // of the adapter's listener
  adapter::ServiceConfig service;
  // The router (adapter.md section 5): same TLS mode and certificate.
  bool router = true;
  std::string router_host = "127.0.0.1";
  int router_port = 9095;  // 0: any free port
  gateway::router::HealthConfig health;
  std::size_t router_max_connections = 10000;
  // The router's kept-alive backend connections: an idle one closes after
  // this, and at most this many stay idle per backend (0: none is reused).
  long upstream_idle_timeout_ms = 30000;
  std::size_t upstream_max_idle = 128;
};

// The memory budget of one acceptance, from the upload limit: 4 x
// max_upload in all (256 MiB at the default 64 MiB): a definition of at
// most max_upload / 2 inflated, every entry read at most max_upload in all,
// and at most budget / 200 nodes (a Node is 72 bytes; with the source, the
// deque and the rules' indexes an acceptance costs about 200 bytes a node,
// measured: a 7 MB definition of 1.25M nodes peaked at 233 MB RSS).
project::AcceptLimits acceptance_budget(std::size_t max_upload);

// Runs until SIGINT or SIGTERM. `on_ready` gets the one line to print once
// the socket listens. Throws Error(Input) for bad TLS files or a data
// directory it cannot use, Error(Network) when it cannot listen.
void run_server(const ServerConfig& config, const std::function<void(const std::string&)>& on_ready);

}  // namespace portico::gateway

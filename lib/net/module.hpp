// libcurl and Boost.Asio/Beast (with OpenSSL), and the ~40 shared libraries they pull in, cost
// several milliseconds at every process start. The code that uses them
// (the curl transport, probe --http, the gateway's server) lives in a
// plugin module, libportico-net.so, that is loaded the first time a
// command needs the network; `validate` and friends never load it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/server.hpp"
#include "net/http.hpp"
#include "probe/http_check.hpp"

namespace portico::netmod {

struct Api {
  int abi;  // kAbi of the build that made the module
  std::unique_ptr<net::Transport> (*make_curl_transport)(std::function<void(const std::string&)> trace);
  std::vector<probe::HttpOutcome> (*http_check)(const std::vector<std::string>& urls, long timeout_ms,
                                                const std::string& ca_file, int parallel);
  void (*run_server)(const gateway::ServerConfig& config, const std::function<void(const std::string&)>& on_ready);
};

inline constexpr int kAbi = 1;

// The module's entry points (implemented inside the module).
std::unique_ptr<net::Transport> make_curl_transport_impl(std::function<void(const std::string&)> trace);
std::vector<probe::HttpOutcome> http_check_impl(const std::vector<std::string>& urls, long timeout_ms,
                                                const std::string& ca_file, int parallel);
void run_server_impl(const gateway::ServerConfig& config, const std::function<void(const std::string&)>& on_ready);

// Loads the module once (PORTICO_NET_MODULE, else beside the executable, else
// in the install tree); throws Error(Input) when it cannot be loaded.
const Api& api();

}  // namespace portico::netmod

extern "C" const portico::netmod::Api* portico_net_module_api();

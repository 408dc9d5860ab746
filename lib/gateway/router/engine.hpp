// The router at run time: carries out router::route()'s decisions on a
// serve::Loop (no sockets of its own): one cluster runtime per cluster of
// the table, with its health checks, circuit-breaker counters and round
// robin; proxying with the list's timeout and status-code retries; the
// access log and health transitions; the JSON view of the clusters. Every
// method runs on the loop's thread; set_table() is posted there by whoever
// rebuilds the table, so requests in flight keep the table they started with.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/router/health.hpp"
#include "gateway/router/router.hpp"
#include "serve/http.hpp"

namespace portico::gateway::router {

struct EngineConfig {
  HealthConfig health;
  Users users;
  EVP_PKEY* key = nullptr;
  std::function<void(const std::string&)> log;  // one line, no newline
  std::function<long long()> wall_clock;         // seconds since the epoch
  // Request bodies up to this size are read whole and kept for retries; a
  // larger body is streamed to the backend as it arrives (the listener's
  // stream_after) and sent once (its request is not retried).
  std::size_t retry_buffer = 1u << 20;
};

class Engine {
 public:
  Engine(serve::Loop& loop, EngineConfig config);
  ~Engine();
  void set_table(std::shared_ptr<const Table> table);
  void handle(serve::Request&& req, serve::Respond respond);
  nlohmann::json clusters_json() const;
  const Table& table() const { return *table_; }

  struct ClusterRuntime;
  struct Exchange;

 private:
  void start_checks(const std::shared_ptr<ClusterRuntime>& rt, long delay);
  void send(const std::shared_ptr<Exchange>& x);
  void finish(const std::shared_ptr<Exchange>& x, serve::Response res, Flag flag);

  serve::Loop& loop_;
  EngineConfig config_;
  std::shared_ptr<const Table> table_;
  std::map<std::string, std::shared_ptr<ClusterRuntime>> clusters_;  // by ClusterSpec::key
  std::vector<std::shared_ptr<ClusterRuntime>> by_index_;            // the current table's clusters
  std::uint64_t jti_ = 0;
};

}  // namespace portico::gateway::router

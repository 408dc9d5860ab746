// Output of `portico probe`: one interface, one function per format.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include "endpoints/resolve.hpp"
#include "probe/evaluate.hpp"
#include "probe/gateway.hpp"
#include "probe/http_check.hpp"

namespace portico::report {

struct ProbeView {
  const endpoints::Resolution& resolution;
  const probe::Plan& plan;
  const std::vector<probe::Result>& results;                 // per target
  const std::vector<probe::GroupOutcome>& outcomes;          // per group
  const std::vector<std::optional<probe::HttpOutcome>>& http;  // per target, with --http
  const probe::Options& options;
  double elapsed_ms = 0;
  // With --gateway: where the router is, its view, and one entry per group.
  const probe::GatewayLocation* gateway_at = nullptr;
  const probe::RouterView* router = nullptr;
  const std::vector<probe::GatewayGroup>* gateway = nullptr;
};

class ProbeReporter {
 public:
  virtual ~ProbeReporter() = default;
  virtual void write(const ProbeView& view, std::ostream& out) = 0;
};

// "human" or "json"; throws Error(Usage) otherwise. `color` for human.
std::unique_ptr<ProbeReporter> make_probe_reporter(std::string_view format, bool color);

}  // namespace portico::report

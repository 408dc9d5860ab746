// What the Choreo Connect adapter does with an uploaded project archive
// (adapter.md section 2): classify entries by substring, read api.yaml and
// the definition, and reject what the adapter rejects, using portico's own
// rules. Pure: bytes in, a verdict out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/finding.hpp"

namespace portico::project {

struct Placement {
  std::string environment;  // a gateway environment, e.g. Default
  std::string vhost;        // e.g. localhost
  bool operator==(const Placement&) const = default;
};

struct AcceptedApi {
  std::string name, version, type, basepath;
  std::vector<Placement> targets;  // from deployment_environments.yaml
};

struct Verdict {
  std::optional<AcceptedApi> api;  // set when accepted
  std::string reason;              // why not, when rejected
  std::vector<Finding> findings;   // the findings behind a rejection
};

// What one acceptance may cost (the gateway derives it from its upload
// limit). A definition costs about ten times its size in memory, nearly all
// of it nodes (72 bytes each): the inflated definition and the node count
// bound it. Defaults: unbounded beyond the zip and document limits.
struct AcceptLimits {
  std::uint64_t max_definition_bytes = 64ull << 20;  // inflated
  std::uint64_t max_inflated_bytes = 256ull << 20;   // every entry read, in all
  std::uint64_t max_nodes = 5'000'000;               // of the definition
  std::string budget_note;  // appended to a refusal over these, e.g. "(this gateway's ... budget)"
};

Verdict accept_project(std::string_view zip_bytes, const AcceptLimits& limits = {});

// What api.yaml and deployment_environments.yaml alone say (name, version,
// targets; basepath and type left empty), without inflating or parsing the
// definition: enough for the name+version conflict (409) before the costly
// acceptance. nullopt when the archive or its api.yaml cannot be read (the
// full acceptance then says why).
std::optional<AcceptedApi> quick_look(std::string_view zip_bytes);

}  // namespace portico::project

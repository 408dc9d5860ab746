// What the Choreo Connect adapter does with an uploaded project archive
// (adapter.md section 2): classify entries by substring, read api.yaml and
// the definition, and reject what the adapter rejects, using portico's own
// rules. Pure: bytes in, a verdict out.
#pragma once

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

Verdict accept_project(std::string_view zip_bytes);

// What api.yaml and deployment_environments.yaml alone say (name, version,
// targets; basepath and type left empty), without inflating or parsing the
// definition: enough for the name+version conflict (409) before the costly
// acceptance. nullopt when the archive or its api.yaml cannot be read (the
// full acceptance then says why).
std::optional<AcceptedApi> quick_look(std::string_view zip_bytes);

}  // namespace portico::project

// Output of `portico endpoints`: the gateway model as a user reads it
// (human table or JSON), and the JSON of a dropped list that probe shares.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string_view>

#include "endpoints/resolve.hpp"

namespace portico::report {

// {"reason", "fallback": "api"|null, "traffic"} for a dropped list, else null.
nlohmann::ordered_json dropped_json(const endpoints::Group& g);

// "human" or "json"; throws Error(Usage) otherwise.
void write_endpoints(const endpoints::Resolution& r, std::string_view format, std::ostream& out);

}  // namespace portico::report

#include <iostream>
#include <nlohmann/json.hpp>

#include "endpoints/load.hpp"
#include "handlers.hpp"
#include "util/table.hpp"

namespace portico::cli {

int run_endpoints(const Invocation& inv) {
  endpoints::Loaded l = endpoints::load(inv.get("PATH", "."));
  const auto& r = l.resolution;
  if (inv.get("format", "human") == "json") {
    nlohmann::ordered_json groups = nlohmann::ordered_json::array();
    for (const auto& g : r.groups) {
      nlohmann::ordered_json urls = nlohmann::ordered_json::array();
      for (const auto& u : g.urls) urls.push_back(u.url);
      groups.push_back({{"scope", g.resource ? "resource" : "api"},
                        {"path", g.resource ? nlohmann::ordered_json(g.path) : nlohmann::ordered_json(nullptr)},
                        {"environment", endpoints::to_string(g.environment)},
                        {"type", endpoints::to_string(g.type)},
                        {"urls", urls},
                        {"source", g.source}});
    }
    nlohmann::ordered_json j{
        {"api", {{"name", r.name.value}, {"version", r.version.value}, {"basepath", r.basepath.value}}},
        {"groups", groups}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << r.name.value << " " << r.version.value << " at " << (r.basepath.value.empty() ? "(no base path)" : r.basepath.value)
            << "\n\n";
  if (r.groups.empty()) {
    std::cout << "no endpoints: the adapter would reject this API (see 'portico validate')\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& g : r.groups) {
    for (std::size_t i = 0; i < g.urls.size(); ++i)
      rows.push_back({i == 0 ? (g.resource ? g.path : "(API)") : "", i == 0 ? std::string(endpoints::to_string(g.environment)) : "",
                      i == 0 ? std::string(endpoints::to_string(g.type)) : "", std::to_string(i + 1), g.urls[i].url,
                      i == 0 ? g.source : ""});
    if (g.urls.empty())
      rows.push_back({g.resource ? g.path : "(API)", std::string(endpoints::to_string(g.environment)),
                      std::string(endpoints::to_string(g.type)), "-", "(no usable URL)", g.source});
  }
  std::cout << text::render_table({"RESOURCE", "ENVIRONMENT", "TYPE", "#", "URL", "SOURCE"}, rows);
  std::cout << "\nResources without a row of their own use the (API) groups; a path item without its own sandbox "
               "block uses the API's.\n";
  return 0;
}

}  // namespace portico::cli

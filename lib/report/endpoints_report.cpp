#include "report/endpoints_report.hpp"

#include "util/error.hpp"
#include "util/table.hpp"

namespace portico::report {

using endpoints::Group;

nlohmann::ordered_json dropped_json(const Group& g) {
  if (!g.dropped()) return nullptr;
  return {{"reason", g.drop_message()},
          {"fallback", g.fallback == endpoints::Fallback::Api ? nlohmann::ordered_json("api") : nlohmann::ordered_json(nullptr)},
          {"traffic", g.fallback_message()}};
}

namespace {

void write_json(const endpoints::Resolution& r, std::ostream& out) {
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  for (const Group* g : r.visible()) {
    nlohmann::ordered_json urls = nlohmann::ordered_json::array();
    for (const auto& u : g->urls) urls.push_back(u.url);
    groups.push_back({{"scope", g->resource() ? "resource" : "api"},
                      {"path", g->resource() ? nlohmann::ordered_json(g->path) : nlohmann::ordered_json(nullptr)},
                      {"environment", endpoints::to_string(g->environment)},
                      {"type", endpoints::to_string(g->type)},
                      {"urls", urls},
                      {"source", g->source},
                      {"dropped", dropped_json(*g)},
                      {"uses_production_cluster", g->uses_production_cluster}});
  }
  nlohmann::ordered_json j{
      {"api", {{"name", r.name.value}, {"version", r.version.value}, {"basepath", r.basepath.value}}},
      {"strict", r.strict},
      {"groups", groups}};
  out << j.dump(2) << "\n";
}

void write_human(const endpoints::Resolution& r, std::ostream& out) {
  out << r.name.value << " " << r.version.value << " at "
      << (r.basepath.value.empty() ? "(no base path)" : r.basepath.value) << "\n\n";
  auto groups = r.visible();
  if (groups.empty()) {
    out << "no endpoints: the adapter would reject this API (see 'portico validate')\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;
  for (const Group* g : groups) {
    std::string scope = g->scope_name();
    std::string env(endpoints::to_string(g->environment));
    std::string state = g->dropped() ? "DROPPED" : "built";
    for (std::size_t i = 0; i < g->urls.size(); ++i)
      rows.push_back({i == 0 ? scope : "", i == 0 ? env : "", i == 0 ? std::string(endpoints::to_string(g->type)) : "",
                      i == 0 ? state : "", std::to_string(i + 1), g->urls[i].url, i == 0 ? g->source : ""});
    if (g->urls.empty())
      rows.push_back({scope, env, std::string(endpoints::to_string(g->type)), state, "-", "(no usable URL)", g->source});
    if (g->dropped())
      notes.push_back("dropped: " + scope + " " + env + ": " + g->drop_message() + "; " + g->fallback_message() + ".");
    if (g->uses_production_cluster)
      notes.push_back("shared: " + scope + " " + env +
                      ": its first URL has the production list's host and port, so the adapter builds no sandbox "
                      "cluster: sandbox calls go to the production list.");
  }
  out << text::render_table({"RESOURCE", "ENVIRONMENT", "TYPE", "GATEWAY", "#", "URL", "SOURCE"}, rows);
  out << "\n";
  for (const auto& n : notes) out << n << "\n";
  if (r.strict)
    out << "strict mode: a root x-wso2-endpoints list is built, so every resource-level list must share the API path"
        << (r.api_path.empty() ? "" : " '" + r.api_path + "'") << ".\n";
  out << "Resources without a row of their own use the (API) groups; a path item without its own sandbox "
         "block uses the API's.\n";
}

}  // namespace

void write_endpoints(const endpoints::Resolution& r, std::string_view format, std::ostream& out) {
  if (format == "json")
    write_json(r, out);
  else if (format == "human")
    write_human(r, out);
  else
    throw Error(ExitCode::Usage, "unknown format '" + std::string(format) + "'", "use human or json");
}

}  // namespace portico::report

// What the gateway model says the adapter drops after answering 200:
// failover-basepath-mismatch (a list's URLs do not share one path; a named
// list or, in strict mode, a resource-level list off the API path) and
// servers-path-mismatch (an OpenAPI 3 servers list with mixed paths). Each
// message says where the traffic goes instead. Also servers-overridden for
// a path item whose own production block hides its own servers.
#include "rules/context.hpp"

namespace portico::rules {

namespace {

std::string describe(const endpoints::Group& g) {
  std::string env(endpoints::to_string(g.environment));
  switch (g.scope) {
    case endpoints::Scope::Api:
      return "the API-level " + env + " list (" + g.source + ")";
    case endpoints::Scope::Resource:
      return "the " + env + " list of " + g.path + " (" + g.source + ")";
    case endpoints::Scope::Named:
      return "the x-wso2-endpoints list '" + g.path + "'";
  }
  return g.source;
}

}  // namespace

void check_routing(const Context& c) {
  for (const auto& g : c.resolved.groups) {
    if (g.drop != endpoints::DropReason::MixedPaths && g.drop != endpoints::DropReason::ApiPathMismatch) continue;
    // A reference's URLs stand in the named list, which reports them.
    if (!g.ref.empty() && g.drop == endpoints::DropReason::MixedPaths) continue;
    if (g.drop_at >= g.urls.size()) continue;
    const endpoints::Endpoint& at = g.urls[g.drop_at];
    bool servers = g.source == "servers" && g.drop == endpoints::DropReason::MixedPaths;
    std::string hint =
        g.drop == endpoints::DropReason::MixedPaths
            ? "give every URL of one list the same path"
            : "give this list the API path '" + g.expected_path +
                  "': once a root x-wso2-endpoints list is built, every list must share it";
    const doc::Document* in = g.document != &c.doc ? g.document : nullptr;
    std::string what =
        g.drop == endpoints::DropReason::MixedPaths
            ? "URL " + std::to_string(g.drop_at + 1) + " has the path '" + g.found_path + "' but the list starts with '" +
                  g.expected_path + "': the adapter drops " + describe(g)
            : describe(g) + " has the path '" + g.found_path + "', not the API path '" + g.expected_path + "'" +
                  (g.scope == endpoints::Scope::Named
                       ? ""
                       : ", which every list must share once a root x-wso2-endpoints list is built (strict mode)") +
                  ": the adapter drops it";
    std::string order = g.order_dependent ? " (which list fixes the API path depends on the adapter's map order)" : "";
    c.emit(servers ? "servers-path-mismatch" : "failover-basepath-mismatch", at.node, at.pointer,
           what + order + ", yet answers 200 to the deploy; " + g.fallback_message(), hint, in);
  }

  // A path item whose own production extension overrides its own servers.
  const doc::Node* root = c.root();
  const doc::Node* paths = root ? root->get("paths") : nullptr;
  if (!paths || !paths->is_map() || endpoints::is_swagger2(root)) return;
  for (std::size_t i = 0; i < paths->size(); ++i) {
    const doc::Node* item = paths->value(i);
    if (!item->is_map() || !item->get("x-wso2-production-endpoints")) continue;
    const doc::Node* servers = item->get("servers");
    if (!servers || !servers->is_seq() || servers->kids.empty()) continue;
    c.emit("servers-overridden", item->get_key("servers"),
           "/paths/" + doc::Pointer::escape(paths->key(i)->text) + "/servers",
           "the x-wso2-production-endpoints of " + paths->key(i)->text +
               " overrides its 'servers': the gateway routes that resource's production traffic to the extension's URLs");
  }
}

}  // namespace portico::rules

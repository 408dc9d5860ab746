#include "project/api_yaml.hpp"

#include "util/text.hpp"

namespace portico::project {

namespace {

const doc::Node* get_icase(const doc::Node* map, std::string_view k, const doc::Node** key = nullptr) {
  if (!map || !map->is_map()) return nullptr;
  long i = map->find_index_icase(k);
  if (i < 0) return nullptr;
  if (key) *key = map->key(static_cast<std::size_t>(i));
  return map->value(static_cast<std::size_t>(i));
}

void add_endpoint(const doc::Node* ep, std::vector<const doc::Node*>& out) {
  if (!ep) return;
  if (ep->is_map()) {
    const doc::Node* url = get_icase(ep, "url");
    out.push_back(url ? url : ep);
  }
}

void add_endpoints(const doc::Node* v, std::vector<const doc::Node*>& out) {
  if (!v) return;
  if (v->is_seq()) {
    for (const auto* item : v->kids) add_endpoint(item, out);
  } else {
    add_endpoint(v, out);
  }
}

void read_env(const doc::Node* config, std::string_view prefix, ApiYaml::Endpoints& e) {
  const doc::Node* key = nullptr;
  const doc::Node* eps = get_icase(config, std::string(prefix) + "_endpoints", &key);
  e.present = key != nullptr;
  e.key = key;
  add_endpoints(eps, e.urls);
  std::size_t before = e.urls.size();
  add_endpoints(get_icase(config, std::string(prefix) + "_failovers"), e.urls);
  e.failovers = e.urls.size() - before;
}

}  // namespace

bool ApiYaml::mocked() const { return text::to_upper(str(impl_type)) == "MOCKED_OAS"; }
bool ApiYaml::websocket() const { return text::to_upper(str(type)) == "WS"; }

ApiYaml read_api_yaml(std::shared_ptr<const doc::Document> d) {
  ApiYaml a;
  a.document = std::move(d);
  const doc::Node* root = a.document->root;
  a.data = get_icase(root, "data", &a.data_key);
  if (!a.data || !a.data->is_map()) return a;
  a.name = get_icase(a.data, "name");
  a.version = get_icase(a.data, "version");
  a.context = get_icase(a.data, "context");
  a.type = get_icase(a.data, "type");
  a.impl_type = get_icase(a.data, "endpointImplementationType");
  a.endpoint_config = get_icase(a.data, "endpointConfig", &a.endpoint_config_key);
  if (a.endpoint_config && a.endpoint_config->is_map()) {
    read_env(a.endpoint_config, "production", a.production);
    read_env(a.endpoint_config, "sandbox", a.sandbox);
  }
  return a;
}

}  // namespace portico::project

// api.yaml (or api.json) of a Choreo Connect project, read the way the
// adapter reads it: keys matched without regard to case.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "doc/document.hpp"

namespace portico::project {

struct ApiYaml {
  std::shared_ptr<const doc::Document> document;
  const doc::Document& doc() const { return *document; }
  const doc::Node* data_key = nullptr;  // the `data` key, for positions
  const doc::Node* data = nullptr;
  const doc::Node* name = nullptr;      // value nodes; null when absent
  const doc::Node* version = nullptr;
  const doc::Node* context = nullptr;
  const doc::Node* type = nullptr;
  const doc::Node* impl_type = nullptr;
  const doc::Node* endpoint_config = nullptr;
  const doc::Node* endpoint_config_key = nullptr;

  struct Endpoints {
    bool present = false;             // production_endpoints / sandbox_endpoints key exists
    const doc::Node* key = nullptr;
    // Each endpoint's `url` value node, or the endpoint map itself when it has no url.
    std::vector<const doc::Node*> urls;
    std::size_t failovers = 0;        // how many of `urls` came from *_failovers
  };
  Endpoints production, sandbox;

  // A scalar field's text, or "" when absent or not a scalar.
  static std::string str(const doc::Node* n) { return n && n->is_scalar() && !n->is_null() ? n->text : ""; }
  bool mocked() const;   // endpointImplementationType: MOCKED_OAS
  bool websocket() const;  // data.type WS
};

// Reads the fields from an already parsed document, which it keeps alive.
ApiYaml read_api_yaml(std::shared_ptr<const doc::Document> d);

}  // namespace portico::project

// A Choreo Connect project made from one OpenAPI definition, as `portico
// init` writes it and as `portico deploy FILE` builds it in memory: the
// definition byte for byte, api.yaml derived from it (adapter.md section 2),
// deployment_environments.yaml, api_meta.yaml, a README.
#pragma once

#include <string>
#include <vector>

#include "doc/document.hpp"

namespace portico::project {

struct GeneratedFile {
  std::string path;     // relative, '/' separators; a trailing '/' is a directory
  std::string content;
};

struct Generated {
  std::string name, version, context;
  std::vector<GeneratedFile> files;
};

// `definition` must be an OpenAPI document (validate first). The definition
// file is Definitions/swagger.json when it is JSON, else .yaml. The context
// is `context` when given, else the definition's base path without its
// version, else (no base path at all) "/" + the name in lower case.
Generated generate_project(const doc::Document& definition, const std::string& context = {});

// The context generate_project gives a definition without any base path.
std::string derived_context(const std::string& name);

// A starter definition with API-level and resource-level failover blocks.
std::string starter_definition();

}  // namespace portico::project

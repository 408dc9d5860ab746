// The effective endpoints of what a user points at: a project directory
// (api.yaml + definition) or a single definition, as `endpoints` and
// `probe` need them. Keeps the parsed documents alive with the resolution.
#pragma once

#include <memory>
#include <string>

#include "endpoints/resolve.hpp"
#include "project/api_yaml.hpp"

namespace portico::endpoints {

struct Loaded {
  std::shared_ptr<const doc::Document> definition;
  std::shared_ptr<const project::ApiYaml> meta;  // null for a single definition
  Resolution resolution;
};

// Throws Error(Input) for a missing path, a directory that is not a
// project, or a file that is not an OpenAPI definition (with its syntax
// error in the message).
Loaded load(const std::string& path);

}  // namespace portico::endpoints

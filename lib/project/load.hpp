// Reading what a user points at: a project directory (its layout, api.yaml
// and definition) or a single definition file, parsed. Below rules/,
// endpoints/ and client/, which all load through here.
#pragma once

#include <memory>
#include <string>

#include "doc/document.hpp"
#include "project/api_yaml.hpp"
#include "project/layout.hpp"

namespace portico::project {

// True when the root declares swagger "2.0" or openapi 3.0.x/3.1.x.
bool is_openapi(const doc::Node* root);

// A loaded project: its layout, api.yaml and definition, parsed.
struct LoadedProject {
  Layout layout;
  std::string prefix;  // display prefix for its files ("" or "dir/")
  std::shared_ptr<ApiYaml> meta;               // null when absent or unparseable
  std::shared_ptr<doc::Document> api_document; // api.yaml as parsed, even when unusable
  std::shared_ptr<doc::Document> definition;   // null when absent
};

// Reads a project directory (throws Error(Input) when it is not one).
LoadedProject load_project(const std::string& display, const doc::Limits& limits = {});
// Reads and parses one file (throws Error(Input) when unreadable).
std::shared_ptr<doc::Document> load_document(const std::string& display, const doc::Limits& limits = {});

// A definition and, for a project, its api.yaml: what `endpoints` and
// `probe` read. Throws Error(Input) for a missing path, a directory that is
// not a project, or a file that is not an OpenAPI definition (with its
// syntax error in the message).
struct Target {
  std::shared_ptr<const doc::Document> definition;
  std::shared_ptr<const ApiYaml> meta;  // null for a single definition
};
Target load_target(const std::string& path);

}  // namespace portico::project

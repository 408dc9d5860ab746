// `portico validate` as a library call: paths in, findings out.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "diag/finding.hpp"
#include "doc/document.hpp"
#include "project/api_yaml.hpp"
#include "project/layout.hpp"

namespace portico::rules {

// Checks one parsed definition, with the project's api.yaml when there is
// one. Pure: no disk, no output. Includes the document's parse findings.
std::vector<Finding> check_definition(const doc::Document& definition,
                                      const project::ApiYaml* meta = nullptr);

// The project rules (files present, api.yaml fields, stray files, names).
// `prefix` is prepended to project-relative paths in findings.
std::vector<Finding> check_project(const project::Layout& layout, const std::string& prefix,
                                   const project::ApiYaml* meta, const doc::Document* definition);

// project-stray-file findings, for a directory or a prebuilt archive:
// `prefix` goes before each entry's path, `root_display` names the folder.
std::vector<Finding> stray_file_findings(const std::vector<project::StrayFile>& stray, const std::string& prefix,
                                         const std::string& root_display);

// The api.yaml checks alone (project-api-yaml-invalid, project-name-mismatch,
// URL rules on endpointConfig), for projects that are not directories.
std::vector<Finding> check_api_yaml(const project::ApiYaml& meta, const doc::Document* definition);

// True when the document's root declares swagger "2.0" or openapi 3.0/3.1.
bool is_openapi_document(const doc::Document& d);

struct Options {
  std::set<std::string> disabled;  // rule ids switched off
  doc::Limits limits;
};

struct Result {
  std::vector<Finding> findings;  // sorted by file, line, column
  std::vector<std::shared_ptr<const doc::Document>> documents;  // what was read, for excerpts
  std::size_t files = 0;
};

// A loaded project: its layout, api.yaml and definition, parsed.
struct LoadedProject {
  project::Layout layout;
  std::string prefix;  // display prefix for its files ("" or "dir/")
  std::shared_ptr<project::ApiYaml> meta;         // null when absent or unparseable
  std::shared_ptr<doc::Document> api_document;    // api.yaml as parsed, even when unusable
  std::shared_ptr<doc::Document> definition;      // null when absent
};

// Reads a project directory (throws Error(Input) when it is not one).
LoadedProject load_project(const std::string& display, const doc::Limits& limits = {});
// Reads and parses one file (throws Error(Input) when unreadable).
std::shared_ptr<doc::Document> load_document(const std::string& display, const doc::Limits& limits = {});

// validate()'s checks of one project already loaded (deploy reuses its
// parse): appends the findings (unsorted), documents and file count to r.
void check_loaded_project(const LoadedProject& p, Result& r);

// Each path is a project directory or a definition file. Throws
// Error(Input) for a path that does not exist, cannot be read, or is a
// directory that is not a project.
Result validate(const std::vector<std::string>& paths, const Options& options = {});

}  // namespace portico::rules

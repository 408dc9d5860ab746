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
#include "project/load.hpp"

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

// project-special-file: a warning for each socket, FIFO or device in the
// project, which deploy leaves out of the archive (and never opens).
std::vector<Finding> special_file_findings(const std::vector<project::SpecialFile>& special, const std::string& prefix);

// The api.yaml checks alone (project-api-yaml-invalid, project-name-mismatch,
// URL rules on endpointConfig), for projects that are not directories.
std::vector<Finding> check_api_yaml(const project::ApiYaml& meta, const doc::Document* definition);

struct Options {
  std::set<std::string> disabled;  // rule ids switched off
  doc::Limits limits;
};

struct Result {
  std::vector<Finding> findings;  // sorted by file, line, column
  std::vector<std::shared_ptr<const doc::Document>> documents;  // what was read, for excerpts
  std::size_t files = 0;
};

// validate()'s checks of one project already loaded (deploy reuses its
// parse): appends the findings (unsorted), documents and file count to r.
void check_loaded_project(const project::LoadedProject& p, Result& r);

// Each path is a project directory or a definition file. Throws
// Error(Input) for a path that does not exist, cannot be read, or is a
// directory that is not a project.
Result validate(const std::vector<std::string>& paths, const Options& options = {});

}  // namespace portico::rules

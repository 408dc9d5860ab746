// Everything `deploy` does before the network: find what PATH is (a project
// directory, a single definition, or a prebuilt zip), validate it, learn the
// API's name, version and base path as the adapter will see them, and build
// the archive in a temporary file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "diag/finding.hpp"
#include "doc/document.hpp"
#include "project/package.hpp"
#include "util/temp_file.hpp"

namespace portico::client {

struct Prepared {
  enum class Kind { Directory, Definition, Archive } kind = Kind::Directory;
  std::string name, version, basepath;
  std::vector<Finding> findings;  // validation findings (all severities)
  std::vector<std::shared_ptr<const doc::Document>> documents;
  std::size_t files = 0;
  bool blocked = false;  // an error-level finding: do not deploy
  std::unique_ptr<TempFile> temp;  // owns the archive when portico built it
  std::filesystem::path zip;
  project::Package package;
};

std::string_view to_string(Prepared::Kind k);

// Called before each step that may be slow on a large input ("validating
// PATH", "archiving PATH"), with the size of the definition it reads, so that
// the command line can say what it is doing.
using Progress = std::function<void(const std::string& step, std::uintmax_t bytes)>;

// Throws Error(Input) for unreadable paths, symlinks and stray files.
// Parses each file once: validation, identity and archive share the tree.
Prepared prepare(const std::string& path, bool skip_validation, const Progress& progress = {});

struct Identity {
  std::string name, version, basepath;
};
// The API's name, version and base path as the adapter will see them,
// without validating or archiving (for undeploy).
Identity identify(const std::string& path);

}  // namespace portico::client

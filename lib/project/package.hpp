// A project as the archive the adapter takes: deterministic (archive/
// zip_writer), every file under one root folder named after the API, never
// VCS folders, dotfiles or editor backups (project::is_archivable), never a
// symbolic link (refused, naming it), never a stray file (refused).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "project/generate.hpp"
#include "project/layout.hpp"

namespace portico::project {

struct Package {
  std::string root;                  // the root folder inside the zip
  std::vector<std::string> entries;  // entry names, sorted
  std::uintmax_t size = 0;           // bytes of the zip
};

// Throws Error(Input) for symbolic links and stray files.
Package package_directory(const Layout& layout, const std::string& root, const std::filesystem::path& out);
Package package_generated(const Generated& g, const std::string& root, const std::filesystem::path& out);

// <name>-<version>, with characters unsafe in a file name replaced.
std::string root_folder(const std::string& name, const std::string& version);

}  // namespace portico::project

// What is in a project directory, as the adapter would see it once the
// directory is archived: the archivable files, the api.yaml and definition
// it would pick, and the files it would misread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace portico::project {

// Never archived, so never stray: dotfiles and dot-folders (.git, .svn,
// .idea...), VCS folders without a dot (CVS, _darcs), editor backups
// (`name~`, `#name#`). `rel` uses '/' separators.
bool is_archivable(std::string_view rel);

struct StrayFile {
  std::string path;    // relative, '/' separators; "." for the directory itself
  std::string reason;
};

struct Layout {
  std::filesystem::path dir;
  std::vector<std::string> files;        // archivable regular files, sorted
  std::vector<std::string> symlinks;     // archivable entries that are symbolic links
  std::optional<std::string> api_file;   // "api.yaml" or "api.json"
  std::optional<std::string> definition; // "Definitions/swagger.yaml" or ".json"
  std::vector<StrayFile> stray;
};

// A directory with api.yaml/api.json or a Definitions/ folder.
bool is_project_dir(const std::filesystem::path& dir);

// Lists the directory (without following symbolic links). Throws
// Error(Input) when it cannot be read.
Layout scan(const std::filesystem::path& dir);

}  // namespace portico::project

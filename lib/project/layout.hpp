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

// What the adapter makes of a list of entries, with the project rules that a
// directory and a prebuilt archive share: which api.yaml and definition it
// picks, and the stray files it would misread (it matches entry names by
// substring and keeps the last match).
struct EntryRules {
  std::optional<std::string> api_file;    // "api.yaml" or "api.json"
  std::optional<std::string> definition;  // "Definitions/swagger.yaml" or ".json"
  std::vector<StrayFile> stray;
};

// `files`: the regular files that go into the archive, relative to the
// project root, '/' separators (any order). `root_name`: the name of the
// project directory, or of the archive's root folder ("" for none).
EntryRules check_entries(const std::vector<std::string>& files, std::string_view root_name);

// The entries of a prebuilt archive (directories left out), with the rules
// applied below its root folder: `root` is the one folder every entry is
// under ("" when there is none), `files` the names without it.
struct ArchiveLayout {
  std::string root;
  std::vector<std::string> files;
  EntryRules rules;
};
ArchiveLayout archive_layout(const std::vector<std::string>& entry_names);

// A socket, FIFO or device inside a project: never opened (a FIFO would
// block the reader), never archived.
struct SpecialFile {
  std::string path;  // relative, '/' separators
  std::string kind;  // "a named pipe (FIFO)", "a socket", "a block device", "a character device"
};

struct Layout {
  std::filesystem::path dir;
  std::vector<std::string> files;        // archivable regular files, sorted
  std::vector<std::string> symlinks;     // archivable entries that are symbolic links
  std::vector<SpecialFile> special;      // archivable names that are sockets, FIFOs or devices, sorted
  std::optional<std::string> api_file;   // "api.yaml" or "api.json"
  std::optional<std::string> definition; // "Definitions/swagger.yaml" or ".json"
  std::vector<StrayFile> stray;
};

// A directory with api.yaml/api.json or a Definitions/ folder.
bool is_project_dir(const std::filesystem::path& dir);

// Lists the directory (without following symbolic links, and without opening
// anything but directories). Throws Error(Input) when it cannot be read.
Layout scan(const std::filesystem::path& dir);

}  // namespace portico::project

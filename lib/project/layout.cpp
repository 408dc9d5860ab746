#include "project/layout.hpp"

#include <algorithm>
#include <system_error>

#include "util/error.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;

namespace portico::project {

bool is_archivable(std::string_view rel) {
  for (auto seg : text::split(rel, '/')) {
    if (seg.empty()) continue;
    if (seg[0] == '.') return false;
    if (seg == "CVS" || seg == "_darcs") return false;
    if (seg.back() == '~') return false;
    if (seg.size() >= 2 && seg.front() == '#' && seg.back() == '#') return false;
  }
  return true;
}

bool is_project_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "api.yaml", ec) || fs::is_regular_file(dir / "api.json", ec) ||
         fs::is_directory(dir / "Definitions", ec);
}

EntryRules check_entries(const std::vector<std::string>& files, std::string_view root_name) {
  EntryRules r;
  std::vector<std::string> sorted = files;
  std::sort(sorted.begin(), sorted.end());
  auto has = [&](const std::string& f) { return std::binary_search(sorted.begin(), sorted.end(), f); };
  if (has("api.yaml"))
    r.api_file = "api.yaml";
  else if (has("api.json"))
    r.api_file = "api.json";
  if (has("Definitions/swagger.yaml"))
    r.definition = "Definitions/swagger.yaml";
  else if (has("Definitions/swagger.json"))
    r.definition = "Definitions/swagger.json";

  // The adapter matches entry names by substring and the last match wins.
  for (const auto& f : sorted) {
    bool meta_like = (f.find("api.yaml") != std::string::npos || f.find("api.json") != std::string::npos) &&
                     f.find("Definitions") == std::string::npos;
    if (meta_like && f != r.api_file)
      r.stray.push_back({f, "its name contains '" +
                                std::string(f.find("api.yaml") != std::string::npos ? "api.yaml" : "api.json") +
                                "', so the adapter may read it as the project's api.yaml"});
    bool def_like = f.find("Definitions/swagger.") != std::string::npos;
    if (def_like && f != r.definition)
      r.stray.push_back({f, "the adapter takes any 'Definitions/swagger.*' as the definition and keeps the last, "
                            "so it may read this one instead of " +
                                r.definition.value_or("Definitions/swagger.yaml")});
  }
  if (root_name.find("Definitions") != std::string_view::npos)
    r.stray.push_back({".", "the project's folder name contains 'Definitions': in an archive rooted at it, the "
                            "adapter would not see api.yaml"});
  return r;
}

ArchiveLayout archive_layout(const std::vector<std::string>& entry_names) {
  ArchiveLayout a;
  std::vector<std::string> names;
  for (const auto& n : entry_names)
    if (!n.empty() && n.back() != '/') names.push_back(n);
  // One folder that holds every entry is the project's root folder.
  std::optional<std::string> root;
  for (const auto& n : names) {
    auto slash = n.find('/');
    std::string first = slash == std::string::npos ? std::string() : n.substr(0, slash);
    if (first.empty() || (root && *root != first)) {
      root = std::string();
      break;
    }
    root = first;
  }
  a.root = root.value_or("");
  for (const auto& n : names) a.files.push_back(a.root.empty() ? n : n.substr(a.root.size() + 1));
  a.rules = check_entries(a.files, a.root);
  return a;
}

Layout scan(const fs::path& dir) {
  Layout l;
  l.dir = dir;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) throw Error(ExitCode::Input, "cannot read directory " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw Error(ExitCode::Input, "cannot read directory " + dir.string() + ": " + ec.message());
    std::string rel = it->path().lexically_relative(dir).generic_string();
    if (!is_archivable(rel)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec)) {
      l.symlinks.push_back(rel);
      continue;
    }
    // The type comes from the directory listing (or an lstat): nothing is opened.
    auto st = it->symlink_status(ec);
    if (ec) continue;
    if (fs::is_regular_file(st))
      l.files.push_back(rel);
    else if (fs::is_fifo(st))
      l.special.push_back({rel, "a named pipe (FIFO)"});
    else if (fs::is_socket(st))
      l.special.push_back({rel, "a socket"});
    else if (fs::is_block_file(st))
      l.special.push_back({rel, "a block device"});
    else if (fs::is_character_file(st))
      l.special.push_back({rel, "a character device"});
  }
  std::sort(l.files.begin(), l.files.end());
  std::sort(l.symlinks.begin(), l.symlinks.end());
  std::sort(l.special.begin(), l.special.end(), [](const SpecialFile& a, const SpecialFile& b) { return a.path < b.path; });

  std::string name = fs::absolute(dir, ec).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(dir, ec).lexically_normal().parent_path().filename().string();
  EntryRules r = check_entries(l.files, name);
  l.api_file = std::move(r.api_file);
  l.definition = std::move(r.definition);
  l.stray = std::move(r.stray);
  return l;
}

}  // namespace portico::project

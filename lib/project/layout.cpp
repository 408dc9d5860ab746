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
    if (it->is_regular_file(ec)) l.files.push_back(rel);
  }
  std::sort(l.files.begin(), l.files.end());
  std::sort(l.symlinks.begin(), l.symlinks.end());

  auto has = [&](const std::string& f) { return std::binary_search(l.files.begin(), l.files.end(), f); };
  if (has("api.yaml"))
    l.api_file = "api.yaml";
  else if (has("api.json"))
    l.api_file = "api.json";
  if (has("Definitions/swagger.yaml"))
    l.definition = "Definitions/swagger.yaml";
  else if (has("Definitions/swagger.json"))
    l.definition = "Definitions/swagger.json";

  // The adapter matches entry names by substring and the last match wins.
  for (const auto& f : l.files) {
    bool meta_like = (f.find("api.yaml") != std::string::npos || f.find("api.json") != std::string::npos) &&
                     f.find("Definitions") == std::string::npos;
    if (meta_like && f != l.api_file)
      l.stray.push_back({f, "its name contains '" +
                                std::string(f.find("api.yaml") != std::string::npos ? "api.yaml" : "api.json") +
                                "', so the adapter may read it as the project's api.yaml"});
    bool def_like = f.find("Definitions/swagger.") != std::string::npos;
    if (def_like && f != l.definition)
      l.stray.push_back({f, "the adapter takes any 'Definitions/swagger.*' as the definition and keeps the last, "
                            "so it may read this one instead of " +
                                l.definition.value_or("Definitions/swagger.yaml")});
  }
  std::string name = fs::absolute(dir, ec).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(dir, ec).lexically_normal().parent_path().filename().string();
  if (name.find("Definitions") != std::string::npos)
    l.stray.push_back({".", "the directory's name contains 'Definitions': in an archive rooted at it, the "
                            "adapter would not see api.yaml"});
  return l;
}

}  // namespace portico::project

#include "project/package.hpp"

#include <algorithm>

#include "archive/zip_writer.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace portico::project {

namespace {
Package finish(std::vector<archive::ZipInput> inputs, const std::string& root, const fs::path& out) {
  Package p;
  p.root = root;
  for (const auto& i : inputs) p.entries.push_back(i.name);
  std::sort(p.entries.begin(), p.entries.end());
  archive::write_zip(out, std::move(inputs));
  std::error_code ec;
  p.size = fs::file_size(out, ec);
  return p;
}
}  // namespace

std::string root_folder(const std::string& name, const std::string& version) {
  std::string r = name + "-" + version;
  for (auto& c : r)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  // A root named like "Definitions" would hide api.yaml from the adapter.
  if (r.find("Definitions") != std::string::npos || r.find("api.yaml") != std::string::npos ||
      r.find("api.json") != std::string::npos)
    r = "project";
  return r;
}

Package package_directory(const Layout& layout, const std::string& root, const fs::path& out) {
  if (!layout.symlinks.empty()) {
    std::string list;
    for (const auto& s : layout.symlinks) list += (list.empty() ? "" : ", ") + s;
    throw Error(ExitCode::Input, "the project holds symbolic links, which are never archived: " + list,
                "replace them with the files themselves, or move them out of the project");
  }
  for (const auto& s : layout.stray)
    if (s.path != ".")
      throw Error(ExitCode::Input, "stray file " + s.path + ": " + s.reason,
                  "remove or rename it ('portico validate' lists every stray file)");
  std::vector<archive::ZipInput> inputs;
  for (const auto& f : layout.files) inputs.push_back({root + "/" + f, layout.dir / f, ""});
  return finish(std::move(inputs), root, out);
}

Package package_generated(const Generated& g, const std::string& root, const fs::path& out) {
  std::vector<archive::ZipInput> inputs;
  for (const auto& f : g.files)
    if (f.path.empty() || f.path.back() != '/') inputs.push_back({root + "/" + f.path, {}, f.content});
  return finish(std::move(inputs), root, out);
}

}  // namespace portico::project

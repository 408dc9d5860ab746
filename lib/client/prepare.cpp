#include "client/prepare.hpp"

#include <algorithm>

#include "archive/zip_reader.hpp"
#include "endpoints/resolve.hpp"
#include "project/acceptance.hpp"
#include "project/generate.hpp"
#include "project/layout.hpp"
#include "rules/validate.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace portico::client {

std::string_view to_string(Prepared::Kind k) {
  switch (k) {
    case Prepared::Kind::Directory: return "project directory";
    case Prepared::Kind::Definition: return "single definition";
    case Prepared::Kind::Archive: return "prebuilt archive";
  }
  return "";
}

namespace {

void block_on_errors(Prepared& p) {
  p.blocked = std::any_of(p.findings.begin(), p.findings.end(),
                          [](const Finding& f) { return f.severity == Severity::Error; });
}

Identity identity_of_generated(const doc::Document& d, const project::Generated& g) {
  auto api_doc = std::make_shared<doc::Document>(doc::parse("api.yaml", g.files.front().content));
  project::ApiYaml meta = project::read_api_yaml(api_doc);
  auto r = endpoints::resolve(d, &meta);
  return {r.name.value, r.version.value, r.basepath.value};
}

Identity identity_of_definition(const doc::Document& d) { return identity_of_generated(d, project::generate_project(d)); }

std::uintmax_t size_of(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

void report(const Progress& progress, const std::string& step, std::uintmax_t bytes) {
  if (progress) progress(step, bytes);
}

Identity identity_of_project(const project::LoadedProject& lp) {
  auto r = endpoints::resolve(*lp.definition, lp.meta.get());
  return {r.name.value, r.version.value, r.basepath.value};
}

void require_complete(const project::LoadedProject& lp, const std::string& path) {
  if (!lp.meta || !lp.definition)
    throw Error(ExitCode::Input, path + " is not a complete project (api.yaml and Definitions/swagger.* are needed)",
                "run 'portico validate " + path + "'");
}

// How accept_project words damage it finds while inflating: "the upload is " + read_zip's "not a valid zip archive: ...".
constexpr std::string_view kUploadIs = "the upload is ";
constexpr std::string_view kNotAZip = "not a valid zip archive";

// The sizes the entries declare, all of them (the acceptance inflates only
// what the adapter reads), against the limits read_zip applies.
void check_declared_sizes(const std::vector<archive::ZipEntry>& entries, const std::string& path,
                          const std::string& hint) {
  const archive::ZipLimits limits;
  std::uint64_t total = 0;
  for (const auto& e : entries) {
    if (e.size > limits.max_entry_bytes)
      throw Error(ExitCode::Input,
                  "cannot deploy " + path + ": not a valid zip archive: entry " + e.name + " inflates to " +
                      std::to_string(e.size) + " bytes, more than the limit of " +
                      archive::size_text(limits.max_entry_bytes) + " per entry",
                  hint);
    total += e.size;
  }
  if (total > limits.max_total_bytes)
    throw Error(ExitCode::Input,
                "cannot deploy " + path + ": not a valid zip archive: the entries inflate to " + std::to_string(total) +
                    " bytes, more than the limit of " + archive::size_text(limits.max_total_bytes) + " in all",
                hint);
}

void set_identity(Prepared& p, const Identity& id) {
  p.name = id.name;
  p.version = id.version;
  p.basepath = id.basepath;
}

}  // namespace

Identity identify(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    project::LoadedProject lp = project::load_project(path);
    require_complete(lp, path);
    return identity_of_project(lp);
  }
  if (path.ends_with(".zip")) {
    project::Verdict v = project::accept_project(file::read(path, 256u << 20));
    if (!v.api) throw Error(ExitCode::Input, path + ": " + v.reason);
    return {v.api->name, v.api->version, v.api->basepath};
  }
  auto d = project::load_document(path);
  if (!d->root || !d->root->is_map())
    throw Error(ExitCode::Input,
                path + (d->findings.empty() ? " is not an OpenAPI definition" : " cannot be read: " + d->findings.front().message),
                "run 'portico validate " + path + "', or pass --name and --version");
  return identity_of_definition(*d);
}

Prepared prepare(const std::string& path, bool skip_validation, const Progress& progress) {
  Prepared p;
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw Error(ExitCode::Input, "cannot read " + path + ": no such file or directory");

  if (fs::is_directory(st)) {
    p.kind = Prepared::Kind::Directory;
    std::uintmax_t definition_bytes = std::max(size_of(fs::path(path) / "Definitions/swagger.yaml"),
                                               size_of(fs::path(path) / "Definitions/swagger.json"));
    report(progress, (skip_validation ? "reading " : "validating ") + path, definition_bytes);
    // One parse: validation, identity and archive all use this tree.
    project::LoadedProject lp = project::load_project(path);
    if (!skip_validation) {
      rules::Result r;
      rules::check_loaded_project(lp, r);
      std::stable_sort(r.findings.begin(), r.findings.end(), finding_less);
      p.findings = std::move(r.findings);
      p.documents = std::move(r.documents);
      p.files = r.files;
      block_on_errors(p);
      if (p.blocked) return p;
    }
    // Without validation, still say what the archive leaves out.
    if (skip_validation) p.findings = rules::special_file_findings(lp.layout.special, lp.prefix);
    require_complete(lp, path);
    set_identity(p, identity_of_project(lp));
    report(progress, "archiving " + path, definition_bytes);
    p.temp = std::make_unique<TempFile>(".zip");
    p.zip = p.temp->path();
    p.package = project::package_directory(lp.layout, project::root_folder(p.name, p.version), p.zip);
    return p;
  }

  if (path.ends_with(".zip")) {
    p.kind = Prepared::Kind::Archive;
    p.zip = path;
    report(progress, "checking " + path, size_of(path));
    std::string bytes = file::read(path, 256u << 20);
    // The archive's limits are input limits (SECURITY.md), checked before the
    // project rules: exit 3 naming the limit, not a finding about api.yaml.
    const std::string unfit_hint =
        "rebuild the archive from the project directory (or deploy the directory itself: 'portico deploy DIR'); "
        "leave large documentation out of it";
    std::vector<archive::ZipEntry> listing;
    try {
      listing = archive::read_zip(bytes, {}, [](std::string_view) { return false; });
    } catch (const Error& e) {
      throw Error(ExitCode::Input, "cannot deploy " + path + ": " + e.what(), unfit_hint);
    }
    check_declared_sizes(listing, path, unfit_hint);
    // The project rules on the entry list, as for a directory: the adapter
    // would take a stray `api.yaml.bak` for the api.yaml without a word.
    std::vector<std::string> names;
    for (const auto& e : listing)
      if (!e.directory) names.push_back(e.name);
    project::ArchiveLayout al = project::archive_layout(names);
    std::string prefix = path + "!/" + (al.root.empty() ? "" : al.root + "/");
    std::vector<Finding> stray = rules::stray_file_findings(al.rules.stray, prefix, path + "!/" + al.root);
    if (!stray.empty()) {
      if (skip_validation)
        throw Error(ExitCode::Input, "stray file " + stray.front().file + ": " + al.rules.stray.front().reason,
                    "rebuild the archive without it ('portico deploy' without --skip-validation lists every "
                    "stray entry)");
      p.findings = std::move(stray);
      p.blocked = true;
      p.files = 1;
      return p;
    }
    project::Verdict v = project::accept_project(bytes);
    // Damage found only while inflating (a bad CRC, a size that lies) is the
    // archive's too. accept_project words it "the upload is not a valid zip
    // archive: ..." (project/acceptance.cpp).
    if (!v.api && v.findings.empty() && v.reason.rfind(std::string(kUploadIs) + std::string(kNotAZip), 0) == 0)
      throw Error(ExitCode::Input, "cannot deploy " + path + ": " + v.reason.substr(kUploadIs.size()), unfit_hint);
    if (!v.api) {
      if (!skip_validation) {
        p.findings = v.findings;
        if (p.findings.empty()) {
          Finding f;
          f.rule = v.reason.rfind("the archive has no api.yaml", 0) == 0 ? "project-api-yaml-missing"
                                                                          : "project-api-yaml-invalid";
          f.file = path;
          f.message = v.reason;
          p.findings.push_back(f);
        }
        p.blocked = true;
        return p;
      }
      throw Error(ExitCode::Input, path + ": " + v.reason);
    }
    set_identity(p, {v.api->name, v.api->version, v.api->basepath});
    p.package.entries = names;  // from the listing: nothing inflated again
    p.package.size = fs::file_size(path, ec);
    p.files = 1;
    return p;
  }

  // A single definition: the project `portico init` would write, in memory.
  p.kind = Prepared::Kind::Definition;
  std::uintmax_t bytes = size_of(path);
  report(progress, (skip_validation ? "reading " : "validating ") + path, bytes);
  // One parse: validation, the derived api.yaml and the archive all use this tree.
  auto d = project::load_document(path);
  p.documents.push_back(d);
  p.files = 1;
  if (!skip_validation) {
    p.findings = rules::check_definition(*d);
    block_on_errors(p);
    if (p.blocked) return p;
  }
  if (!d->root || !d->root->is_map())
    throw Error(ExitCode::Input, path + " is not an OpenAPI definition");
  project::Generated g = project::generate_project(*d);
  set_identity(p, identity_of_generated(*d, g));
  report(progress, "archiving " + path, bytes);
  p.temp = std::make_unique<TempFile>(".zip");
  p.zip = p.temp->path();
  p.package = project::package_generated(g, project::root_folder(p.name, p.version), p.zip);
  return p;
}

}  // namespace portico::client

#include "rules/validate.hpp"

#include <algorithm>
#include <filesystem>

#include "endpoints/resolve.hpp"
#include "rules/context.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace portico::rules {

std::vector<Finding> check_definition(const doc::Document& d, const project::ApiYaml* meta) {
  std::vector<Finding> out = d.findings;
  if (!d.root) return out;
  endpoints::Resolution resolved = endpoints::resolve(d, meta);
  Context c{d, meta, resolved, out};
  check_document(c);
  if (!is_openapi(d.root)) return out;
  check_extensions(c);
  check_endpoints(c);
  check_api(c);
  return out;
}

bool is_openapi_document(const doc::Document& d) { return is_openapi(d.root); }

std::shared_ptr<doc::Document> load_document(const std::string& display, const doc::Limits& limits) {
  std::string bytes = file::read(display);
  return std::make_shared<doc::Document>(doc::parse(display, std::move(bytes), limits));
}

LoadedProject load_project(const std::string& display, const doc::Limits& limits) {
  fs::path dir(display);
  if (!project::is_project_dir(dir))
    throw Error(ExitCode::Input,
                display + " is not a Choreo Connect project: it has neither api.yaml nor a Definitions/ folder",
                "pass the OpenAPI file itself, or create a project with 'portico init DIR --oas FILE'");
  LoadedProject p;
  p.layout = project::scan(dir);
  p.prefix = (display == "." || display == "./") ? "" : display;
  if (!p.prefix.empty() && p.prefix.back() != '/') p.prefix += '/';
  if (p.layout.api_file) {
    p.api_document = load_document(p.prefix + *p.layout.api_file, limits);
    if (p.api_document->root)
      p.meta = std::make_shared<project::ApiYaml>(project::read_api_yaml(p.api_document));
  }
  if (p.layout.definition) p.definition = load_document(p.prefix + *p.layout.definition, limits);
  return p;
}

void check_loaded_project(const LoadedProject& p, Result& r) {
  auto found = check_project(p.layout, p.prefix, p.meta.get(), p.definition.get());
  if (p.api_document) {
    found.insert(found.end(), p.api_document->findings.begin(), p.api_document->findings.end());
    r.documents.push_back(p.api_document);
    ++r.files;
  }
  if (p.definition) {
    auto more = check_definition(*p.definition, p.meta.get());
    found.insert(found.end(), more.begin(), more.end());
    r.documents.push_back(p.definition);
    ++r.files;
  }
  r.findings.insert(r.findings.end(), found.begin(), found.end());
}

Result validate(const std::vector<std::string>& paths, const Options& options) {
  Result r;
  for (const auto& path : paths) {
    std::error_code ec;
    auto st = fs::status(path, ec);
    if (ec || !fs::exists(st))
      throw Error(ExitCode::Input, "cannot read " + path + ": no such file or directory", "check the path");
    if (fs::is_directory(st)) {
      check_loaded_project(load_project(path, options.limits), r);
    } else {
      auto d = load_document(path, options.limits);
      auto found = check_definition(*d, nullptr);
      r.findings.insert(r.findings.end(), found.begin(), found.end());
      r.documents.push_back(std::move(d));
      ++r.files;
    }
  }
  std::erase_if(r.findings, [&](const Finding& f) { return options.disabled.count(f.rule) > 0; });
  std::stable_sort(r.findings.begin(), r.findings.end(), finding_less);
  return r;
}

}  // namespace portico::rules

#include "rules/validate.hpp"

#include <algorithm>
#include <filesystem>

#include "endpoints/resolve.hpp"
#include "rules/context.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace portico::rules {

std::vector<Finding> check_definition(const doc::Document& d, const project::ApiYaml* meta) {
  std::vector<Finding> out = d.findings;
  if (!d.root) return out;
  endpoints::Resolution resolved = endpoints::resolve(d, meta);
  Context c{d, meta, resolved, out};
  check_document(c);
  if (!project::is_openapi(d.root)) return out;
  check_extensions(c);
  check_endpoints(c);
  check_routing(c);
  check_api(c);
  return out;
}

void check_loaded_project(const project::LoadedProject& p, Result& r) {
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
      check_loaded_project(project::load_project(path, options.limits), r);
    } else {
      auto d = project::load_document(path, options.limits);
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

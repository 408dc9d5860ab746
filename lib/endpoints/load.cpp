#include "endpoints/load.hpp"

#include <filesystem>

#include "rules/validate.hpp"
#include "util/error.hpp"

namespace portico::endpoints {

namespace {
void require_definition(const doc::Document& d) {
  if (!d.root) {
    std::string why = d.findings.empty() ? "it cannot be parsed" : d.findings.front().message;
    throw Error(ExitCode::Input, d.file + " cannot be read: " + why, "run 'portico validate " + d.file + "'");
  }
  if (!rules::is_openapi_document(d))
    throw Error(ExitCode::Input, d.file + " is not an OpenAPI definition", "run 'portico validate " + d.file + "'");
}
}  // namespace

Loaded load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw Error(ExitCode::Input, "cannot read " + path + ": no such file or directory");
  Loaded l;
  if (std::filesystem::is_directory(path, ec)) {
    rules::LoadedProject p = rules::load_project(path);
    if (!p.definition)
      throw Error(ExitCode::Input, path + " has no Definitions/swagger.yaml or .json", "run 'portico validate " + path + "'");
    require_definition(*p.definition);
    l.definition = p.definition;
    l.meta = p.meta;
  } else {
    auto d = rules::load_document(path);
    require_definition(*d);
    l.definition = d;
  }
  l.resolution = resolve(*l.definition, l.meta.get());
  return l;
}

}  // namespace portico::endpoints

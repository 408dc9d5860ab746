#include "project/load.hpp"

#include <cctype>
#include <filesystem>

#include "util/error.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace portico::project {

namespace {

bool openapi_version_ok(const doc::Node* v) {
  if (!v || !v->is_string()) return false;
  const std::string& t = v->text;
  if (t.size() < 5 || t[0] != '3' || t[1] != '.' || (t[2] != '0' && t[2] != '1') || t[3] != '.')
    return false;
  std::size_t i = 4;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  return i > 4 && (i == t.size() || t[i] == '-' || t[i] == '+');
}

void require_definition(const doc::Document& d) {
  if (!d.root) {
    std::string why = d.findings.empty() ? "it cannot be parsed" : d.findings.front().message;
    throw Error(ExitCode::Input, d.file + " cannot be read: " + why, "run 'portico validate " + d.file + "'");
  }
  if (!is_openapi(d.root))
    throw Error(ExitCode::Input, d.file + " is not an OpenAPI definition", "run 'portico validate " + d.file + "'");
}

}  // namespace

bool is_openapi(const doc::Node* root) {
  if (!root || !root->is_map()) return false;
  const doc::Node* sw = root->get("swagger");
  if (sw && sw->is_string() && sw->text == "2.0") return true;
  return openapi_version_ok(root->get("openapi"));
}

std::shared_ptr<doc::Document> load_document(const std::string& display, const doc::Limits& limits) {
  std::string bytes = file::read(display);
  return std::make_shared<doc::Document>(doc::parse(display, std::move(bytes), limits));
}

LoadedProject load_project(const std::string& display, const doc::Limits& limits) {
  fs::path dir(display);
  if (!is_project_dir(dir))
    throw Error(ExitCode::Input,
                display + " is not a Choreo Connect project: it has neither api.yaml nor a Definitions/ folder",
                "pass the OpenAPI file itself, or create a project with 'portico init DIR --oas FILE'");
  LoadedProject p;
  p.layout = scan(dir);
  p.prefix = (display == "." || display == "./") ? "" : display;
  if (!p.prefix.empty() && p.prefix.back() != '/') p.prefix += '/';
  if (p.layout.api_file) {
    p.api_document = load_document(p.prefix + *p.layout.api_file, limits);
    if (p.api_document->root) p.meta = std::make_shared<ApiYaml>(read_api_yaml(p.api_document));
  }
  if (p.layout.definition) p.definition = load_document(p.prefix + *p.layout.definition, limits);
  return p;
}

Target load_target(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ExitCode::Input, "cannot read " + path + ": no such file or directory");
  Target t;
  if (fs::is_directory(path, ec)) {
    LoadedProject p = load_project(path);
    if (!p.definition)
      throw Error(ExitCode::Input, path + " has no Definitions/swagger.yaml or .json",
                  "run 'portico validate " + path + "'");
    require_definition(*p.definition);
    t.definition = p.definition;
    t.meta = p.meta;
  } else {
    auto d = load_document(path);
    require_definition(*d);
    t.definition = d;
  }
  return t;
}

}  // namespace portico::project

// The project rules: project-*.
#include "endpoints/resolve.hpp"
#include "endpoints/url.hpp"
#include "rules/context.hpp"
#include "rules/validate.hpp"
#include "util/text.hpp"

namespace portico::rules {

namespace {

void file_finding(std::vector<Finding>& out, std::string_view rule, std::string file, std::string msg,
                  std::string hint = {}, Severity severity = Severity::Error) {
  Finding f;
  f.rule = std::string(rule);
  f.severity = severity;
  f.file = std::move(file);
  f.message = std::move(msg);
  f.hint = std::move(hint);
  out.push_back(std::move(f));
}

void check_api_yaml_fields(const Context& c, const project::ApiYaml& m, const doc::Document* definition) {
  const doc::Document& d = m.doc();
  auto emit = [&](std::string_view rule, const doc::Node* at, std::string msg, std::string hint = {}) {
    c.emit(rule, at, doc::pointer_of(d.root, at), std::move(msg), std::move(hint), &d);
  };
  if (!m.data || !m.data->is_map()) {
    emit("project-api-yaml-invalid", m.data_key,
         "api.yaml has no 'data' mapping: the adapter cannot read the API's name, version and context",
         "see 'portico init' for a complete api.yaml");
    return;
  }
  struct Field { const char* name; const doc::Node* node; };
  for (Field f : {Field{"name", m.name}, Field{"version", m.version}, Field{"context", m.context},
                  Field{"type", m.type}}) {
    if (!f.node || f.node->is_null() || (f.node->is_scalar() && text::trim(f.node->text).empty()))
      emit("project-api-yaml-invalid", m.data_key,
           std::string("api.yaml lacks data.") + f.name + ": the adapter rejects the project (500)");
  }
  if (m.type && m.type->is_scalar() && !m.type->is_null()) {
    std::string t = text::to_upper(m.type->text);
    if (t != "HTTP" && t != "WS" && t != "SOAP" && t != "GRAPHQL")
      emit("project-api-yaml-invalid", m.type,
           "data.type '" + m.type->text + "' is not one of HTTP, WS, SOAP, GRAPHQL: the adapter rejects the project",
           "write 'type: HTTP'");
  }
  if (m.impl_type && text::to_upper(project::ApiYaml::str(m.impl_type)) == "INLINE")
    emit("project-api-yaml-invalid", m.impl_type,
         "endpointImplementationType INLINE is rejected by Choreo Connect",
         "use ENDPOINT (or MOCKED_OAS for a mocked API)");
  if (!m.mocked() && !m.production.present && !m.sandbox.present)
    emit("project-api-yaml-invalid", m.endpoint_config_key ? m.endpoint_config_key : m.data_key,
         "api.yaml endpointConfig has neither production_endpoints nor sandbox_endpoints: the adapter rejects "
         "the project even when the definition has x-wso2 endpoints",
         "add endpointConfig: {endpoint_type: http, production_endpoints: {url: http://host/path}}");
  // One walk for every URL's pointer: a pointer_of per URL was quadratic.
  std::vector<const doc::Node*> url_nodes;
  for (const auto* env : {&m.production, &m.sandbox}) url_nodes.insert(url_nodes.end(), env->urls.begin(), env->urls.end());
  auto pointers = doc::pointers_of(d.root, url_nodes);
  for (const auto* env : {&m.production, &m.sandbox})
    for (const doc::Node* u : env->urls) {
      std::string t = u->is_scalar() ? std::string(text::trim(u->text)) : "";
      if (!u->is_scalar() || t.empty() || t[0] == '/') {
        c.emit("project-api-yaml-invalid", u, pointers[u],
             t.empty() ? "an endpoint in api.yaml endpointConfig has an empty url: the adapter rejects the project"
                       : "endpoint url '" + t + "' in api.yaml is relative: the adapter rejects the project",
             "write an absolute URL: http://host:port/path", &d);
        continue;
      }
      check_url(c, u, pointers[u], d);
    }

  // Names that differ between api.yaml and the definition.
  const doc::Node* info = definition && definition->root && definition->root->is_map()
                              ? definition->root->get("info") : nullptr;
  if (info && info->is_map()) {
    const doc::Node* title = info->get("title");
    const doc::Node* version = info->get("version");
    if (m.name && m.name->is_scalar() && title && title->is_string()) {
      std::string t = text::replace_all(title->text, " ", "");
      if (!t.empty() && t != m.name->text)
        emit("project-name-mismatch", m.name,
             "api.yaml names the API '" + m.name->text + "' but the definition's title gives '" + t +
                 "': the gateway uses api.yaml's");
    }
    if (m.version && m.version->is_scalar() && version && version->is_string() && !version->text.empty() &&
        version->text != m.version->text)
      emit("project-name-mismatch", m.version,
           "api.yaml says version '" + m.version->text + "' but the definition says '" + version->text +
               "': the gateway uses api.yaml's");
  }
}

}  // namespace

std::vector<Finding> check_project(const project::Layout& layout, const std::string& prefix,
                                   const project::ApiYaml* meta, const doc::Document* definition) {
  std::vector<Finding> out;
  std::string dir_display = prefix.empty() ? "." : prefix.substr(0, prefix.size() - 1);
  if (!layout.api_file)
    file_finding(out, "project-api-yaml-missing", dir_display,
                 "the project has no api.yaml: the adapter rejects it (500)",
                 "run 'portico init' to create one, or add api.yaml with data.name, version, context and type");
  if (!layout.definition)
    file_finding(out, "project-definition-missing", dir_display,
                 "the project has no Definitions/swagger.yaml or Definitions/swagger.json: the adapter rejects it",
                 "put the OpenAPI definition at Definitions/swagger.yaml");
  auto stray = stray_file_findings(layout.stray, prefix, dir_display);
  out.insert(out.end(), stray.begin(), stray.end());
  for (const auto& link : layout.symlinks)
    file_finding(out, "project-symlink", prefix + link,
                 "a symbolic link inside the project: 'portico deploy' refuses to archive it (its target may lie "
                 "outside the project), so the project cannot be deployed as it stands",
                 "replace the link with a copy of the file, or move it out of the project");
  auto special = special_file_findings(layout.special, prefix);
  out.insert(out.end(), special.begin(), special.end());
  if (meta) {
    auto more = check_api_yaml(*meta, definition);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

std::vector<Finding> stray_file_findings(const std::vector<project::StrayFile>& stray, const std::string& prefix,
                                         const std::string& root_display) {
  std::vector<Finding> out;
  for (const auto& s : stray)
    file_finding(out, "project-stray-file", s.path == "." ? root_display : prefix + s.path,
                 "stray file: " + s.reason,
                 s.path == "." ? "rename the folder" : "remove or rename it, or move it out of the project");
  return out;
}

std::vector<Finding> special_file_findings(const std::vector<project::SpecialFile>& special, const std::string& prefix) {
  std::vector<Finding> out;
  for (const auto& s : special)
    file_finding(out, "project-special-file", prefix + s.path,
                 s.kind + " inside the project: 'portico deploy' leaves it out of the archive (and never opens it)",
                 "move it out of the project, or ignore this if it is not part of the API", Severity::Warning);
  return out;
}

std::vector<Finding> check_api_yaml(const project::ApiYaml& meta, const doc::Document* definition) {
  std::vector<Finding> out;
  doc::Document empty;
  const doc::Document& base = definition ? *definition : empty;
  endpoints::Resolution none;
  Context c{base, &meta, none, out};
  check_api_yaml_fields(c, meta, definition);
  return out;
}

}  // namespace portico::rules

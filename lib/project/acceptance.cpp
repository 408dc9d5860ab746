#include "project/acceptance.hpp"

#include <algorithm>
#include <memory>

#include "archive/zip_reader.hpp"
#include "doc/document.hpp"
#include "endpoints/resolve.hpp"
#include "project/api_yaml.hpp"
#include "rules/catalog.hpp"
#include "rules/validate.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

namespace portico::project {

namespace {

Verdict reject(std::string reason, std::vector<Finding> findings = {}) {
  Verdict v;
  v.reason = std::move(reason);
  v.findings = std::move(findings);
  return v;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

std::vector<Finding> rejections(const std::vector<Finding>& findings) {
  std::vector<Finding> out;
  for (const auto& f : findings) {
    const auto* info = rules::find_rule(f.rule);
    if (f.severity == Severity::Error && info && info->adapter_rejects) out.push_back(f);
  }
  return out;
}

std::string describe(const std::vector<Finding>& fs) {
  std::string s;
  std::size_t shown = 0;
  for (const auto& f : fs) {
    if (shown++ == 5) {
      s += "; and " + std::to_string(fs.size() - 5) + " more";
      break;
    }
    if (!s.empty()) s += "; ";
    s += f.file + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + ": " + f.message + " [" +
         f.rule + "]";
  }
  return s;
}

std::vector<Placement> read_targets(const std::string* bytes) {
  std::vector<Placement> out;
  if (!bytes) return {{"Default", "localhost"}};
  auto d = doc::parse("deployment_environments.yaml", *bytes);
  const doc::Node* data = d.root && d.root->is_map() ? d.root->get("data") : nullptr;
  if (!data || !data->is_seq()) return out;
  for (const doc::Node* item : data->kids) {
    if (!item->is_map()) continue;
    const doc::Node* env = item->get("deploymentEnvironment");
    const doc::Node* vhost = item->get("deploymentVhost");
    if (!env || !env->is_scalar() || env->text.empty()) continue;
    out.push_back({env->text, vhost && vhost->is_scalar() && !vhost->text.empty() ? vhost->text : "localhost"});
  }
  return out;
}

}  // namespace

std::optional<AcceptedApi> quick_look(std::string_view zip_bytes) {
  auto wanted = [](std::string_view name) {
    return (contains(name, "api.yaml") || contains(name, "api.json") || contains(name, "deployment_environments.yaml")) &&
           !contains(name, "Definitions");
  };
  std::vector<archive::ZipEntry> entries;
  try {
    entries = archive::read_zip(zip_bytes, {}, wanted);
  } catch (const Error&) {
    return std::nullopt;
  }
  // The same classification as accept_project: the last match wins.
  const archive::ZipEntry* api = nullptr;
  const archive::ZipEntry* envs = nullptr;
  for (const auto& e : entries) {
    if (e.directory || !e.loaded) continue;
    if ((contains(e.name, "api.yaml") || contains(e.name, "api.json")) && !contains(e.name, "Definitions")) api = &e;
    if (contains(e.name, "deployment_environments.yaml")) envs = &e;
  }
  if (!api) return std::nullopt;
  auto api_doc = std::make_shared<doc::Document>(doc::parse(api->name, api->data));
  if (!api_doc->root) return std::nullopt;
  project::ApiYaml meta = project::read_api_yaml(api_doc);
  AcceptedApi a;
  a.name = project::ApiYaml::str(meta.name);
  a.version = project::ApiYaml::str(meta.version);
  if (a.name.empty() || a.version.empty()) return std::nullopt;
  a.targets = read_targets(envs ? &envs->data : nullptr);
  return a;
}

Verdict accept_project(std::string_view zip_bytes, const AcceptLimits& limits) {
  std::vector<archive::ZipEntry> entries;
  // Only what the adapter reads is inflated: documentation stays packed.
  auto wanted = [](std::string_view name) {
    return contains(name, "api.yaml") || contains(name, "api.json") || contains(name, "Definitions/swagger.") ||
           contains(name, "deployment_environments.yaml") || contains(name, "Endpoint-certificates/");
  };
  archive::ZipLimits zl;
  zl.max_total_bytes = std::min<std::uint64_t>(zl.max_total_bytes, limits.max_inflated_bytes);
  zl.max_entry_bytes = std::min<std::uint64_t>(zl.max_entry_bytes, limits.max_definition_bytes);
  try {
    entries = archive::read_zip(zip_bytes, zl, wanted);
  } catch (const Error& e) {
    std::string what = e.what();
    if (what.find("than the limit") != std::string::npos)
      return reject(std::string("the upload is ") + what + ": an entry the adapter reads inflates to more than " +
                    std::to_string(zl.max_entry_bytes >> 20) + " MiB, or all of them to more than " +
                    std::to_string(zl.max_total_bytes >> 20) + " MiB" + limits.budget_note);
    return reject(std::string("the upload is ") + what);
  }
  // Substring classification; the last match wins, as in the adapter.
  const archive::ZipEntry* api = nullptr;
  archive::ZipEntry* def = nullptr;
  const archive::ZipEntry* envs = nullptr;
  for (auto& e : entries) {
    if (e.directory) continue;
    if ((contains(e.name, "api.yaml") || contains(e.name, "api.json")) && !contains(e.name, "Definitions"))
      api = &e;
    if (contains(e.name, "Definitions/swagger.")) def = &e;
    if (contains(e.name, "deployment_environments.yaml")) envs = &e;
    if (contains(e.name, "Endpoint-certificates/") &&
        (e.name.ends_with(".crt") || e.name.ends_with(".pem")) &&
        !contains(e.data, "-----BEGIN CERTIFICATE-----"))
      return reject("certificate " + e.name + " is not a PEM certificate");
  }
  if (!api) return reject("the archive has no api.yaml (or api.json) outside Definitions/");

  auto api_doc = std::make_shared<doc::Document>(doc::parse(api->name, api->data));
  if (!api_doc->root)
    return reject(api->name + " cannot be read", api_doc->findings);
  project::ApiYaml meta = project::read_api_yaml(api_doc);
  std::string type = text::to_upper(project::ApiYaml::str(meta.type));

  std::shared_ptr<doc::Document> definition;
  // The inflated bytes move into the document: no second copy of a large definition.
  if (def) {
    doc::Limits dl;
    dl.max_expanded_nodes = std::min<std::uint64_t>(dl.max_expanded_nodes, limits.max_nodes);
    definition = std::make_shared<doc::Document>(
        doc::parse(def->name, def == envs ? def->data : std::move(def->data), dl));
    if (!definition->root)
      for (const auto& f : definition->findings)
        if (f.message.find("more than " + std::to_string(dl.max_expanded_nodes)) != std::string::npos)
          return reject(def->name + " is too large to accept: it holds more than " +
                        std::to_string(dl.max_expanded_nodes) + " nodes" + limits.budget_note);
  }
  std::vector<Finding> found = rules::check_api_yaml(meta, definition.get());
  if (!def && (type == "HTTP" || type.empty())) {
    Finding f;
    f.rule = "project-definition-missing";
    f.message = "the archive has no Definitions/swagger.yaml or .json";
    f.file = "(archive)";
    found.push_back(f);
  }
  if (definition) {
    auto more = rules::check_definition(*definition, &meta);
    found.insert(found.end(), more.begin(), more.end());
  }
  auto rejected = rejections(found);
  if (!rejected.empty()) return reject("the adapter rejects this project: " + describe(rejected), rejected);

  AcceptedApi a;
  a.name = project::ApiYaml::str(meta.name);
  a.version = project::ApiYaml::str(meta.version);
  a.type = type;
  if (definition) {
    a.basepath = endpoints::resolve(*definition, &meta).basepath.value;
  } else {
    a.basepath = project::ApiYaml::str(meta.context) + "/" + a.version;
  }
  a.targets = read_targets(envs ? &envs->data : nullptr);
  Verdict v;
  v.api = std::move(a);
  return v;
}

}  // namespace portico::project

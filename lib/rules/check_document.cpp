// not-openapi, info-missing, paths-key-invalid.
#include <regex>

#include "project/load.hpp"
#include "rules/context.hpp"
#include "util/text.hpp"

namespace portico::rules {

namespace {

std::string describe(const doc::Node* n) {
  if (n->is_string()) return "the string " + text::quote(n->text);
  if (n->is_scalar()) return "the " + std::string(doc::to_string(n->kind)) + " " + n->text;
  return "a " + std::string(doc::to_string(n->kind));
}

}  // namespace

void check_document(const Context& c) {
  const doc::Node* root = c.root();
  doc::Pointer ptr;
  if (!root || !root->is_map()) {
    std::string what = !root || root->is_null() ? "the file is empty"
                                                : "the document is " + describe(root) + ", not a mapping";
    c.emit("not-openapi", nullptr, "", what + ": this is not an OpenAPI definition",
           "an OpenAPI definition starts with 'openapi: 3.0.3' or 'swagger: \"2.0\"'");
    return;
  }
  if (!project::is_openapi(root)) {
    const doc::Node* sw = root->get("swagger");
    const doc::Node* oa = root->get("openapi");
    if (sw) {
      std::string hint = sw->kind == doc::Kind::Float && sw->text == "2.0"
                             ? "quote it: swagger: \"2.0\" (unquoted, 2.0 is a number)"
                             : "write swagger: \"2.0\"";
      c.emit("not-openapi", sw, "/swagger",
             "swagger is " + describe(sw) + ", not the string \"2.0\": the gateway rejects the definition",
             hint);
    } else if (oa) {
      std::string hint = oa->kind == doc::Kind::Float
                             ? "write the full version, e.g. openapi: 3.0.3 (unquoted, " + oa->text +
                                   " is a number)"
                             : "use a 3.0.x or 3.1.x version, e.g. openapi: 3.0.3";
      c.emit("not-openapi", oa, "/openapi",
             "openapi is " + describe(oa) + ", not a 3.0.x or 3.1.x version string", hint);
    } else {
      c.emit("not-openapi", nullptr, "",
             "neither 'openapi' nor 'swagger' at the root: this is not an OpenAPI definition",
             "add 'openapi: 3.0.3' (or 'swagger: \"2.0\"') at the top");
    }
    return;
  }

  // info.title / info.version
  bool named_by_meta = c.meta && c.meta->name && c.meta->version &&
                       !project::ApiYaml::str(c.meta->name).empty() &&
                       !project::ApiYaml::str(c.meta->version).empty();
  Severity sev = named_by_meta ? Severity::Warning : Severity::Error;
  std::string consequence = named_by_meta ? " (api.yaml names the API, so the gateway uses its name and version)"
                                          : ": the gateway names the API from them";
  long info_i = root->find_index("info");
  if (info_i < 0) {
    c.emit_as("info-missing", sev, nullptr, "", "no 'info' with 'title' and 'version'" + consequence,
              "add info: {title: MyApi, version: 1.0.0}");
  } else {
    const doc::Node* info_key = root->key(static_cast<std::size_t>(info_i));
    const doc::Node* info = root->value(static_cast<std::size_t>(info_i));
    if (!info->is_map()) {
      c.emit_as("info-missing", sev, info_key, "/info",
                "'info' is not a mapping, so it has no title and version" + consequence);
    } else {
      std::vector<std::string> missing;
      for (const char* field : {"title", "version"}) {
        const doc::Node* v = info->get(field);
        if (!v || v->is_null()) {
          missing.push_back(field);
          continue;
        }
        std::string p = std::string("/info/") + field;
        if (!v->is_string()) {
          std::string hint = "quote it: " + std::string(field) + ": \"" + v->text + "\"";
          std::string extra = v->is_number() ? " (as a number, 1.10 would even read as 1.1)" : "";
          c.emit_as("info-missing", sev, v, p,
                    "info." + std::string(field) + " is " + describe(v) +
                        ", not a string: the gateway cannot read it as the API's " + field + extra,
                    v->is_scalar() ? hint : "");
        } else if (text::trim(v->text).empty()) {
          c.emit_as("info-missing", sev, v, p, "info." + std::string(field) + " is empty" + consequence);
        }
      }
      if (!missing.empty()) {
        std::string names = missing.size() == 2 ? "info.title and info.version are" : "info." + missing[0] + " is";
        c.emit_as("info-missing", sev, info_key, "/info", names + " missing" + consequence);
      }
    }
  }

  // Keys directly under paths.
  const doc::Node* paths = root->get("paths");
  if (paths && paths->is_map()) {
    for (std::size_t i = 0; i < paths->size(); ++i) {
      const doc::Node* k = paths->key(i);
      if (!k->is_scalar()) continue;
      const std::string& t = k->text;
      if (t.rfind("/", 0) == 0 || t.rfind("x-", 0) == 0) continue;
      c.emit("paths-key-invalid", k, "/paths/" + doc::Pointer::escape(t),
             "'" + t + "' under 'paths' is not a path (paths start with '/'): the gateway rejects the definition",
             "indent it under the path item it belongs to, or start it with '/'");
    }
  }
}

}  // namespace portico::rules

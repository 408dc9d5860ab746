// The API as a whole: base path, name, version, API-level endpoints.
#include <regex>

#include "endpoints/url.hpp"
#include "project/generate.hpp"
#include "rules/context.hpp"
#include "util/text.hpp"

namespace portico::rules {

namespace {

bool match_basepath(std::string_view s) {
  if (s.empty() || s[0] != '/') return false;
  for (char ch : s)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '~' || ch == '/' || ch == '_' ||
          ch == '.' || ch == '-'))
      return false;
  return true;
}

bool match_chars(std::string_view s, std::string_view extra, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && extra.find(ch) == std::string_view::npos)
      return false;
  return true;
}

void emit_located(const Context& c, std::string_view rule, const endpoints::Located& l, std::string msg,
                  std::string hint = {}) {
  const doc::Document* d = l.document ? l.document : &c.doc;
  c.emit(rule, l.node, doc::pointer_of(d->root, l.node), std::move(msg), std::move(hint), d);
}

}  // namespace

void check_api(const Context& c) {
  const doc::Node* root = c.root();
  const auto& r = c.resolved;

  if (r.basepath.value.empty()) {
    // A concrete value for this definition: /NAME in lower case (as init derives it).
    std::string ctx = project::derived_context(r.name.value.empty() ? "myapi" : r.name.value);
    std::string ver = r.version.value.empty() ? "1.0.0" : r.version.value;
    emit_located(c, "basepath-missing", r.basepath,
                 "the API has no base path: the adapter rejects it",
                 c.meta ? "add 'context: " + ctx + "' under 'data:' in api.yaml (the gateway serves it at " + ctx +
                              "/" + ver + ")"
                        : "add 'x-wso2-basePath: " + ctx + "/" + ver + "' at the root, or run 'portico init DIR "
                          "--oas FILE', which writes 'context: " + ctx + "' to api.yaml (served at " + ctx + "/" +
                          ver + ")");
  } else if (!match_basepath(r.basepath.value)) {
    emit_located(c, "basepath-invalid", r.basepath,
                 "base path '" + r.basepath.value + "' does not match ^/[a-zA-Z0-9~/_.-]*$: the adapter rejects it",
                 r.basepath.value[0] != '/' ? "start it with '/'" : "use only letters, digits and ~/_.-");
  }
  if (r.name.present && !text::trim(r.name.value).empty() &&
      !match_chars(r.name.value, "_~.-", 3, 255))
    emit_located(c, "api-name-invalid", r.name,
                 "API name '" + r.name.value +
                     "' does not match ^[a-zA-Z0-9_~.-]{3,255}$: the adapter's undeploy call cannot name it",
                 "use 3 to 255 letters, digits or _~.-");
  if (r.version.present && !text::trim(r.version.value).empty() &&
      !match_chars(r.version.value, "_.-", 1, 15))
    emit_located(c, "api-version-invalid", r.version,
                 "API version '" + r.version.value + "' does not match ^[a-zA-Z0-9_.-]{1,15}$",
                 "use at most 15 letters, digits or _.-");

  const doc::Node* prod_key = root->get_key("x-wso2-production-endpoints");
  const doc::Node* sand_key = root->get_key("x-wso2-sandbox-endpoints");
  bool swagger2 = endpoints::is_swagger2(root);
  const doc::Node* host = swagger2 ? root->get("host") : nullptr;
  const doc::Node* servers = swagger2 ? nullptr : root->get("servers");
  bool host_set = host && host->is_string() && !host->text.empty();
  bool servers_set = servers && servers->is_seq() && !servers->kids.empty();

  if (host_set) {
    // The adapter rejects a Swagger 2 host it cannot use as an endpoint host.
    endpoints::Url u = endpoints::parse_url("http://" + host->text);
    if (!u.ok() || !u.host_valid())
      c.emit("url-host", host, "/host",
             "host '" + host->text + "' is not a host the gateway accepts (letters, digits, '-' and '.', optional :port)",
             "write host: backend.example.com:8080");
  }

  bool meta_endpoints = c.meta && (!c.meta->production.urls.empty() || !c.meta->sandbox.urls.empty());
  bool mocked = c.meta && c.meta->mocked();
  if (!prod_key && !sand_key && endpoints::usable_servers(root).empty() && !host_set && !meta_endpoints &&
      !mocked)
    c.emit("no-endpoints", nullptr, "",
           "no API-level endpoint: no root x-wso2-production-endpoints or x-wso2-sandbox-endpoints, no usable "
           "servers/host" +
               std::string(c.meta ? ", none in api.yaml" : "") +
               ": the adapter rejects the API even when every path has its own",
           "add x-wso2-production-endpoints at the root");

  if (sand_key && !prod_key)
    c.emit("sandbox-only", sand_key, "/x-wso2-sandbox-endpoints",
           "a root x-wso2-sandbox-endpoints without x-wso2-production-endpoints: the gateway drops the production "
           "endpoints from servers/host/api.yaml, and production calls get 401",
           "add a root x-wso2-production-endpoints");

  if (prod_key && (host_set || servers_set)) {
    const doc::Node* k = root->get_key(host_set ? "host" : "servers");
    c.emit("servers-overridden", k, host_set ? "/host" : "/servers",
           std::string("the root x-wso2-production-endpoints overrides '") + (host_set ? "host" : "servers") +
               "': the gateway routes production traffic to the extension's URLs and ignores it");
  }
}

}  // namespace portico::rules

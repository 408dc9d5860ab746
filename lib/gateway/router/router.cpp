#include "gateway/router/router.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "archive/zip_reader.hpp"
#include "crypto/jwt.hpp"
#include "endpoints/url.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

namespace portico::gateway::router {

namespace {

constexpr const char* kIssuer = "https://localhost:9095/testkey";
constexpr const char* kAudience = "http://org.wso2.apimgt/gateway";

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

bool is_true(const doc::Node* n) { return n && n->is_scalar() && text::to_lower(n->text) == "true"; }

std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".^$|()[]*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// Numbers in advanceEndpointConfig are decoded as floating point.
std::optional<double> number(const doc::Node* map, std::string_view key) {
  const doc::Node* n = map && map->is_map() ? map->get(key) : nullptr;
  if (!n || !n->is_number()) return std::nullopt;
  return n->number();
}

// Go's strconv.Unquote for the common forms ("..." with escapes, `...`, 'c');
// a value that is not quoted that way is used as it is (as the adapter does).
std::string go_unquote(const std::string& v) {
  if (v.size() >= 2 && v.front() == '`' && v.back() == '`' && v.find('`', 1) == v.size() - 1) return v.substr(1, v.size() - 2);
  if (v.size() == 3 && v.front() == '\'' && v.back() == '\'') return v.substr(1, 1);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return v;
  std::string out;
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    char ch = v[i];
    if (ch == '"') return v;  // an unescaped quote inside: not a Go string
    if (ch != '\\') {
      out += ch;
      continue;
    }
    if (++i >= v.size() - 1) return v;  // a backslash before the closing quote
    switch (v[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      default: return v;  // rarer escapes: used as written
    }
  }
  return out;
}

// The adapter's hash of an API for its environment variables: hex SHA-1 of "NAME:VERSION".
std::string api_env_hash(const std::string& name, const std::string& version) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::string in = name + ":" + version;
  EVP_Digest(in.data(), in.size(), md, &len, EVP_sha1(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

// Reads advanceEndpointConfig and securityConfig; returns whether BASIC
// security is enabled, with its credentials in user and pass.
bool read_list_config(const doc::Node* block, ClusterSpec& c, std::string& user, std::string& pass) {
  if (!block || !block->is_map()) return false;
  if (const doc::Node* adv = block->get("advanceEndpointConfig"); adv && adv->is_map()) {
    if (auto t = number(adv, "timeoutInMillis"); t && *t > 0) c.timeout_ms = static_cast<long>(std::min(*t, 60000.0));
    if (const doc::Node* r = adv->get("retryConfig"); r && r->is_map()) {
      auto count = number(r, "count");
      c.retry_count = count ? static_cast<int>(*count) : 0;
      if (c.retry_count < 0 || c.retry_count > 5) c.retry_count = 5;
      if (const doc::Node* codes = r->get("statusCodes"); codes && codes->is_seq())
        for (const doc::Node* s : codes->kids)
          if (s->is_number() && s->number() >= 401 && s->number() <= 598) c.retry_statuses.insert(static_cast<int>(s->number()));
      if (c.retry_statuses.empty()) c.retry_statuses.insert(504);
    }
    if (const doc::Node* cb = adv->get("circuitBreakers"); cb && cb->is_map()) {
      if (auto v = number(cb, "maxConnections"); v && *v > 0) c.max_connections = static_cast<long>(*v);
      if (auto v = number(cb, "maxRequests"); v && *v > 0) c.max_requests = static_cast<long>(*v);
      if (auto v = number(cb, "maxPendingRequests"); v && *v > 0) c.max_pending = static_cast<long>(*v);
    }
  }
  if (const doc::Node* sec = block->get("securityConfig"); sec && sec->is_map()) {
    const doc::Node* type = sec->get("type");
    if (type && type->is_scalar() && text::to_upper(type->text) == "BASIC") {
      const doc::Node* u = sec->get("username");
      const doc::Node* p = sec->get("password");
      user = u && u->is_scalar() ? u->text : "";
      pass = p && p->is_scalar() ? p->text : "";
      return true;
    }
  }
  return false;
}

std::string label_of(const LoadedApi& api, const endpoints::Group& g) {
  std::string l = api.name + " " + api.version + " " + std::string(endpoints::to_string(g.environment));
  if (g.scope == endpoints::Scope::Resource) l += " " + g.path;
  if (g.scope == endpoints::Scope::Named) l += " x-wso2-endpoints " + g.path;
  return l;
}

const std::set<std::string>& http_methods() {
  static const std::set<std::string> m{"get", "put", "post", "delete", "options", "head", "patch", "trace"};
  return m;
}

serve::Response json_response(int status, const nlohmann::json& j) {
  serve::Response r;
  r.status = status;
  r.set("Content-Type", "application/json");
  r.body = j.dump();
  return r;
}

std::string form_value(std::string_view form, std::string_view name) {
  for (auto pair : text::split(form, '&')) {
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
  }
  return "";
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

Decision local(serve::Response r, Flag f = Flag::None) {
  Decision d;
  d.response = std::move(r);
  d.flag = f;
  return d;
}

Decision testkey(const serve::Request& req, const Context& ctx) {
  std::string auth = req.header("Authorization");
  auto sp = auth.find(' ');
  bool ok = false;
  std::string user;
  if (sp != std::string::npos && text::to_lower(auth.substr(0, sp)) == "basic" && ctx.users) {
    auto decoded = base64::decode(text::trim(auth.substr(sp + 1)));
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon != std::string::npos) {
      user = decoded->substr(0, colon);
      auto it = ctx.users->passwords.find(user);
      ok = it != ctx.users->passwords.end() && constant_time_equal(decoded->substr(colon + 1), it->second);
    }
  }
  if (!ok) return local(unauthorized());
  std::string keytype = text::to_upper(form_value(req.body, "keytype"));
  if (keytype.empty()) keytype = text::to_upper(form_value(req.query(), "keytype"));
  if (keytype != "SANDBOX") keytype = "PRODUCTION";
  nlohmann::json claims{{"iss", kIssuer},   {"aud", kAudience},    {"sub", user},
                        {"scope", "am_application_scope default"}, {"keytype", keytype},
                        {"iat", ctx.now},   {"exp", ctx.now + 3600}, {"jti", ctx.jti}};
  serve::Response r;
  r.set("Content-Type", "text/plain");
  r.body = crypto::jwt_sign_rs256(claims, ctx.key);
  return local(std::move(r));
}

bool hop_by_hop(const std::string& lower) {
  static const std::set<std::string> h{"connection", "keep-alive",        "proxy-connection", "transfer-encoding",
                                       "te",         "trailer",           "upgrade",          "host",
                                       "content-length", "proxy-authorization", "expect"};
  return h.count(lower) > 0;
}

}  // namespace

LoadedApi load_api(std::string name, std::string version, std::string basepath, std::vector<std::string> vhosts,
                   std::string_view zip) {
  auto wanted = [](std::string_view n) {
    return contains(n, "api.yaml") || contains(n, "api.json") || contains(n, "Definitions/swagger.") ||
           contains(n, "Endpoint-certificates/");
  };
  auto entries = archive::read_zip(zip, {}, wanted);
  const archive::ZipEntry *api = nullptr, *def = nullptr, *certs = nullptr;
  for (const auto& e : entries) {
    if (e.directory) continue;
    if ((contains(e.name, "api.yaml") || contains(e.name, "api.json")) && !contains(e.name, "Definitions")) api = &e;
    if (contains(e.name, "Definitions/swagger.")) def = &e;
    if (contains(e.name, "Endpoint-certificates/") && contains(e.name, "endpoint_certificates.")) certs = &e;
  }
  if (!api || !def) throw Error(ExitCode::Input, "the deployed archive of " + name + " " + version + " has no api.yaml or definition");
  LoadedApi out;
  out.name = std::move(name);
  out.version = std::move(version);
  out.basepath = std::move(basepath);
  out.vhosts = std::move(vhosts);
  out.api_yaml = std::make_shared<doc::Document>(doc::parse(api->name, api->data));
  out.definition = std::make_shared<doc::Document>(doc::parse(def->name, def->data));
  if (!out.definition->root) throw Error(ExitCode::Input, "the definition of " + out.name + " cannot be read");
  if (certs) {
    auto d = doc::parse(certs->name, certs->data);
    const doc::Node* data = d.root && d.root->is_map() ? d.root->get("data") : nullptr;
    if (data && data->is_seq())
      for (const doc::Node* item : data->kids) {
        if (!item->is_map()) continue;
        const doc::Node* ep = item->get("endpoint");
        const doc::Node* file = item->get("certificate");
        if (!ep || !file || !ep->is_scalar() || !file->is_scalar()) continue;
        for (const auto& e : entries)
          if (contains(e.name, "Endpoint-certificates/") && e.name.ends_with("/" + file->text))
            out.endpoint_certs[ep->text] = e.data;
      }
  }
  return out;
}

std::string route_regex(const std::string& basepath, const std::string& resource) {
  std::string p = resource;
  bool wild = p.size() >= 2 && p.ends_with("/*");
  if (wild) p.resize(p.size() - 2);
  std::string body;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '{') {
      auto close = p.find('}', i);
      if (close != std::string::npos) {
        body += "([^/]+)";
        i = close;
        continue;
      }
    }
    body += p[i];
  }
  return "^" + basepath + body + (wild ? "(/.*)*" : "[/]{0,1}") + "$";
}

const char* flag_name(Flag f) {
  switch (f) {
    case Flag::NR: return "NR";
    case Flag::UF: return "UF";
    case Flag::UT: return "UT";
    case Flag::UO: return "UO";
    case Flag::NC: return "NC";
    case Flag::UH: return "UH";
    case Flag::UR: return "UR";
    default: return "-";
  }
}

serve::Response router_error(Flag f, std::string description) {
  int status = 500;
  std::string code, message, fallback = "upstream connect error or disconnect/reset before headers";
  switch (f) {
    case Flag::NR: status = 404; code = "404"; message = "Not Found"; fallback = "The requested resource is not available."; break;
    case Flag::UF: status = 503; code = "102503"; message = "Upstream connection failed"; fallback += ". reset reason: connection failure"; break;
    case Flag::UT: status = 504; code = "102504"; message = "Upstream connection timeout"; fallback = "upstream request timeout"; break;
    case Flag::UO: status = 503; code = "102505"; message = "Upstream overflow"; fallback = "upstream overflow"; break;
    case Flag::NC: status = 500; code = "102507"; message = "Upstream not configured for the resource"; fallback = "cluster not found"; break;
    case Flag::UH: status = 503; code = "102508"; message = "No healthy upstream"; fallback = "no healthy upstream"; break;
    case Flag::UR: status = 503; code = "102509"; message = "Upstream connection reset by the remote"; fallback += ". reset reason: connection termination"; break;
    default: code = "500"; message = "Internal Server Error"; break;
  }
  return json_response(status, {{"code", code}, {"message", message}, {"description", description.empty() ? fallback : description}});
}

serve::Response unauthorized(std::string description) {
  auto r = json_response(401, {{"code", "900901"},
                               {"error_message", "Invalid Credentials"},
                               {"error_description", description.empty()
                                                         ? "Make sure you have provided the correct security credentials"
                                                         : description}});
  r.set("WWW-Authenticate", R"(Bearer realm="Choreo Connect", error="invalid_token")");
  return r;
}

std::string vhost_of(std::string_view host) {
  std::string h = text::to_lower(text::trim(host));
  if (!h.empty() && h.front() == '[') return h.substr(0, h.find(']') + 1);
  auto colon = h.rfind(':');
  return colon == std::string::npos ? h : h.substr(0, colon);
}

std::string env_credential_name(const std::string& name, const std::string& version, bool sandbox, bool password) {
  return "api_" + api_env_hash(name, version) + (sandbox ? "_sand" : "_prod") + (password ? "_basic_password" : "_basic_username");
}

std::shared_ptr<const ApiPart> build_part(const LoadedApi& api, const EnvLookup& env_in) {
  EnvLookup env = env_in ? env_in : [](const std::string& n) -> std::optional<std::string> {
    const char* v = std::getenv(n.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  auto part = std::make_shared<ApiPart>();
  project::ApiYaml meta = project::read_api_yaml(api.api_yaml);
  endpoints::Resolution res = endpoints::resolve(*api.definition, &meta);
  std::vector<std::size_t> cluster_of(res.groups.size(), kNoCluster);
  for (std::size_t i = 0; i < res.groups.size(); ++i) {
    const auto& g = res.groups[i];
    if (!g.cluster || g.dropped()) continue;
    ClusterSpec c;
    c.label = label_of(api, g);
    c.api_name = api.name, c.api_version = api.version, c.environment = g.environment, c.scope = g.scope;
    if (g.scope != endpoints::Scope::Api) c.path = g.path;
    c.type = g.type;
    c.key = api.name + "\n" + api.version + "\n" + c.label + "\n" + std::string(endpoints::to_string(g.type));
    for (std::size_t u = 0; u < g.urls.size(); ++u) {
      auto parsed = endpoints::parse_url(g.urls[u].url);
      Host h;
      h.url = g.urls[u].url;
      h.scheme = parsed.scheme;
      h.host = parsed.host;
      h.port = static_cast<int>(parsed.port);
      h.priority = g.type == endpoints::GroupType::Failover ? static_cast<int>(u) : 0;
      auto cert = api.endpoint_certs.find(h.url);
      if (cert != api.endpoint_certs.end()) h.ca_pem = cert->second;
      c.key += "\n" + h.url;
      c.hosts.push_back(std::move(h));
    }
    std::string user, pass;
    if (read_list_config(g.block, c, user, pass)) {
      // The adapter's environment variables override the API-level list's
      // credentials (only there, and only when its securityConfig is BASIC).
      if (g.scope == endpoints::Scope::Api) {
        bool sb = g.environment == endpoints::Environment::Sandbox;
        if (auto v = env(env_credential_name(api.name, api.version, sb, false))) user = go_unquote(*v);
        if (auto v = env(env_credential_name(api.name, api.version, sb, true))) pass = go_unquote(*v);
      }
      if (!user.empty()) c.basic_auth = "Basic " + base64::encode(user + ":" + pass);
    }
    cluster_of[i] = part->clusters.size();
    part->clusters.push_back(std::move(c));
  }
  // The cluster of each named list (the last of a name wins).
  std::unordered_map<std::string, std::size_t> named;
  for (std::size_t j = 0; j < res.groups.size(); ++j)
    if (res.groups[j].scope == endpoints::Scope::Named) named[res.groups[j].path] = cluster_of[j];
  // The cluster a group's traffic goes to (a reference uses its named list's).
  auto cluster_for = [&](std::size_t gi) -> std::size_t {
    if (gi == endpoints::kNone) return kNoCluster;
    const auto& g = res.groups[gi];
    if (g.dropped()) return kNoCluster;
    if (cluster_of[gi] != kNoCluster) return cluster_of[gi];
    if (!g.ref.empty()) {
      auto it = named.find(g.ref);
      return it == named.end() ? kNoCluster : it->second;
    }
    return kNoCluster;
  };

  ApiEntry& entry = part->entry;
  std::vector<RouteEntry> routes;
  entry.name = api.name;
  entry.version = api.version;
  entry.basepath = api.basepath;
  entry.vhosts = api.vhosts;
  const doc::Node* root = api.definition->root;
  const doc::Node* paths = root && root->is_map() ? root->get("paths") : nullptr;
  bool api_open = root && root->is_map() && is_true(root->get("x-wso2-disable-security"));
  // Each path item by its key, found once (the last of duplicate keys, as
  // Node::get): a lookup per route would make a big API's table quadratic.
  std::unordered_map<std::string_view, const doc::Node*> items;
  if (paths && paths->is_map())
    for (std::size_t k = 0; k < paths->size(); ++k)
      if (paths->key(k)->is_scalar()) items[paths->key(k)->text] = paths->value(k);
  for (const auto& r : res.routes) {
    RouteEntry e;
    e.resource = r.path;
    e.pattern = route_regex(api.basepath, r.path);
    try {
      e.regex = std::regex(e.pattern);
    } catch (const std::regex_error&) {
      // Choreo Connect does not escape metacharacters; a path that is not a
      // valid regex then is matched literally.
      try {
        e.pattern = route_regex(regex_escape(api.basepath), regex_escape(r.path));
        e.regex = std::regex(e.pattern);
      } catch (const std::regex_error&) {
        continue;
      }
    }
    e.params = static_cast<int>(std::count(r.path.begin(), r.path.end(), '{'));
    e.wildcard = r.path.ends_with("/*");
    auto found = items.find(r.path);
    const doc::Node* item = found == items.end() ? nullptr : found->second;
    bool item_open = api_open || (item && item->is_map() && is_true(item->get("x-wso2-disable-security")));
    bool options_declared = false;
    if (item && item->is_map())
      for (std::size_t k = 0; k < item->size(); ++k) {
        std::string m = text::to_lower(item->key(k)->text);
        if (!http_methods().count(m)) continue;
        std::string upper = text::to_upper(m);
        e.methods.insert(upper);
        if (m == "options") options_declared = true;
        const doc::Node* op = item->value(k);
        if (item_open || (op && op->is_map() && is_true(op->get("x-wso2-disable-security")))) e.open_methods.insert(upper);
      }
    e.methods.insert("OPTIONS");
    if (!options_declared) e.open_methods.insert("OPTIONS");
    auto target = [&](std::size_t gi, const std::string& base, std::size_t sharing) {
      Target t;
      t.has_list = gi != endpoints::kNone;
      t.cluster = sharing != kNoCluster ? sharing : cluster_for(gi);
      t.base = base;
      return t;
    };
    e.production = target(r.production, r.production_base, kNoCluster);
    std::size_t shared = kNoCluster;
    if (r.sandbox != endpoints::kNone && res.groups[r.sandbox].uses_production_cluster)
      shared = e.production.cluster;
    e.sandbox = target(r.sandbox, r.sandbox_base, shared);
    routes.push_back(std::move(e));
  }
  std::stable_sort(routes.begin(), routes.end(), [](const RouteEntry& a, const RouteEntry& b) {
    return std::pair(a.wildcard, a.params) < std::pair(b.wildcard, b.params);
  });
  entry.routes = std::make_shared<const std::vector<RouteEntry>>(std::move(routes));
  return part;
}

const ClusterSpec& ClusterList::operator[](std::size_t i) const {
  std::size_t c = static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), i) - starts_.begin()) - 1;
  return (*chunks_[c])[i - starts_[c]];
}

void ClusterList::append(std::shared_ptr<const std::vector<ClusterSpec>> clusters) {
  if (!clusters || clusters->empty()) return;
  starts_.push_back(size_);
  size_ += clusters->size();
  chunks_.push_back(std::move(clusters));
}

std::shared_ptr<const Table> assemble(const std::vector<std::shared_ptr<const ApiPart>>& parts) {
  auto table = std::make_shared<Table>();
  table->apis.reserve(parts.size());
  for (const auto& p : parts) {
    ApiEntry e = p->entry;  // its routes shared, not copied
    e.cluster_base = table->clusters.size();
    // Its clusters shared too: the pointer owns the part, points at its clusters.
    table->clusters.append(std::shared_ptr<const std::vector<ClusterSpec>>(p, &p->clusters));
    table->apis.push_back(std::move(e));
  }
  std::stable_sort(table->apis.begin(), table->apis.end(),
                   [](const ApiEntry& a, const ApiEntry& b) { return a.basepath.size() > b.basepath.size(); });
  return table;
}

std::shared_ptr<const Table> build_table(const std::vector<LoadedApi>& apis, const EnvLookup& env) {
  std::vector<std::shared_ptr<const ApiPart>> parts;
  parts.reserve(apis.size());
  for (const auto& api : apis) parts.push_back(build_part(api, env));
  return assemble(parts);
}

std::shared_ptr<const Table> TableCache::update(const std::vector<Deployed>& deployed, const Loader& load,
                                                const OnError& on_error) {
  // Updated in place: every deployed API is marked with this update's
  // number, and those left unmarked (undeployed) are dropped at the end.
  ++generation_;
  std::vector<std::shared_ptr<const ApiPart>> parts;
  parts.reserve(deployed.size());
  for (std::size_t i = 0; i < deployed.size(); ++i) {
    const Deployed& d = deployed[i];
    auto it = kept_.find(d.key);
    if (it == kept_.end() || it->second.revision != d.revision) {
      Kept k;
      k.revision = d.revision;
      try {
        auto api = load(i);
        if (!api) continue;  // gone meanwhile: nothing kept (dropped below), the next update tries again
        k.part = build_part(*api, env_);
        ++built_;
      } catch (const std::exception& e) {
        if (on_error) on_error(i, e.what());
      }
      it = kept_.insert_or_assign(d.key, std::move(k)).first;
    }
    it->second.generation = generation_;
    if (it->second.part) parts.push_back(it->second.part);
  }
  std::erase_if(kept_, [this](const auto& kv) { return kv.second.generation != generation_; });
  return assemble(parts);
}


Decision route(const Table& table, const serve::Request& req, const Context& ctx) {
  std::string vhost = vhost_of(req.header("Host"));
  std::string path = req.path();
  if (vhost == "localhost") {
    if (path == "/health") return local(json_response(200, {{"status", "healthy"}}));
    if (path == "/ready") return local(json_response(200, {{"status", "ready"}}));
    if (path == "/testkey") return testkey(req, ctx);
  }
  const ApiEntry* api = nullptr;
  const RouteEntry* hit = nullptr;
  for (const auto& a : table.apis) {
    if (std::find(a.vhosts.begin(), a.vhosts.end(), vhost) == a.vhosts.end()) continue;
    for (const auto& r : *a.routes)
      if (r.methods.count(req.method) && std::regex_match(path, r.regex)) {
        api = &a;
        hit = &r;
        break;
      }
    if (hit) break;
  }
  if (!hit) return local(router_error(Flag::NR), Flag::NR);

  bool sandbox = false, bearer_used = false;
  if (!hit->open_methods.count(req.method)) {
    std::string auth = req.header("Authorization");
    auto sp = auth.find(' ');
    if (sp == std::string::npos || text::to_lower(auth.substr(0, sp)) != "bearer") {
      auto d = local(unauthorized());
      d.api = api->name + " " + api->version;
      return d;
    }
    auto claims = crypto::jwt_verify_rs256(std::string(text::trim(auth.substr(sp + 1))), ctx.key, ctx.now);
    // A claim that is not a string reads as absent (value() would throw).
    auto claim = [&claims](const char* k) {
      auto it = claims->find(k);
      return it != claims->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (!claims || !claims->is_object() || claim("iss") != kIssuer) {
      auto d = local(unauthorized());
      d.api = api->name + " " + api->version;
      return d;
    }
    bearer_used = true;
    sandbox = text::to_upper(claim("keytype")) == "SANDBOX";
  }
  const Target& t = sandbox ? hit->sandbox : hit->production;
  Decision d;
  d.api = api->name + " " + api->version;
  d.sandbox = sandbox;
  if (!t.has_list) {
    if (hit->open_methods.count(req.method)) {
      d.response = router_error(Flag::NC);
      d.flag = Flag::NC;
      return d;
    }
    d.response = unauthorized(sandbox ? "Sandbox key offered to an API with no sandbox endpoint"
                                      : "Production key offered to an API with no production endpoint");
    return d;
  }
  if (t.cluster == kNoCluster) {
    d.response = router_error(Flag::NC);
    d.flag = Flag::NC;
    return d;
  }
  d.kind = Decision::Kind::Proxy;
  d.cluster = api->cluster_base + t.cluster;
  std::string rest = path.substr(api->basepath.size());
  std::string base = t.base;
  while (base.ends_with("/") && rest.starts_with("/")) base.pop_back();
  std::string rewritten = base + rest;
  if (rewritten.empty()) rewritten = "/";
  std::string q = req.query();
  d.target = q.empty() ? rewritten : rewritten + "?" + q;
  for (const auto& h : req.headers) {
    std::string lower = text::to_lower(h.name);
    if (hop_by_hop(lower)) continue;
    if (lower == "authorization" && bearer_used) continue;
    d.headers.push_back(h);
  }
  return d;
}

}  // namespace portico::gateway::router

#include "gateway/adapter/service.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "crypto/jwt.hpp"
#include "util/base64.hpp"
#include "util/text.hpp"

namespace portico::gateway::adapter {

namespace {

// Validation errors carry an internal code >= 600, as the adapter's do.
constexpr int kValidationCode = 602;

bool chars_in(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

std::optional<std::string> param(const Request& r, const std::string& name) {
  auto it = r.params.find(name);
  if (it == r.params.end()) return std::nullopt;
  return it->second;
}

Response invalid(const std::string& message) { return error_response(422, message, kValidationCode); }

// Compares without an early exit, so timing does not reveal a password prefix.
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Response error_response(int status, std::string message, int code) {
  nlohmann::json j{{"code", code ? code : status}, {"message", std::move(message)}};
  // Messages quote what the client sent (a path, a scheme): bytes that are not
  // UTF-8 become U+FFFD instead of making dump() throw.
  return {status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

Service::Service(ServiceConfig config, Store& store, EVP_PKEY* token_key, std::function<long long()> clock)
    : config_(std::move(config)), store_(store), key_(token_key), clock_(std::move(clock)) {}

Response Service::handle(const Request& req) {
  if (req.path == "/oauth2/token") {
    if (req.method != "POST") return error_response(405, "use POST for /oauth2/token");
    return token(req);
  }
  if (req.path == "/apis") {
    if (req.method != "POST" && req.method != "GET" && req.method != "DELETE")
      return error_response(405, "use GET, POST or DELETE for /apis");
    if (auto denied = authorise(req.authorization)) return *denied;
    if (req.method == "POST") return deploy(req);
    if (req.method == "GET") return list(req);
    return undeploy(req);
  }
  return error_response(404, "no such resource: " + std::string(kBasePath) + req.path);
}

Response Service::token(const Request& req) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return error_response(400, "the body must be a JSON object {\"username\": ..., \"password\": ...}");
  for (const char* field : {"username", "password"}) {
    if (!body.contains(field) || !body[field].is_string())
      return invalid(std::string(field) + " is required and must be a string");
    const std::string v = body[field].get<std::string>();
    if (v.size() > 100 || !chars_in(v, "_~.@-"))
      return invalid(std::string(field) + " must match ^[a-zA-Z0-9_~.@-]*$ and have at most 100 characters");
  }
  std::string user = body["username"], pass = body["password"];
  auto it = config_.users.find(user);
  if (it == config_.users.end() || !constant_time_equal(pass, it->second))
    return error_response(401, "invalid credentials");
  long long now = clock_();
  nlohmann::json claims{{"username", user},
                        {"scope", "admin"},
                        {"iss", "portico-gateway"},
                        {"iat", now},
                        {"exp", now + config_.token_lifetime}};
  return {200, nlohmann::json{{"accessToken", crypto::jwt_sign_rs256(claims, key_)}}.dump()};
}

std::optional<Response> Service::authorise(const std::string& h) const {
  if (h.empty()) return error_response(401, "authentication required: send Basic credentials or a Bearer token");
  auto space = h.find(' ');
  std::string scheme = text::to_lower(h.substr(0, space));
  std::string value = space == std::string::npos ? "" : std::string(text::trim(h.substr(space + 1)));
  if (scheme == "basic") {
    auto decoded = base64::decode(value);
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return error_response(401, "malformed Basic credentials");
    auto it = config_.users.find(decoded->substr(0, colon));
    if (it == config_.users.end() || !constant_time_equal(decoded->substr(colon + 1), it->second))
      return error_response(401, "invalid credentials");
    return std::nullopt;
  }
  if (scheme == "bearer") {
    auto claims = crypto::jwt_verify_rs256(value, key_, clock_());
    if (!claims) return error_response(401, "the token is invalid or has expired: get a new one from /oauth2/token");
    // A claim that is not a string reads as absent (value() would throw).
    auto claim = [&claims](const char* k) {
      auto it = claims->find(k);
      return it != claims->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string user = claim("username");
    if (!config_.users.count(user) || claim("scope") != "admin")
      return error_response(401, "the token's user is not allowed");
    return std::nullopt;
  }
  return error_response(401, "unsupported authorization scheme '" + scheme + "': use Basic or Bearer");
}

Response Service::deploy(const Request& req) {
  if (!req.multipart || !req.has_file)
    return error_response(400, "the request needs a multipart/form-data part named 'file' holding the project zip");
  bool override = false;
  if (auto o = param(req, "override")) {
    std::string v = text::to_lower(*o);
    if (v == "true" || v == "1" || v == "t")
      override = true;
    else if (v != "false" && v != "0" && v != "f")
      return invalid("override must be true or false");
  }
  auto known_targets = [this](const std::vector<project::Placement>& all) {
    std::vector<project::Placement> out;
    for (const auto& t : all)
      if (std::find(config_.environments.begin(), config_.environments.end(), t.environment) !=
          config_.environments.end())
        out.push_back(t);
    return out;
  };
  auto shares_vhost = [](const std::vector<project::Placement>& a, const std::vector<project::Placement>& b, std::string* which) {
    for (const auto& x : a)
      for (const auto& y : b)
        if (x.vhost == y.vhost) {
          if (which) *which = x.vhost;
          return true;
        }
    return false;
  };
  auto exists_409 = [](const project::AcceptedApi& api, const std::string& vhost) {
    return error_response(409, "API " + api.name + ":" + api.version + " is already deployed on vhost " + vhost +
                                   ": deploy with override=true to update it");
  };

  // An API that exists, deployed without override, gets its 409 from api.yaml
  // and deployment_environments.yaml alone, before the definition (tens of
  // megabytes, seconds to parse) is read. The adapter validates first; the
  // only difference is an invalid project of an existing API, which gets this
  // 409 where the adapter would give 500.
  if (!override)
    if (auto quick = project::quick_look(req.file)) {
      auto targets = known_targets(quick->targets);
      std::string vhost;
      if (auto existing = store_.find(quick->name, quick->version);
          existing && shares_vhost(existing->targets, targets, &vhost))
        return exists_409(*quick, vhost);
    }

  project::Verdict verdict = project::accept_project(req.file, config_.accept);
  if (!verdict.api) return error_response(500, verdict.reason);
  const project::AcceptedApi& api = *verdict.api;

  std::vector<project::Placement> targets = known_targets(api.targets);
  if (targets.empty()) {
    // The adapter answers 200 and deploys nothing; so does its stand-in.
    std::string known;
    for (const auto& e : config_.environments) known += (known.empty() ? "" : ", ") + e;
    return {200, nlohmann::json{{"action", "none"},
                                {"info", "no known gateway environment in deployment_environments.yaml (known: " +
                                             known + "): nothing was deployed"}}
                     .dump()};
  }

  std::lock_guard lock(deploy_mu_);
  std::string vhost;
  for (const auto& d : store_.list()) {
    bool same = d.name == api.name && d.version == api.version;
    if (same && !override && shares_vhost(d.targets, targets, &vhost)) return exists_409(api, vhost);
    if (!same && d.basepath == api.basepath && shares_vhost(d.targets, targets, &vhost))
      return error_response(409, "another API, " + d.name + ":" + d.version + ", already uses base path " +
                                     api.basepath + " on vhost " + vhost + " (override does not help)");
  }
  Deployment d{api.name, api.version, api.type, api.basepath, targets, clock_(), ""};
  if (auto existing = store_.find(api.name, api.version))
    for (const auto& t : existing->targets)
      if (std::find(d.targets.begin(), d.targets.end(), t) == d.targets.end() &&
          !shares_vhost({t}, targets, nullptr))
        d.targets.push_back(t);
  try {
    store_.put(d, req.file);
  } catch (const StoreError& e) {
    return error_response(500, e.what());
  }
  return {200, nlohmann::json{{"action", "deployed"},
                              {"info", api.name + ":" + api.version + " deployed at " + api.basepath}}
                   .dump()};
}

Response Service::list(const Request& req) {
  std::string type_filter;
  if (auto q = param(req, "query")) {
    bool letters = std::all_of(q->begin(), q->end(),
                               [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == ':'; });
    if (q->size() > 9 || !letters) return invalid("query must match ^[a-zA-Z:]*$ and have at most 9 characters");
    if (text::to_lower(*q).rfind("type:", 0) == 0) type_filter = text::to_upper(q->substr(5));
  }
  long long limit = -1;
  if (auto l = param(req, "limit")) {
    if (!text::is_all_digits(*l) || l->size() > 9) return invalid("limit must be an integer from 1 to 100000000");
    limit = std::stoll(*l);
    if (limit < 1 || limit > 100000000) return invalid("limit must be an integer from 1 to 100000000");
  }
  auto all = store_.list();
  std::sort(all.begin(), all.end(), [](const Deployment& a, const Deployment& b) {
    return std::tie(a.name, a.version) < std::tie(b.name, b.version);
  });
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : all) {
    if (!type_filter.empty() && text::to_upper(d.type) != type_filter) continue;
    std::map<std::string, std::vector<std::string>> by_vhost;
    for (const auto& t : d.targets) by_vhost[t.vhost].push_back(t.environment);
    for (const auto& [vhost, envs] : by_vhost)
      items.push_back({{"apiName", d.name},
                       {"version", d.version},
                       {"apiType", d.type},
                       {"context", d.basepath},
                       {"gateway-envs", envs},
                       {"vhost", vhost}});
  }
  std::size_t total = items.size();
  if (limit >= 0 && items.size() > static_cast<std::size_t>(limit)) items.erase(items.begin() + limit, items.end());
  return {200, nlohmann::json{{"total", total}, {"count", items.size()}, {"list", items}}.dump()};
}

Response Service::undeploy(const Request& req) {
  auto name = param(req, "apiName");
  auto version = param(req, "version");
  if (!name || name->size() < 3 || name->size() > 255 || !chars_in(*name, "_~.-"))
    return invalid("apiName is required and must match ^[a-zA-Z0-9_~.-]{3,255}$");
  if (!version || version->empty() || version->size() > 15 || !chars_in(*version, "_.-"))
    return invalid("version is required and must match ^[a-zA-Z0-9_.-]{1,15}$");
  auto vhost = param(req, "vhost");
  static const std::regex vhost_re(
      R"(^(\*|(\*-|\*\.)?(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9])(-\*|\.\*)?)$)");
  if (vhost && (vhost->size() > 255 || !std::regex_match(*vhost, vhost_re)))
    return invalid("vhost is not a valid virtual host name");
  auto envs = param(req, "environments");
  static const std::regex envs_re(R"(^[\w\s.-]*(:[\w\s.-]+)*$)");
  if (envs && (envs->size() > 255 || !std::regex_match(*envs, envs_re)))
    return invalid("environments must be gateway environment names separated by ':'");

  std::lock_guard lock(deploy_mu_);
  auto d = store_.find(*name, *version);
  if (!d) return error_response(404, "API " + *name + ":" + *version + " is not deployed");
  std::set<std::string> env_set;
  if (envs && !envs->empty())
    for (auto e : text::split(*envs, ':')) env_set.insert(std::string(e));
  std::vector<project::Placement> keep;
  bool removed = false;
  for (const auto& t : d->targets) {
    bool match = (!vhost || t.vhost == *vhost) && (env_set.empty() || env_set.count(t.environment));
    if (match)
      removed = true;
    else
      keep.push_back(t);
  }
  if (!removed) return error_response(404, "API " + *name + ":" + *version + " is not deployed there");
  if (keep.empty()) {
    store_.remove(*name, *version);
  } else {
    d->targets = keep;
    try {
      store_.update(*d);
    } catch (const StoreError& e) {
      std::string why = e.full ? "the gateway's data directory is full" : "the gateway cannot write to its data directory";
      return error_response(500, why + ": " + *name + ":" + *version + " was not undeployed");
    }
  }
  return {200, nlohmann::json{{"action", "undeployed"}, {"info", *name + ":" + *version}}.dump()};
}

}  // namespace portico::gateway::adapter

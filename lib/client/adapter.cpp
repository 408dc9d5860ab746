#include "client/adapter.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

namespace portico::client {

namespace {

bool retryable_status(long s) { return s == 502 || s == 503 || s == 504; }

std::string body_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"];
  return body.size() > 500 ? body.substr(0, 500) + "..." : body;
}

std::string describe_failure(const net::TransportError& e) {
  switch (e.failure) {
    case net::Failure::Resolve: return "cannot resolve the adapter's host";
    case net::Failure::Connect: return "cannot connect to the adapter";
    case net::Failure::Tls: return "the TLS handshake with the adapter failed";
    case net::Failure::TlsVerify: return "the adapter's TLS certificate was not verified";
    case net::Failure::Timeout: return "the adapter did not answer in time";
    case net::Failure::Reset: return "the connection was reset";
    case net::Failure::TooLarge: return "the adapter's answer was too large";
    case net::Failure::Protocol: return "the adapter's answer could not be read";
    case net::Failure::Other: break;
  }
  return "the request failed";
}

}  // namespace

std::string query_string(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) out += (out.empty() ? "?" : "&") + k + "=" + text::percent_encode(v);
  return out;
}

long long token_expiry(const std::string& jwt) {
  auto d1 = jwt.find('.');
  auto d2 = d1 == std::string::npos ? d1 : jwt.find('.', d1 + 1);
  if (d2 == std::string::npos) return 0;
  auto payload = base64::decode(std::string_view(jwt).substr(d1 + 1, d2 - d1 - 1));
  if (!payload) return 0;
  auto j = nlohmann::json::parse(*payload, nullptr, false);
  if (!j.is_object() || !j.contains("exp") || !j["exp"].is_number()) return 0;
  // Through double, clamped: a float or an exp beyond long long must not overflow.
  double exp = j["exp"].get<double>();
  if (!(exp > 0)) return 0;
  return exp >= 9.2e18 ? 9'200'000'000'000'000'000LL : static_cast<long long>(exp);
}

AdapterClient::AdapterClient(net::Transport& transport, Target target, Auth auth, Options options)
    : transport_(transport), target_(std::move(target)), auth_(std::move(auth)), options_(std::move(options)) {
  if (!options_.sleep_ms) options_.sleep_ms = [](long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
}

void AdapterClient::add_auth(net::HttpRequest& req) const {
  if (!auth_.token.empty())
    req.headers.emplace_back("Authorization", "Bearer " + auth_.token);
  else if (!auth_.username.empty())
    req.headers.emplace_back("Authorization", "Basic " + base64::encode(auth_.username + ":" + auth_.password));
}

net::HttpResponse AdapterClient::send(net::HttpRequest req, bool authenticated, bool* ambiguous) {
  req.ca_file = target_.ca_file;
  req.insecure = target_.insecure;
  req.connect_timeout_ms = options_.connect_timeout_ms;
  req.timeout_ms = options_.timeout_ms;
  std::mt19937 rng(std::random_device{}());
  bool renewed = false;
  long retry_after_ms = 0;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0 && options_.notice)  // each retry as it starts
      options_.notice("retry " + std::to_string(attempt) + "/" + std::to_string(options_.retries) + ": " + req.method +
                      " " + req.url);
    net::HttpRequest r = req;
    if (authenticated) add_auth(r);
    std::string why;
    retry_after_ms = 0;
    try {
      net::HttpResponse res = transport_.send(r);
      if (res.status == 401 && authenticated && !auth_.token.empty() && !renewed && auth_.renewal_credentials) {
        if (auto creds = auth_.renewal_credentials()) {
          renewed = true;
          if (options_.notice) options_.notice("the token was refused (expired?): getting a new one");
          Token t = login(creds->first, creds->second);
          auth_.token = t.token;
          if (auth_.on_renewed) auth_.on_renewed(t.token, t.expires);
          --attempt;
          continue;
        }
      }
      if (!retryable_status(res.status)) return res;
      why = "HTTP " + std::to_string(res.status);
      // A server that says when to come back (a busy gateway: 503 with
      // Retry-After in seconds) is waited for, up to 60 s.
      if (auto it = res.headers.find("retry-after"); it != res.headers.end()) {
        std::string v(text::trim(it->second));
        if (!v.empty() && v.size() <= 5 && text::is_all_digits(v)) retry_after_ms = std::min(60000L, std::stol(v) * 1000L);
      }
      if (attempt >= options_.retries) return res;
    } catch (const net::TransportError& e) {
      bool retry = e.failure == net::Failure::Connect || e.failure == net::Failure::Reset;
      if (e.ambiguous() && ambiguous) *ambiguous = true;
      if (!retry || attempt >= options_.retries) {
        std::string hint;
        if (e.failure == net::Failure::TlsVerify && e.cert == net::CertProblem::Expired)
          hint = "the adapter's certificate has expired (or is not valid yet): renew it on the adapter; no --ca-cert "
                 "can make it valid (--insecure skips verification, for development only)";
        else if (e.failure == net::Failure::TlsVerify && e.cert == net::CertProblem::HostName)
          hint = "the adapter's certificate does not name the host in the adapter URL: use a host name the "
                 "certificate names, or reissue it for this host; no --ca-cert can fix a name (--insecure skips "
                 "verification, for development only)";
        else if (e.failure == net::Failure::TlsVerify && !target_.ca_file.empty())
          hint = "the adapter's certificate does not chain to the pinned CA " + target_.ca_file +
                 ": check that this file is the CA that signed the adapter's certificate";
        else if (e.failure == net::Failure::TlsVerify)
          hint = "pass the adapter's CA with --ca-cert (or 'portico env add ... --ca-cert FILE'); "
                 "--insecure skips verification, for development only";
        else if (e.failure == net::Failure::Tls)
          // Nothing was said about the certificate: a CA would not help.
          hint = "the handshake ended before any certificate was checked: check that the adapter URL's port serves "
                 "HTTPS (an adapter on plain HTTP needs an http:// URL) and that no proxy or firewall cuts the "
                 "connection";
        else if (e.failure == net::Failure::Protocol)
          hint = "check that the URL is the adapter's REST API (https:// for an HTTPS port): a proxy, load balancer "
                 "or another service may be answering instead";
        else if (e.failure == net::Failure::Timeout)
          hint = "check that the adapter is up, or raise --timeout";
        else
          hint = "check the adapter URL and that the adapter is running";
        throw Error(ExitCode::Network,
                    describe_failure(e) + " at " + target_.base_url + " (" + target_.label + "): " + e.what(), hint);
      }
      why = describe_failure(e) + " (" + e.what() + ")";
    }
    long base = 500L << attempt;
    std::uniform_int_distribution<long> jitter(base / 2, base + base / 2);
    long delay = jitter(rng);
    if (retry_after_ms > delay) delay = retry_after_ms + jitter(rng) / 4;
    if (options_.notice)
      options_.notice(why + "; retrying in " + std::to_string(delay) + " ms (" + std::to_string(attempt + 1) + "/" +
                    std::to_string(options_.retries) + ")");
    options_.sleep_ms(delay);
  }
}

std::string AdapterClient::scrub(std::string message) const {
  // What an adapter (or a proxy in front of it) may echo back: the request's
  // Authorization header, the password of a token request.
  std::vector<std::string> secrets = secrets_;
  if (!auth_.password.empty()) {
    secrets.push_back(auth_.password);
    secrets.push_back(base64::encode(auth_.username + ":" + auth_.password));
  }
  if (!auth_.token.empty()) secrets.push_back(auth_.token);
  // Longest first, so that a secret holding another is replaced whole.
  std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& s : secrets)
    if (s.size() >= 4) message = text::replace_all(message, s, "[redacted]");
  return message;
}

void AdapterClient::fail_status(const net::HttpResponse& res, const std::string& action) const {
  std::string msg = scrub(body_message(res.body));
  std::string where = " (" + target_.label + ")";
  switch (res.status) {
    case 401:
    case 403: {
      bool named = target_.label.rfind("http://", 0) != 0 && target_.label.rfind("https://", 0) != 0;
      std::string hint;
      if (auth_.origin.rfind("PORTICO_", 0) == 0)
        hint = "the credentials came from " + auth_.origin + " in the environment, which take precedence over " +
               (named ? "a stored login: check them, or unset them to use 'portico login " + target_.label + "'"
                      : "anything else: check them");
      else if (named)
        hint = "run 'portico login " + target_.label + "', or set PORTICO_USERNAME and PORTICO_PASSWORD";
      else
        hint = "set PORTICO_USERNAME and PORTICO_PASSWORD (or PORTICO_TOKEN)";
      throw Error(ExitCode::Auth,
                  action + " failed: the adapter refused the credentials" + where + (msg.empty() ? "" : ": " + msg),
                  hint);
    }
    case 500:
      if (msg.empty())
        throw Error(ExitCode::Refused, action + " failed: the adapter answered 500 with no reason" + where,
                    "run 'portico validate' on the project, and read the adapter's log");
      throw Error(ExitCode::Refused, action + " failed: the adapter rejected it" + where + ": " + msg);
    case 413:
      throw Error(ExitCode::Refused,
                  action + " failed: the adapter refused the upload as too large (413)" +
                      (upload_bytes_ ? ": the archive is " + std::to_string(upload_bytes_) + " bytes" : std::string()) +
                      where + (msg.empty() ? "" : ": " + msg),
                  "the adapter's upload limit is smaller than the archive: leave large documentation out of the "
                  "project (Docs/), or raise the limit (portico gateway --max-upload BYTES; Choreo Connect: the "
                  "adapter's and router's request size limits)");
    case 502:
    case 503:
    case 504:
      throw Error(ExitCode::Network, action + " failed: the adapter answered " + std::to_string(res.status) +
                                         " after retries" + where + (msg.empty() ? "" : ": " + msg));
    default:
      throw Error(ExitCode::Refused, action + " failed: the adapter answered " + std::to_string(res.status) + where +
                                         (msg.empty() ? "" : ": " + msg));
  }
}

namespace {
// The adapter's parameter patterns (adapterAPI.yaml), checked before sending.
bool chars_ok(std::string_view s, std::string_view extra, bool digits = true) {
  for (char c : s) {
    bool ok = std::isalpha(static_cast<unsigned char>(c)) || (digits && std::isdigit(static_cast<unsigned char>(c))) ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}
}  // namespace

Token AdapterClient::login(const std::string& username, const std::string& password) {
  for (const auto* v : {&username, &password})
    if (v->size() > 100 || !chars_ok(*v, "_~.@-"))
      throw Error(ExitCode::Auth,
                  "the adapter's token endpoint takes only user names and passwords of at most 100 letters, digits and _~.@-",
                  "use Basic authentication instead: set PORTICO_USERNAME and PORTICO_PASSWORD");
  secrets_.push_back(password);
  secrets_.push_back(base64::encode(username + ":" + password));
  net::HttpRequest req;
  req.method = "POST";
  req.url = target_.base_url + "/oauth2/token";
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = nlohmann::json{{"username", username}, {"password", password}}.dump();
  net::HttpResponse res = send(req, false);
  if (res.status != 200) fail_status(res, "login");
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j.contains("accessToken") || !j["accessToken"].is_string())
    throw Error(ExitCode::Refused, "login failed: the adapter's answer has no accessToken");
  Token t{j["accessToken"], 0};
  t.expires = token_expiry(t.token);
  return t;
}

void AdapterClient::deploy(const std::string& zip_path, bool override, const std::string& name,
                           const std::string& version) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = target_.base_url + "/apis" + (override ? "?override=true" : "");
  req.file_part_name = "file";
  req.file_path = zip_path;
  req.file_name = name + ".zip";
  {
    std::error_code ec;
    auto n = std::filesystem::file_size(zip_path, ec);
    upload_bytes_ = ec ? 0 : static_cast<std::size_t>(n);
  }
  req.progress = options_.progress;
  bool ambiguous = false;
  net::HttpResponse res;
  try {
    res = send(req, true, &ambiguous);
  } catch (const Error& e) {
    // A timeout or a lost answer: the adapter may have taken the upload.
    if (!ambiguous || e.code() != ExitCode::Network) throw;
    throw Error(ExitCode::Network,
                std::string(e.what()) + "; the upload may have reached the adapter, so the deploy may still have been applied",
                "check with 'portico list -e " + target_.label + "' before deploying again (with --override if " +
                    name + " " + version + " is listed)");
  }
  if (res.status == 200) return;
  if (res.status == 409) {
    bool exists = false;
    for (const auto& a : list())
      if (a.name == name && a.version == version) exists = true;
    // An earlier attempt whose answer was lost deployed it after all.
    if (exists && ambiguous) return;
    if (exists && !override)
      throw Error(ExitCode::Refused,
                  "deploy refused (409): " + name + ":" + version + " is already deployed on " + target_.label,
                  "deploy with --override to update it");
    throw Error(ExitCode::Refused,
                "deploy refused (409): another API already uses this API's base path on " + target_.label +
                    (res.body.empty() ? "" : ": " + scrub(body_message(res.body))),
                "--override does not help here: change the base path, or undeploy the other API");
  }
  fail_status(res, "deploy");
}


std::vector<ApiInfo> AdapterClient::list(const std::string& query, long limit, std::size_t* total) {
  if (query.size() > 9 || !chars_ok(query, ":", false))
    throw Error(ExitCode::Usage, "--query '" + query + "' is not a filter the adapter takes (at most 9 letters and ':')",
                "for example --query type:http or --query type:ws");
  if (limit < 0 || limit > 100000000) throw Error(ExitCode::Usage, "--limit takes a number from 1 to 100000000");
  std::vector<std::pair<std::string, std::string>> params;
  if (!query.empty()) params.emplace_back("query", query);
  if (limit > 0) params.emplace_back("limit", std::to_string(limit));
  net::HttpRequest req;
  req.url = target_.base_url + "/apis" + query_string(params);
  net::HttpResponse res = send(req, true);
  if (res.status != 200) fail_status(res, "list");
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j.contains("list") || !j["list"].is_array())
    throw Error(ExitCode::Refused, "list failed: the adapter's answer is not an API list");
  std::vector<ApiInfo> out;
  // A field that is absent or not a string reads as "" (value() would throw).
  auto field = [](const nlohmann::json& item, const char* key) -> std::string {
    auto it = item.find(key);
    return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const auto& item : j["list"]) {
    if (!item.is_object()) throw Error(ExitCode::Refused, "list failed: the adapter's answer is not an API list");
    ApiInfo a;
    a.name = field(item, "apiName");
    a.version = field(item, "version");
    a.type = field(item, "apiType");
    a.context = field(item, "context");
    a.vhost = field(item, "vhost");
    if (item.contains("gateway-envs") && item["gateway-envs"].is_array())
      for (const auto& e : item["gateway-envs"])
        if (e.is_string()) a.environments.push_back(e);
    out.push_back(std::move(a));
  }
  if (total)
    *total = j.contains("total") && j["total"].is_number_unsigned() ? j["total"].get<std::size_t>() : out.size();
  return out;
}

void AdapterClient::undeploy(const std::string& name, const std::string& version, const std::string& vhost,
                             const std::vector<std::string>& environments) {
  if (name.size() < 3 || name.size() > 255 || !chars_ok(name, "_~.-"))
    throw Error(ExitCode::Usage, "API name '" + name + "' cannot be undeployed: the adapter takes names matching ^[a-zA-Z0-9_~.-]{3,255}$");
  if (version.empty() || version.size() > 15 || !chars_ok(version, "_.-"))
    throw Error(ExitCode::Usage, "API version '" + version + "' does not match the adapter's ^[a-zA-Z0-9_.-]{1,15}$");
  if (vhost.size() > 255 || !chars_ok(vhost, ".-*"))
    throw Error(ExitCode::Usage, "--vhost '" + vhost + "' is not a host name");
  for (const auto& e : environments)
    if (e.empty() || !chars_ok(e, "_ .-"))
      throw Error(ExitCode::Usage, "--gateway-env '" + e + "' is not a gateway environment name");
  std::vector<std::pair<std::string, std::string>> params{{"apiName", name}, {"version", version}};
  if (!vhost.empty()) params.emplace_back("vhost", vhost);
  if (!environments.empty()) {
    std::string envs;
    for (const auto& e : environments) envs += (envs.empty() ? "" : ":") + e;
    params.emplace_back("environments", envs);
  }
  net::HttpRequest req;
  req.method = "DELETE";
  req.url = target_.base_url + "/apis" + query_string(params);
  net::HttpResponse res = send(req, true);
  if (res.status == 200) return;
  if (res.status == 404)
    throw Error(ExitCode::Refused, name + ":" + version + " is not deployed on " + target_.label,
                "'portico list -e " + target_.label + "' shows what is deployed");
  fail_status(res, "undeploy");
}

}  // namespace portico::client

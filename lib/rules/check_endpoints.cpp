// Endpoint blocks (root, path items, the root x-wso2-endpoints list) and
// every URL in them.
#include <map>

#include "endpoints/url.hpp"
#include "rules/context.hpp"
#include "util/text.hpp"

namespace portico::rules {

namespace {

constexpr std::string_view kProd = "x-wso2-production-endpoints";
constexpr std::string_view kSand = "x-wso2-sandbox-endpoints";
constexpr std::string_view kList = "x-wso2-endpoints";
constexpr std::string_view kRefPrefix = "#/x-wso2-endpoints/";

std::string join(const std::string& ptr, std::string_view key) {
  return ptr + "/" + doc::Pointer::escape(key);
}
std::string join(const std::string& ptr, std::size_t i) { return ptr + "/" + std::to_string(i); }

bool is_number(const doc::Node* n) { return n && n->is_number(); }

std::string what(const doc::Node* n) {
  if (n->is_string()) return "the string " + text::quote(n->text);
  if (n->is_scalar()) return "a " + std::string(doc::to_string(n->kind));
  return "a " + std::string(doc::to_string(n->kind));
}

class BlockChecker {
 public:
  explicit BlockChecker(const Context& c) : c_(c) {}

  // The value of a production/sandbox key: a block or a reference.
  void check_value(const doc::Node* key, const doc::Node* value, const std::string& ptr) {
    if (value->is_string()) {
      const std::string& t = value->text;
      if (t.rfind(kRefPrefix, 0) != 0) {
        c_.emit("endpoint-ref-invalid", key, ptr,
                "'" + key->text + "' is the string " + text::quote(t) +
                    ", not a reference of the form '#/x-wso2-endpoints/<name>': the gateway rejects it",
                "write '#/x-wso2-endpoints/<name>', or an inline block with 'urls'");
      } else if (!endpoints::find_named_endpoints(c_.root(), t.substr(kRefPrefix.size()))) {
        c_.emit("endpoint-ref-invalid", key, ptr,
                "'" + t + "' names no entry of the root 'x-wso2-endpoints' list: the gateway rejects it",
                "add '- " + t.substr(kRefPrefix.size()) + ": {urls: [...]}' under the root 'x-wso2-endpoints'");
      }
      return;
    }
    if (!value->is_map()) {
      c_.emit("endpoints-not-map", key, ptr,
              "'" + key->text + "' is " + what(value) +
                  ", not a mapping with 'urls' or a '#/x-wso2-endpoints/<name>' reference",
              "write it as a mapping: urls: [...], type: failover");
      return;
    }
    check_block(key, value, ptr);
  }

  void check_block(const doc::Node* key, const doc::Node* block, const std::string& ptr) {
    const doc::Node* urls = nullptr;
    long ui = block->find_index("urls");
    std::size_t url_count = 0;
    if (ui < 0) {
      c_.emit("urls-missing", key, ptr, "the endpoint block '" + key->text + "' has no 'urls': the gateway rejects it",
              "add urls: [http://host:port/path, ...]");
    } else {
      const doc::Node* ukey = block->key(static_cast<std::size_t>(ui));
      urls = block->value(static_cast<std::size_t>(ui));
      std::string uptr = join(ptr, "urls");
      if (!urls->is_seq()) {
        c_.emit("urls-not-list", value_pos(ukey, urls), uptr,
                "'urls' is " + what(urls) + ", not a list of URLs",
                urls->is_string() ? "write it as a list: urls: [\"" + urls->text + "\"]" : "");
        urls = nullptr;
      } else if (urls->kids.empty()) {
        c_.emit("urls-empty", urls, uptr, "'urls' is an empty list: the endpoint has no backend");
      } else {
        url_count = urls->kids.size();
        for (std::size_t i = 0; i < urls->kids.size(); ++i) {
          const doc::Node* u = urls->kids[i];
          if (!u->is_string()) {
            c_.emit("url-not-string", u, join(uptr, i),
                    "URL " + std::to_string(i + 1) + " is " + what(u) + ", not a string",
                    u->is_scalar() ? "quote it" : "");
            continue;
          }
          check_url(c_, u, join(uptr, i), c_.doc);
        }
        check_list(urls, uptr);
      }
    }
    check_type(key, block, ptr, url_count);
    check_advance(block, ptr);
    check_security(block, ptr);
  }

  // failover-duplicate-url within one list (which lists the gateway drops is
  // check_routing's, from the gateway model).
  void check_list(const doc::Node* urls, const std::string& uptr) {
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < urls->kids.size(); ++i) {
      const doc::Node* u = urls->kids[i];
      if (!u->is_string()) continue;
      endpoints::Url p = endpoints::parse_url(u->text);
      if (!p.ok()) continue;  // url-invalid says enough
      std::string dk(endpoints::duplicate_key(u->text));
      auto [it, fresh] = seen.emplace(dk, i);
      if (!fresh)
        c_.emit("failover-duplicate-url", u, join(uptr, i),
                "URL " + std::to_string(i + 1) + " repeats URL " + std::to_string(it->second + 1) +
                    " (" + dk + "): the gateway would fail over, or balance, to the same backend",
                "remove it, or replace it with a different backend");
    }
  }

  void check_type(const doc::Node* key, const doc::Node* block, const std::string& ptr,
                  std::size_t url_count) {
    long ti = block->find_index("type");
    if (ti < 0) {
      if (url_count >= 2)
        c_.emit("type-missing", key, ptr,
                "'" + key->text + "' lists " + std::to_string(url_count) +
                    " URLs and no 'type': the gateway load-balances round-robin between them",
                "add 'type: failover' if failover was meant");
      return;
    }
    const doc::Node* tk = block->key(static_cast<std::size_t>(ti));
    const doc::Node* t = block->value(static_cast<std::size_t>(ti));
    std::string tptr = join(ptr, "type");
    const doc::Node* at = value_pos(tk, t);
    if (!t->is_string()) {
      c_.emit("type-unknown", at, tptr,
              "type is " + what(t) + ", not a string: the gateway load-balances round-robin",
              "write 'type: failover' or 'type: loadbalance'");
    } else {
      const std::string& v = t->text;
      if (v.rfind("failover", 0) == 0) {
        if (v != "failover")
          c_.emit("type-unknown", at, tptr,
                  "type " + text::quote(v) + " is not 'failover', but the gateway fails over because it starts with 'failover'",
                  "write 'type: failover'");
      } else if (text::iequals(text::trim(v), "failover")) {
        c_.emit("failover-type-case", at, tptr,
                "type " + text::quote(v) +
                    " is not 'failover' (the gateway compares case-sensitively): it silently load-balances round-robin instead",
                "write 'type: failover' in lower case");
      } else if (v != "loadbalance" && v != "load_balance" && v != "http") {
        c_.emit("type-unknown", at, tptr,
                "unknown type " + text::quote(v) + ": the gateway load-balances round-robin",
                "use 'failover' or 'loadbalance'");
      }
    }
    if (endpoints::is_failover_type(t) && url_count == 1)
      c_.emit("failover-single-url", at, tptr,
              "a failover list with one URL: there is nothing to fail over to, and the gateway configures no health check",
              "add a backup URL, or drop 'type: failover'");
  }

  // A number the gateway can decode (YAML/JSON number, not quoted).
  bool number_or_flag(const doc::Node* key, const doc::Node* v, const std::string& ptr,
                      const std::string& name) {
    if (is_number(v)) return true;
    c_.emit("advance-config-invalid", value_pos(key, v), ptr,
            name + " is " + what(v) + ", not a number: the adapter rejects the API (500)",
            v->is_string() ? "remove the quotes" : "");
    return false;
  }

  void check_advance(const doc::Node* block, const std::string& ptr) {
    long ai = block->find_index("advanceEndpointConfig");
    if (ai < 0) return;
    const doc::Node* ak = block->key(static_cast<std::size_t>(ai));
    const doc::Node* a = block->value(static_cast<std::size_t>(ai));
    std::string aptr = join(ptr, "advanceEndpointConfig");
    if (!a->is_map()) {
      c_.emit("advance-config-invalid", value_pos(ak, a), aptr,
              "advanceEndpointConfig is " + what(a) + ", not a mapping: the adapter rejects the API (500)");
      return;
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
      const doc::Node* k = a->key(i);
      const doc::Node* v = a->value(i);
      std::string p = join(aptr, k->text);
      if (k->text == "timeoutInMillis") {
        if (!number_or_flag(k, v, p, "timeoutInMillis")) continue;
        double ms = v->number();
        if (ms < 0)
          c_.emit("advance-config-invalid", v, p, "timeoutInMillis is negative: the adapter rejects the API (500)");
        else if (ms > 60000)
          c_.emit("advance-config-range", v, p,
                  "timeoutInMillis " + v->text + " is above 60000: the gateway clamps it to 60000 ms");
      } else if (k->text == "retryConfig") {
        check_retry(k, v, p);
      } else if (k->text == "circuitBreakers") {
        check_breakers(k, v, p);
      }
    }
  }

  void check_retry(const doc::Node* k, const doc::Node* r, const std::string& p) {
    if (!r->is_map()) {
      c_.emit("advance-config-invalid", value_pos(k, r), p,
              "retryConfig is " + what(r) + ", not a mapping: the adapter rejects the API (500)");
      return;
    }
    if (long ci = r->find_index("count"); ci >= 0) {
      const doc::Node* ck = r->key(static_cast<std::size_t>(ci));
      const doc::Node* cv = r->value(static_cast<std::size_t>(ci));
      std::string cp = join(p, "count");
      if (number_or_flag(ck, cv, cp, "retryConfig.count")) {
        double n = cv->number();
        if (n < 0 || n > 5)
          c_.emit("advance-config-range", cv, cp,
                  "retryConfig.count " + cv->text + " is outside 0..5: the gateway resets it to 5");
      }
    }
    if (long si = r->find_index("statusCodes"); si >= 0) {
      const doc::Node* sk = r->key(static_cast<std::size_t>(si));
      const doc::Node* sv = r->value(static_cast<std::size_t>(si));
      std::string sp = join(p, "statusCodes");
      if (!sv->is_seq()) {
        c_.emit("advance-config-invalid", value_pos(sk, sv), sp,
                "retryConfig.statusCodes is " + what(sv) + ", not a list: the adapter rejects the API (500)");
        return;
      }
      for (std::size_t i = 0; i < sv->kids.size(); ++i) {
        const doc::Node* code = sv->kids[i];
        std::string ip = join(sp, i);
        if (!number_or_flag(code, code, ip, "status code " + std::to_string(i + 1))) continue;
        double n = code->number();
        if (n < 0)
          c_.emit("advance-config-invalid", code, ip,
                  "status code " + code->text + " is negative: the adapter rejects the API (500)");
        else if (n < 401 || n > 598)
          c_.emit("advance-config-range", code, ip,
                  "status code " + code->text + " is outside 401..598: the gateway drops it (with none left it retries on 504)");
      }
    }
  }

  void check_breakers(const doc::Node* k, const doc::Node* b, const std::string& p) {
    if (!b->is_map()) {
      c_.emit("advance-config-invalid", value_pos(k, b), p,
              "circuitBreakers is " + what(b) + ", not a mapping: the adapter rejects the API (500)");
      return;
    }
    for (std::size_t i = 0; i < b->size(); ++i) {
      const doc::Node* key = b->key(i);
      const std::string& name = key->text;
      if (name != "maxConnections" && name != "maxRequests" && name != "maxPendingRequests" &&
          name != "maxRetries" && name != "maxConnectionPools")
        continue;
      const doc::Node* v = b->value(i);
      std::string vp = join(p, name);
      if (!number_or_flag(key, v, vp, "circuitBreakers." + name)) continue;
      if (v->number() < 1)
        c_.emit("advance-config-range", v, vp,
                "circuitBreakers." + name + " " + v->text + " is below 1: the gateway applies no limit");
    }
  }

  void check_security(const doc::Node* block, const std::string& ptr) {
    long si = block->find_index("securityConfig");
    if (si < 0) return;
    const doc::Node* sk = block->key(static_cast<std::size_t>(si));
    const doc::Node* s = block->value(static_cast<std::size_t>(si));
    std::string sp = join(ptr, "securityConfig");
    if (!s->is_map()) {
      c_.emit("security-config-incomplete", sk, sp,
              "securityConfig is " + what(s) + ", not a mapping: the gateway ignores it");
      return;
    }
    const doc::Node* type = s->get("type");
    if (!type || type->is_null())
      c_.emit("security-config-invalid", sk, sp,
              "securityConfig has no type: the adapter rejects the API (500); the only type it takes is BASIC",
              "add 'type: BASIC'");
    else if (!(type->is_string() && text::iequals(type->text, "BASIC")))
      c_.emit("security-config-invalid", value_pos(s->get_key("type"), type), join(sp, "type"),
              "securityConfig.type is " + what(type) + ": the adapter rejects the API (500); it supports only BASIC",
              "write 'type: BASIC'");
    const doc::Node* user = s->get("username");
    if (!user || user->is_null())
      c_.emit("security-config-incomplete", sk, sp,
              "securityConfig has no username: credentials can then come only from the adapter's environment");
    const doc::Node* pw = s->get("password");
    if (pw && pw->is_scalar() && !pw->is_null() && !pw->text.empty())
      c_.emit("security-config-plaintext", pw, join(sp, "password"),
              "a literal backend password: it ends up in version control and in the deployed archive",
              "leave it out and set the adapter's endpoint credential environment variables instead");
  }

 private:
  const Context& c_;
};

}  // namespace

void check_url(const Context& c, const doc::Node* node, const std::string& ptr, const doc::Document& in) {
  using endpoints::Url;
  Url u = endpoints::parse_url(node->text);
  if (!u.ok()) {
    c.emit("url-invalid", node, ptr,
           "invalid endpoint URL " + text::quote(node->text) + ": " + u.why + "; the adapter rejects it",
           "write it as http://host:port/path", &in);
    return;
  }
  if (!u.scheme_given) {
    c.emit("url-scheme-missing", node, ptr,
           "endpoint URL " + text::quote(node->text) + " has no scheme: the gateway assumes http://",
           "write " + u.text, &in);
  } else if (!u.scheme_supported(c.websocket())) {
    std::string lower = text::to_lower(u.scheme);
    std::string hint = (lower == "http" || lower == "https") ? "write the scheme in lower case: " + lower + "://"
                                                             : "use http:// or https://";
    c.emit("url-scheme", node, ptr,
           "endpoint URL scheme '" + u.scheme + "' is not supported: the gateway accepts only http and https" +
               std::string(c.websocket() ? " (ws and wss for WebSocket APIs)" : "") + " (case-sensitive)",
           hint, &in);
  }
  if (!u.host_valid()) {
    std::string why = u.host.empty() ? "an empty host" : "host '" + u.host + "'";
    c.emit("url-host", node, ptr,
           "endpoint URL " + text::quote(node->text) + " has " + why +
               " that the gateway rejects (letters, digits, '-' and '.', at least two characters; no '_', IPv6 literals or templates)",
           "", &in);
  }
  if (!u.port_text.empty() && (u.port < 1 || u.port > 65535))
    c.emit("url-port", node, ptr, "endpoint URL port " + u.port_text + " is outside 1..65535", "", &in);
  if (u.has_query || u.has_fragment || u.has_userinfo) {
    std::string part = u.has_userinfo ? "user-info" : u.has_query ? "query string" : "fragment";
    c.emit("url-extra", node, ptr,
           "endpoint URL " + text::quote(node->text) + " has a " + part + ": the gateway drops it",
           u.has_userinfo ? "use securityConfig for backend credentials" : "", &in);
  }
}

void check_endpoints(const Context& c) {
  const doc::Node* root = c.root();
  if (!root || !root->is_map()) return;
  BlockChecker bc(c);

  // The root list of named blocks.
  if (long li = root->find_index(kList); li >= 0) {
    const doc::Node* lk = root->key(static_cast<std::size_t>(li));
    const doc::Node* list = root->value(static_cast<std::size_t>(li));
    std::string lp = "/" + std::string(kList);
    if (!list->is_seq()) {
      c.emit("endpoints-not-map", lk, lp,
             "x-wso2-endpoints is " + what(list) + ", not a list of named endpoint blocks",
             "write it as a list: - my-endpoints: {urls: [...]}");
    } else {
      for (std::size_t i = 0; i < list->kids.size(); ++i) {
        const doc::Node* entry = list->kids[i];
        std::string ep = join(lp, i);
        if (!entry->is_map()) {
          c.emit_as("endpoints-not-map", Severity::Warning, entry, ep,
                    "x-wso2-endpoints item " + std::to_string(i + 1) + " is " + what(entry) +
                        ", not a mapping (name: block): the gateway skips it",
                    "write it as '- name: {urls: [...]}'");
          continue;
        }
        // Every key of the entry is a named list.
        for (std::size_t k = 0; k < entry->size(); ++k) {
          const doc::Node* nk = entry->key(k);
          const doc::Node* v = entry->value(k);
          if (!nk->is_scalar()) continue;
          std::string np = join(ep, nk->text);
          if (v->is_string()) {
            c.emit("endpoints-not-map", nk, np,
                   "x-wso2-endpoints entry '" + nk->text +
                       "' is a string: references are allowed only as the value of x-wso2-production-endpoints or x-wso2-sandbox-endpoints");
          } else if (!v->is_map()) {
            c.emit("endpoints-not-map", nk, np,
                   "x-wso2-endpoints entry '" + nk->text + "' is " + what(v) +
                       ", not an endpoint block: the adapter rejects the API (500)");
          } else {
            bc.check_block(nk, v, np);
          }
        }
      }
    }
  }

  for (auto key : {kProd, kSand}) {
    long i = root->find_index(key);
    if (i >= 0)
      bc.check_value(root->key(static_cast<std::size_t>(i)), root->value(static_cast<std::size_t>(i)),
                     "/" + std::string(key));
  }
  const doc::Node* paths = root->get("paths");
  if (!paths || !paths->is_map()) return;
  for (std::size_t p = 0; p < paths->size(); ++p) {
    const doc::Node* pk = paths->key(p);
    const doc::Node* item = paths->value(p);
    if (!pk->is_scalar() || pk->text.rfind("/", 0) != 0 || !item->is_map()) continue;
    for (auto key : {kProd, kSand}) {
      long i = item->find_index(key);
      if (i >= 0)
        bc.check_value(item->key(static_cast<std::size_t>(i)), item->value(static_cast<std::size_t>(i)),
                       "/paths/" + doc::Pointer::escape(pk->text) + "/" + std::string(key));
    }
  }
}

}  // namespace portico::rules

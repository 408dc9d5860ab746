// extension-misplaced, extension-unknown: one walk over the whole tree.
#include <array>

#include "rules/context.hpp"
#include "util/text.hpp"

namespace portico::rules {

namespace {

constexpr std::string_view kProd = "x-wso2-production-endpoints";
constexpr std::string_view kSand = "x-wso2-sandbox-endpoints";
constexpr std::string_view kList = "x-wso2-endpoints";

constexpr std::array<std::string_view, 18> kKnown{
    "x-wso2-production-endpoints", "x-wso2-sandbox-endpoints", "x-wso2-endpoints",
    "x-wso2-basePath", "x-wso2-cors", "x-wso2-disable-security", "x-wso2-auth-header",
    "x-wso2-api-key-header", "x-wso2-throttling-tier", "x-wso2-request-interceptor",
    "x-wso2-response-interceptor", "x-wso2-application-security", "x-wso2-transports",
    "x-wso2-mutual-ssl", "x-wso2-http2-backend-enabled", "x-wso2-pass-request-payload-to-enforcer",
    "x-wso2-label", "x-wso2-mock-response"};

constexpr std::array<std::string_view, 8> kMethods{"get", "put", "post", "delete",
                                                   "options", "head", "patch", "trace"};

enum class Where { Root, Paths, PathItem, Operation, Other };

std::string normalise(std::string_view k) {
  std::string n = text::to_lower(k);
  for (auto& ch : n)
    if (ch == '_') ch = '-';
  return n;
}

bool segments_are_prefixes(std::string_view key, std::string_view known) {
  auto a = text::split(key, '-');
  auto b = text::split(known, '-');
  if (a.size() > b.size() || a.size() < 3) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].empty() || b[i].substr(0, a[i].size()) != a[i]) return false;
  return true;
}

// The known extension `key` is a misspelling of, or empty.
std::string_view near_known(std::string_view key) {
  // Most keys of a large document are not extensions: reject them cheaply.
  if (key.size() < 6 || (key[0] != 'x' && key[0] != 'X') || (key[1] != '-' && key[1] != '_') ||
      (key[2] != 'w' && key[2] != 'W'))
    return {};
  for (auto k : kKnown)
    if (k == key) return {};
  std::string n = normalise(key);
  if (n.rfind("x-wso2-", 0) != 0 && n.rfind("x-wso-", 0) != 0) return {};
  std::string_view best;
  std::size_t best_d = 4;
  for (auto k : kKnown) {
    std::string nk = normalise(k);
    std::size_t d = text::edit_distance(n, nk, 3);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  if (!best.empty()) return best;
  for (auto k : kKnown)
    if (segments_are_prefixes(n, normalise(k))) return k;
  return {};
}

class Walker {
 public:
  explicit Walker(const Context& c) : c_(c) {}

  void walk(const doc::Node* n, Where where, const std::string& parent_name) {
    if (n->is_seq()) {
      for (std::size_t i = 0; i < n->kids.size(); ++i) {
        doc::PointerScope s(ptr_, i);
        walk(n->kids[i], Where::Other, parent_name);
      }
      return;
    }
    if (!n->is_map()) return;
    for (std::size_t i = 0; i < n->size(); ++i) {
      const doc::Node* k = n->key(i);
      if (!k->is_scalar()) continue;
      doc::PointerScope s(ptr_, std::string_view(k->text));
      check_key(k, where, parent_name);
      walk(n->value(i), child_where(where, k->text), k->text);
    }
  }

 private:
  static Where child_where(Where w, const std::string& key) {
    switch (w) {
      case Where::Root: return key == "paths" ? Where::Paths : Where::Other;
      case Where::Paths: return key.rfind("/", 0) == 0 ? Where::PathItem : Where::Other;
      case Where::PathItem:
        for (auto m : kMethods)
          if (m == key) return Where::Operation;
        return Where::Other;
      default: return Where::Other;
    }
  }

  void check_key(const doc::Node* k, Where where, const std::string& parent) {
    const std::string& key = k->text;
    bool block = key == kProd || key == kSand;
    if (block || key == kList) {
      bool ok = where == Where::Root || (block && where == Where::PathItem);
      if (!ok) misplaced(k, where, parent);
      return;
    }
    std::string_view near = near_known(key);
    if (near.empty()) return;
    c_.emit("extension-unknown", k, ptr_.str(),
            "unknown extension '" + key + "' (did you mean '" + std::string(near) + "'?): the gateway ignores it",
            "did you mean '" + std::string(near) + "'?");
  }

  void misplaced(const doc::Node* k, Where where, const std::string& parent) {
    const std::string& key = k->text;
    std::string msg, hint;
    if (key == kList) {
      msg = "'" + key + "' is read only at the root of the definition: here the gateway ignores it";
      hint = "move it to the root, next to 'paths'";
    } else if (where == Where::Operation) {
      msg = "'" + key + "' under the '" + parent +
            "' operation is silently ignored by the gateway: the operation uses the path or API endpoints";
      hint = "move it up one level, next to '" + parent + ":', to apply it to the whole path item";
    } else if (where == Where::Paths) {
      msg = "'" + key + "' directly under 'paths' is not read by the gateway";
      hint = "move it to the root (API level) or into a path item, next to 'get:'";
    } else {
      msg = "'" + key + "' under '" + parent +
            "' is not read by the gateway: it works only at the root (API level) or on a path item";
      hint = "move it to the root, or into a path item next to 'get:'";
    }
    c_.emit("extension-misplaced", k, ptr_.str(), msg, hint);
  }

  const Context& c_;
  doc::Pointer ptr_;
};

}  // namespace

void check_extensions(const Context& c) {
  if (!c.root()) return;
  Walker(c).walk(c.root(), Where::Root, "");
}

}  // namespace portico::rules

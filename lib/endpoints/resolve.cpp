#include "endpoints/resolve.hpp"

#include <map>

#include "endpoints/url.hpp"
#include "util/text.hpp"

namespace portico::endpoints {

namespace {
constexpr std::string_view kProd = "x-wso2-production-endpoints";
constexpr std::string_view kSand = "x-wso2-sandbox-endpoints";
constexpr std::string_view kList = "x-wso2-endpoints";
constexpr std::string_view kRefPrefix = "#/x-wso2-endpoints/";

std::string str(const doc::Node* n) { return n && n->is_string() ? n->text : ""; }

Endpoint endpoint(const doc::Node* u, std::string pointer) {
  Url parsed = parse_url(u->text);
  return {parsed.text.empty() ? std::string(text::trim(u->text)) : parsed.text, u, std::move(pointer)};
}

std::string join(const std::string& ptr, std::string_view key) { return ptr + "/" + doc::Pointer::escape(key); }

void fill_from_block(Group& g, const doc::Node* block, const std::string& ptr) {
  g.block = block;
  g.type = is_failover_type(block->get("type")) ? GroupType::Failover : GroupType::LoadBalance;
  const doc::Node* urls = block->get("urls");
  if (urls && urls->is_seq())
    for (std::size_t i = 0; i < urls->kids.size(); ++i)
      if (urls->kids[i]->is_string()) g.urls.push_back(endpoint(urls->kids[i], ptr + "/urls/" + std::to_string(i)));
}

// `ptr`: the pointer of the key's value. A reference gets its URLs from the
// named list (filled in once the named lists are read).
Group group_from_value(const doc::Node* key, const doc::Node* value, const doc::Node* root,
                       const doc::Document& d, const std::string& ptr) {
  Group g;
  g.document = &d;
  g.key = key;
  std::string ref;
  const doc::Node* block = resolve_block(value, root, &ref);
  g.ref = ref;
  g.source = ref.empty() ? key->text : std::string(kRefPrefix) + ref;
  if (block && ref.empty()) fill_from_block(g, block, ptr);
  return g;
}

Group group_from_meta(const project::ApiYaml::Endpoints& e, const project::ApiYaml& meta) {
  Group g;
  g.document = &meta.doc();
  g.key = e.key;
  g.source = "api.yaml";
  g.type = e.failovers > 0 ? GroupType::Failover : GroupType::LoadBalance;
  auto pointers = doc::pointers_of(meta.doc().root, e.urls);  // one walk, however many URLs
  for (const doc::Node* u : e.urls)
    if (u->is_string()) g.urls.push_back(endpoint(u, pointers[u]));
  return g;
}

// `owner`: the root or a path item; `ptr`: its pointer.
Group group_from_servers(const doc::Node* owner, const std::vector<const doc::Node*>& usable,
                         const doc::Document& d, const std::string& ptr) {
  Group g;
  g.document = &d;
  g.key = owner->get_key("servers");
  g.source = "servers";
  const doc::Node* all = owner->get("servers");
  std::size_t next = 0;
  for (std::size_t i = 0; i < all->kids.size() && next < usable.size(); ++i)
    if (all->kids[i]->is_map() && all->kids[i]->get("url") == usable[next]) {
      g.urls.push_back({parse_url(usable[next]->text).text, usable[next], ptr + "/servers/" + std::to_string(i) + "/url"});
      ++next;
    }
  return g;
}

// The URLs the adapter turns into hosts: those it can parse. (One it cannot
// parse makes it reject the whole API, which validate reports.)
struct Parsed {
  std::size_t index;
  Url url;
};
std::vector<Parsed> parsed_urls(const Group& g) {
  std::vector<Parsed> out;
  for (std::size_t i = 0; i < g.urls.size(); ++i) {
    Url u = parse_url(g.urls[i].url);
    if (u.ok()) out.push_back({i, std::move(u)});
  }
  return out;
}

bool has_urls(const Group* g) { return g && !parsed_urls(*g).empty(); }

std::string first_path(const Group& g) {
  auto p = parsed_urls(g);
  return p.empty() ? std::string() : std::string(p.front().url.path_key());
}

// The adapter's isSandboxClusterRequired: a sandbox list gets a cluster of
// its own unless there is a production list whose first host and port are
// the same as its own.
bool sandbox_cluster_required(const Group* prod, const Group& sand) {
  if (!prod) return true;
  auto p = parsed_urls(*prod);
  auto s = parsed_urls(sand);
  if (p.empty() || s.empty()) return true;
  return p.front().url.host != s.front().url.host || p.front().url.port != s.front().url.port;
}

// The adapter's processEndpoints check: every URL's path (one trailing '/'
// trimmed) equals `expected`. Marks the group dropped when one does not.
bool check_paths(Group& g, const std::string& expected) {
  auto p = parsed_urls(g);
  bool mixed = false;
  for (const auto& u : p)
    if (u.url.path_key() != p.front().url.path_key()) mixed = true;
  for (const auto& u : p) {
    if (u.url.path_key() == expected) continue;
    g.drop = mixed ? DropReason::MixedPaths : DropReason::ApiPathMismatch;
    g.expected_path = mixed ? std::string(p.front().url.path_key()) : expected;
    // For mixed paths, the first URL that differs from the list's own first.
    for (const auto& v : p)
      if (!mixed || v.url.path_key() != p.front().url.path_key()) {
        g.drop_at = v.index;
        g.found_path = std::string(v.url.path_key());
        break;
      }
    return false;
  }
  return true;
}

std::string shown(const std::string& path) { return path.empty() ? "(none)" : "'" + path + "'"; }

}  // namespace

std::string_view to_string(Environment e) {
  return e == Environment::Production ? "production" : "sandbox";
}
std::string_view to_string(GroupType t) { return t == GroupType::Failover ? "failover" : "loadbalance"; }

std::string Group::scope_name() const {
  switch (scope) {
    case Scope::Api: return "(API)";
    case Scope::Resource: return path;
    case Scope::Named: return "x-wso2-endpoints " + path;
  }
  return path;
}

std::string Group::drop_message() const {
  switch (drop) {
    case DropReason::None: return "";
    case DropReason::MixedPaths:
      return "its URLs do not share one path (" + shown(expected_path) + " and " + shown(found_path) +
             "): the adapter drops the whole list, yet answers 200 to the deploy";
    case DropReason::ApiPathMismatch:
      return "its path " + shown(found_path) + " differs from the API path " + shown(expected_path) +
             (scope == Scope::Named ? "" : " (strict mode: a root x-wso2-endpoints list is built)") +
             ": the adapter drops the list, yet answers 200 to the deploy" +
             (order_dependent ? "; which path is the API path depends on the adapter's map iteration order" : "");
    case DropReason::NamedListDropped:
      return "it names the x-wso2-endpoints list '" + ref + "', which the adapter drops";
  }
  return "";
}

std::string Group::fallback_message() const {
  if (!dropped()) return "";
  std::string env(to_string(environment));
  if (scope == Scope::Named) return "references to it lead to a cluster that does not exist (500)";
  if (fallback == Fallback::Api) return "its traffic goes to the API-level " + env + " list instead";
  if (drop == DropReason::NamedListDropped) return env + " calls get 500: the route names a cluster that does not exist";
  if (scope == Scope::Api) return env + " calls to every resource without a list of its own have no backend";
  return env + " calls have no backend";
}

const Group* Resolution::api_group(Environment e) const {
  for (const auto& g : groups)
    if (g.scope == Scope::Api && g.environment == e) return &g;
  return nullptr;
}

std::vector<const Group*> Resolution::visible() const {
  std::vector<const Group*> out;
  for (const auto& g : groups)
    if (g.scope != Scope::Named) out.push_back(&g);
  return out;
}

bool is_failover_type(const doc::Node* type) {
  return type && type->is_string() && type->text.rfind("failover", 0) == 0;
}

bool is_swagger2(const doc::Node* root) {
  const doc::Node* s = root ? root->get("swagger") : nullptr;
  return s && s->is_string() && s->text == "2.0";
}

const doc::Node* find_named_endpoints(const doc::Node* root, std::string_view name) {
  const doc::Node* list = root ? root->get(kList) : nullptr;
  if (!list || !list->is_seq()) return nullptr;
  const doc::Node* found = nullptr;
  for (const doc::Node* entry : list->kids) {
    if (!entry->is_map()) continue;
    for (std::size_t i = 0; i < entry->size(); ++i)
      if (entry->key(i)->is_scalar() && entry->key(i)->text == name) found = entry->value(i);
  }
  return found;
}

const doc::Node* resolve_block(const doc::Node* value, const doc::Node* root, std::string* ref_name) {
  if (!value) return nullptr;
  if (value->is_map()) return value;
  if (value->is_string() && value->text.rfind(kRefPrefix, 0) == 0) {
    std::string name = value->text.substr(kRefPrefix.size());
    if (ref_name) *ref_name = name;
    const doc::Node* target = find_named_endpoints(root, name);
    return target && target->is_map() ? target : nullptr;
  }
  return nullptr;
}

std::vector<const doc::Node*> usable_servers(const doc::Node* owner, const doc::Node* root) {
  std::vector<const doc::Node*> out;
  const doc::Node* servers = owner && owner->is_map() ? owner->get("servers") : nullptr;
  if (!servers || !servers->is_seq() || is_swagger2(root)) return out;
  for (const doc::Node* s : servers->kids) {
    const doc::Node* u = s->is_map() ? s->get("url") : nullptr;
    if (!u || !u->is_string()) continue;
    Url parsed = parse_url(u->text);
    if (!parsed.ok() || parsed.host.find_first_of("{}") != std::string::npos || parsed.host.empty())
      continue;
    out.push_back(u);
  }
  return out;
}

namespace {

// Name, version and base path (adapter.md section 2).
void identify(Resolution& r, const doc::Document& d, const doc::Node* root, const project::ApiYaml* meta) {
  const doc::Node* info = root ? root->get("info") : nullptr;
  auto pick = [&](Located& out, const doc::Node* meta_node, const doc::Node* info_node, bool strip) {
    if (meta && meta_node && meta_node->is_scalar() && !meta_node->is_null()) {
      out = {meta_node->text, meta_node, &meta->doc(), true};
    } else if (info_node && info_node->is_scalar() && !info_node->is_null()) {
      std::string v = info_node->text;
      if (strip) v = text::replace_all(v, " ", "");
      out = {v, info_node, &d, true};
    }
  };
  const doc::Node* info_map = info && info->is_map() ? info : nullptr;
  pick(r.name, meta ? meta->name : nullptr, info_map ? info_map->get("title") : nullptr, true);
  pick(r.version, meta ? meta->version : nullptr, info_map ? info_map->get("version") : nullptr, false);

  // Base path, last writer wins.
  if (meta && meta->context && meta->context->is_scalar())
    r.basepath = {project::ApiYaml::str(meta->context) + "/" + project::ApiYaml::str(meta->version),
                  meta->context, &meta->doc(), true};
  auto servers = usable_servers(root);
  if (root && is_swagger2(root)) {
    const doc::Node* bp = root->get("basePath");
    r.basepath = {str(bp), bp, &d, bp != nullptr};
  } else if (!servers.empty()) {
    const doc::Node* last = servers.back();
    r.basepath = {parse_url(last->text).path, last, &d, true};
  }
  if (root) {
    const doc::Node* xbp = root->get("x-wso2-basePath");
    if (xbp && xbp->is_string() && !xbp->text.empty()) r.basepath = {xbp->text, xbp, &d, true};
  }
}

// The lists as written, by the precedence of adapter.md section 3.
struct Written {
  std::optional<Group> prod, sand;  // API level
  std::vector<Group> named;
  struct Item {
    const doc::Node* key;
    std::optional<Group> prod, sand;
  };
  std::vector<Item> items;
};

Written read_lists(const doc::Document& d, const doc::Node* root, const project::ApiYaml* meta) {
  Written w;
  const doc::Node* prod = root->get(kProd);
  const doc::Node* sand = root->get(kSand);
  auto servers = usable_servers(root);
  const doc::Node* host = is_swagger2(root) ? root->get("host") : nullptr;
  bool host_set = host && host->is_string() && !host->text.empty();
  bool from_servers = !servers.empty() || host_set;

  if (prod) {
    w.prod = group_from_value(root->get_key(kProd), prod, root, d, join("", kProd));
  } else if (!sand) {
    // A root sandbox extension alone drops every production endpoint.
    if (!servers.empty()) {
      w.prod = group_from_servers(root, servers, d, "");
    } else if (host_set) {
      Group g;
      g.document = &d;
      g.key = root->get_key("host");
      g.source = "host";
      std::string scheme = "http";
      const doc::Node* schemes = root->get("schemes");
      if (schemes && schemes->is_seq() && !schemes->kids.empty() && schemes->kids[0]->is_string())
        scheme = schemes->kids[0]->text;
      g.urls.push_back({scheme + "://" + host->text + str(root->get("basePath")), host, "/host"});
      w.prod = std::move(g);
    } else if (meta && !meta->production.urls.empty()) {
      w.prod = group_from_meta(meta->production, *meta);
    }
  }
  if (sand) {
    w.sand = group_from_value(root->get_key(kSand), sand, root, d, join("", kSand));
  } else if (!from_servers && meta && !meta->sandbox.urls.empty()) {
    // Root servers/host wipe api.yaml's sandbox endpoints.
    w.sand = group_from_meta(meta->sandbox, *meta);
  }
  if (w.prod) w.prod->environment = Environment::Production;
  if (w.sand) w.sand->environment = Environment::Sandbox;

  // The named lists: every key of every mapping entry; the last of a name wins.
  const doc::Node* list = root->get(kList);
  if (list && list->is_seq()) {
    std::map<std::string, std::size_t> by_name;
    for (std::size_t e = 0; e < list->kids.size(); ++e) {
      const doc::Node* entry = list->kids[e];
      if (!entry->is_map()) continue;
      for (std::size_t i = 0; i < entry->size(); ++i) {
        const doc::Node* k = entry->key(i);
        const doc::Node* v = entry->value(i);
        if (!k->is_scalar() || !v->is_map()) continue;
        Group g;
        g.scope = Scope::Named;
        g.path = k->text;
        g.key = k;
        g.document = &d;
        g.source = std::string(kList);
        fill_from_block(g, v, join(join("", kList) + "/" + std::to_string(e), k->text));
        auto [it, fresh] = by_name.emplace(k->text, w.named.size());
        if (fresh)
          w.named.push_back(std::move(g));
        else
          w.named[it->second] = std::move(g);
      }
    }
  }

  const doc::Node* paths = root->get("paths");
  if (paths && paths->is_map()) {
    for (std::size_t i = 0; i < paths->size(); ++i) {
      const doc::Node* k = paths->key(i);
      const doc::Node* item = paths->value(i);
      if (!k->is_scalar() || k->text.empty() || k->text[0] != '/') continue;
      Written::Item it{k, std::nullopt, std::nullopt};
      std::string ip = join("/paths", k->text);
      if (item->is_map()) {
        if (const doc::Node* v = item->get(kProd)) {
          it.prod = group_from_value(item->get_key(kProd), v, root, d, join(ip, kProd));
        } else if (auto ps = usable_servers(item, root); !ps.empty()) {
          // Path-item servers: a load-balanced production list for this resource.
          it.prod = group_from_servers(item, ps, d, ip);
        }
        if (const doc::Node* v = item->get(kSand))
          it.sand = group_from_value(item->get_key(kSand), v, root, d, join(ip, kSand));
      }
      for (auto* g : {&it.prod, &it.sand})
        if (*g) {
          (*g)->scope = Scope::Resource;
          (*g)->path = k->text;
        }
      if (it.prod) it.prod->environment = Environment::Production;
      if (it.sand) it.sand->environment = Environment::Sandbox;
      w.items.push_back(std::move(it));
    }
  }

  // A reference routes to the named list: its type and URLs.
  auto adopt = [&](std::optional<Group>& g) {
    if (!g || g->ref.empty()) return;
    for (const auto& n : w.named)
      if (n.path == g->ref) {
        g->type = n.type;
        g->urls = n.urls;
        g->block = n.block;
      }
  };
  adopt(w.prod);
  adopt(w.sand);
  for (auto& it : w.items) {
    adopt(it.prod);
    adopt(it.sand);
  }
  return w;
}

}  // namespace

// CreateRoutesWithClusters, step by step. A cluster is identified by the
// index of the group it is built from; kNone is the adapter's empty cluster
// name. For a reference, the cluster is the named list's (which may not
// exist when that list is dropped).
Resolution resolve(const doc::Document& d, const project::ApiYaml* meta) {
  Resolution r;
  const doc::Node* root = d.root && d.root->is_map() ? d.root : nullptr;
  identify(r, d, root, meta);
  if (!root) return r;

  Written w = read_lists(d, root, meta);
  auto& groups = r.groups;
  auto add = [&](std::optional<Group>& g) -> std::size_t {
    if (!g) return kNone;
    groups.push_back(std::move(*g));
    return groups.size() - 1;
  };
  std::size_t prod_i = add(w.prod);
  std::size_t sand_i = add(w.sand);
  std::size_t named_first = groups.size();
  std::map<std::string, std::size_t> named;
  for (auto& g : w.named) {
    named[g.path] = groups.size();
    groups.push_back(std::move(g));
  }
  auto named_cluster = [&](const std::string& name) {
    auto it = named.find(name);
    return it == named.end() ? kNone : it->second;
  };
  auto nonempty = [&](std::size_t i) { return i != kNone && has_urls(&groups[i]); };
  auto grp = [&](std::size_t i) -> Group* { return i == kNone ? nullptr : &groups[i]; };

  std::string api_bp, api_bp_sand;
  std::size_t api_prod_cluster = kNone, api_sand_cluster = kNone;
  bool api_prod_present = nonempty(prod_i);

  // 1. API-level production list: its first URL's path is the API path.
  if (api_prod_present) {
    Group& p = groups[prod_i];
    api_bp = first_path(p);
    if (!p.ref.empty()) {
      api_prod_cluster = named_cluster(p.ref);
    } else if (check_paths(p, api_bp)) {
      api_prod_cluster = prod_i;
      p.cluster = true;
    }
  }
  // 2. API-level sandbox list: checked against its own first path.
  if (nonempty(sand_i)) {
    Group& s = groups[sand_i];
    std::string selected = api_bp;
    if (api_bp.empty() && api_prod_cluster == kNone) {
      api_bp = first_path(s);
      selected = api_bp;
    } else if (first_path(groups[prod_i]) != first_path(s)) {
      api_bp_sand = first_path(s);
      selected = api_bp_sand;
    }
    api_sand_cluster = api_prod_cluster;
    if (sandbox_cluster_required(api_prod_present ? grp(prod_i) : nullptr, s)) {
      if (!s.ref.empty())
        api_sand_cluster = named_cluster(s.ref);
      else if ((s.cluster = check_paths(s, selected)))
        api_sand_cluster = sand_i;
      else
        api_sand_cluster = kNone;
    } else {
      s.uses_production_cluster = true;
    }
  }
  // 3. The named lists, against the API path (or, with no API-level
  //    production list, the first one's own path). The adapter walks a Go
  //    map: when the first one fixes the path, the order is not defined.
  bool fixed_by_named = api_bp.empty() && api_prod_cluster == kNone;
  std::size_t named_count = 0;
  std::string first_named_path;
  bool named_paths_differ = false;
  for (std::size_t i = named_first; i < named_first + named.size(); ++i) {
    if (!has_urls(&groups[i])) continue;
    std::string own = first_path(groups[i]);
    if (named_count++ == 0)
      first_named_path = own;
    else if (own != first_named_path)
      named_paths_differ = true;
  }
  for (std::size_t i = named_first; i < named_first + named.size(); ++i) {
    Group& n = groups[i];
    if (!has_urls(&n)) continue;
    if (api_bp.empty() && api_prod_cluster == kNone) api_bp = first_path(n);
    if (check_paths(n, api_bp))
      r.strict = n.cluster = true;
    else if (fixed_by_named && named_paths_differ)
      n.order_dependent = true;
  }
  r.api_path = api_bp;

  // A reference takes the fate of the list it names.
  for (std::size_t i : {prod_i, sand_i})
    if (Group* g = grp(i); g && !g->ref.empty() && !g->dropped()) {
      std::size_t n = named_cluster(g->ref);
      if (n != kNone && groups[n].dropped()) g->drop = DropReason::NamedListDropped;
    }

  // 4-5. Every path item.
  for (auto& item : w.items) {
    std::size_t rp = add(item.prod), rs = add(item.sand);
    Route route;
    route.path = item.key->text;
    route.key = item.key;
    std::size_t cp = api_prod_cluster, cs = api_sand_cluster;
    std::string rbp, rbps;
    bool own_prod = nonempty(rp), own_sand = nonempty(rs);
    if (r.strict || (!own_prod && !own_sand)) {
      rbp = api_bp;
      rbps = api_bp_sand.empty() ? api_bp : api_bp_sand;
    }
    if (own_prod) {
      Group& g = groups[rp];
      std::string prev = rbp;
      if (rbp.empty()) rbp = first_path(g);
      if (!g.ref.empty()) {
        cp = named_cluster(g.ref);
        if (cp != kNone && groups[cp].dropped()) g.drop = DropReason::NamedListDropped;
      } else if (check_paths(g, rbp)) {
        cp = rp;
        g.cluster = true;
      } else {
        cp = api_prod_cluster;
        rbp = prev;
        g.fallback = cp != kNone ? Fallback::Api : Fallback::None;
      }
    }
    if (own_sand) {
      Group& g = groups[rs];
      std::string prev = api_bp_sand.empty() ? api_bp : api_bp_sand;
      if (rbps.empty()) rbps = first_path(g);
      cs = api_sand_cluster;
      if (sandbox_cluster_required(own_prod ? &groups[rp] : nullptr, g)) {
        // A sandbox reference is checked here like an inline list.
        if (check_paths(g, rbps)) {
          cs = rs;
          g.cluster = true;
        } else {
          rbps = prev;
          g.fallback = cs != kNone ? Fallback::Api : Fallback::None;
        }
      } else {
        cs = cp;
        g.uses_production_cluster = true;
      }
    }
    if (!rbp.empty() && rbps.empty()) {
      if (api_bp_sand.empty()) api_bp_sand = api_bp;  // the adapter keeps this for later resources
      rbps = api_bp_sand;
    } else if (rbp.empty() && !rbps.empty()) {
      rbp = api_bp;
    }
    if (cp == api_prod_cluster && cs == api_sand_cluster) rbps = api_bp_sand.empty() ? api_bp : api_bp_sand;
    if (cp != kNone && cp == api_prod_cluster && rbp != api_bp && !rbp.empty()) cp = kNone;
    if (cs != kNone && !api_bp_sand.empty() && cs == api_sand_cluster && rbps != api_bp_sand) cs = kNone;
    route.production = cp;
    route.sandbox = cs;
    route.production_base = rbp;
    route.sandbox_base = rbps;
    r.routes.push_back(std::move(route));
  }
  // The API-level lists keep no fallback: their traffic has nowhere else to go.
  return r;
}

}  // namespace portico::endpoints

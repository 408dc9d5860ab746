#include "endpoints/resolve.hpp"

#include "endpoints/url.hpp"
#include "util/text.hpp"

namespace portico::endpoints {

namespace {
constexpr std::string_view kProd = "x-wso2-production-endpoints";
constexpr std::string_view kSand = "x-wso2-sandbox-endpoints";
constexpr std::string_view kRefPrefix = "#/x-wso2-endpoints/";

std::string str(const doc::Node* n) { return n && n->is_string() ? n->text : ""; }

Group group_from_block(const doc::Node* value, const doc::Node* root, std::string_view key,
                       const doc::Document& d) {
  Group g;
  g.document = &d;
  std::string ref;
  const doc::Node* block = resolve_block(value, root, &ref);
  g.source = ref.empty() ? std::string(key) : std::string(kRefPrefix) + ref;
  if (!block) return g;
  g.type = is_failover_type(block->get("type")) ? GroupType::Failover : GroupType::LoadBalance;
  const doc::Node* urls = block->get("urls");
  if (urls && urls->is_seq())
    for (const doc::Node* u : urls->kids)
      if (u->is_string()) {
        Url parsed = parse_url(u->text);
        g.urls.push_back({parsed.text.empty() ? std::string(text::trim(u->text)) : parsed.text, u});
      }
  return g;
}

Group group_from_meta(const project::ApiYaml::Endpoints& e, const project::ApiYaml& meta) {
  Group g;
  g.document = &meta.doc();
  g.source = "api.yaml";
  g.type = e.failovers > 0 ? GroupType::Failover : GroupType::LoadBalance;
  for (const doc::Node* u : e.urls)
    if (u->is_string()) {
      Url parsed = parse_url(u->text);
      g.urls.push_back({parsed.text.empty() ? std::string(text::trim(u->text)) : parsed.text, u});
    }
  return g;
}

}  // namespace

std::string_view to_string(Environment e) {
  return e == Environment::Production ? "production" : "sandbox";
}
std::string_view to_string(GroupType t) { return t == GroupType::Failover ? "failover" : "loadbalance"; }

const Group* Resolution::api_group(Environment e) const {
  for (const auto& g : groups)
    if (!g.resource && g.environment == e) return &g;
  return nullptr;
}

bool is_failover_type(const doc::Node* type) {
  return type && type->is_string() && type->text.rfind("failover", 0) == 0;
}

bool is_swagger2(const doc::Node* root) {
  const doc::Node* s = root ? root->get("swagger") : nullptr;
  return s && s->is_string() && s->text == "2.0";
}

const doc::Node* find_named_endpoints(const doc::Node* root, std::string_view name) {
  const doc::Node* list = root ? root->get("x-wso2-endpoints") : nullptr;
  if (!list || !list->is_seq()) return nullptr;
  const doc::Node* found = nullptr;
  for (const doc::Node* entry : list->kids)
    if (entry->is_map() && entry->size() == 1 && entry->key(0)->is_scalar() &&
        entry->key(0)->text == name)
      found = entry->value(0);
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

std::vector<const doc::Node*> usable_servers(const doc::Node* root) {
  std::vector<const doc::Node*> out;
  const doc::Node* servers = root ? root->get("servers") : nullptr;
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

Resolution resolve(const doc::Document& d, const project::ApiYaml* meta) {
  Resolution r;
  const doc::Node* root = d.root && d.root->is_map() ? d.root : nullptr;
  const doc::Node* info = root ? root->get("info") : nullptr;

  // Name and version: api.yaml, else info.title without spaces / info.version.
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
  pick(r.version, meta ? meta->version : nullptr, info_map ? info_map->get("version") : nullptr,
       false);

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

  if (!root) return r;

  // API level.
  const doc::Node* prod = root->get(kProd);
  const doc::Node* sand = root->get(kSand);
  const doc::Node* host = is_swagger2(root) ? root->get("host") : nullptr;
  bool from_servers = !servers.empty() || (host && host->is_string() && !host->text.empty());

  if (prod) {
    Group g = group_from_block(prod, root, kProd, d);
    g.environment = Environment::Production;
    r.groups.push_back(std::move(g));
  } else if (!sand) {
    if (from_servers) {
      Group g;
      g.document = &d;
      g.environment = Environment::Production;
      if (!servers.empty()) {
        g.source = "servers";
        for (const doc::Node* s : servers) g.urls.push_back({parse_url(s->text).text, s});
      } else {
        g.source = "host";
        std::string scheme = "http";
        const doc::Node* schemes = root->get("schemes");
        if (schemes && schemes->is_seq() && !schemes->kids.empty() && schemes->kids[0]->is_string())
          scheme = schemes->kids[0]->text;
        g.urls.push_back({scheme + "://" + host->text + str(root->get("basePath")), host});
      }
      r.groups.push_back(std::move(g));
    } else if (meta && !meta->production.urls.empty()) {
      Group g = group_from_meta(meta->production, *meta);
      g.environment = Environment::Production;
      r.groups.push_back(std::move(g));
    }
  }
  if (sand) {
    Group g = group_from_block(sand, root, kSand, d);
    g.environment = Environment::Sandbox;
    r.groups.push_back(std::move(g));
  } else if (!from_servers && meta && !meta->sandbox.urls.empty()) {
    Group g = group_from_meta(meta->sandbox, *meta);
    g.environment = Environment::Sandbox;
    r.groups.push_back(std::move(g));
  }

  // Resource level: path items with their own blocks.
  const doc::Node* paths = root->get("paths");
  if (paths && paths->is_map()) {
    for (std::size_t i = 0; i < paths->size(); ++i) {
      const doc::Node* k = paths->key(i);
      const doc::Node* item = paths->value(i);
      if (!k->is_scalar() || k->text.empty() || k->text[0] != '/' || !item->is_map()) continue;
      for (auto [key, env] : {std::pair{kProd, Environment::Production},
                              std::pair{kSand, Environment::Sandbox}}) {
        const doc::Node* v = item->get(key);
        if (!v) continue;
        Group g = group_from_block(v, root, key, d);
        g.resource = true;
        g.path = k->text;
        g.environment = env;
        r.groups.push_back(std::move(g));
      }
    }
  }
  return r;
}

}  // namespace portico::endpoints

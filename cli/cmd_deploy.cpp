#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "client/prepare.hpp"
#include "endpoints/resolve.hpp"
#include "handlers.hpp"
#include "terminal.hpp"
#include "project/api_yaml.hpp"
#include "rules/validate.hpp"
#include "session.hpp"
#include "util/error.hpp"
#include "util/table.hpp"

namespace fs = std::filesystem;

namespace portico::cli {

namespace {

std::string human_size(std::uintmax_t n) {
  char buf[32];
  if (n < 10 * 1024) std::snprintf(buf, sizeof buf, "%ju bytes", n);
  else if (n < 10 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024 * 1024));
  return buf;
}

// Inputs from this size on get a progress line before each slow step.
constexpr std::uintmax_t kProgressBytes = 1u << 20;

const client::ApiInfo* find_api(const std::vector<client::ApiInfo>& apis, const client::Prepared& p) {
  for (const auto& a : apis)
    if (a.name == p.name && a.version == p.version) return &a;
  return nullptr;
}

}  // namespace

int run_deploy(const Invocation& inv) {
  std::string path = inv.get("PATH", ".");
  bool json = inv.get("format", "human") == "json";
  bool override = inv.flag("override");

  // On a terminal, say what a large input is waiting for (a 37 MB definition
  // takes seconds to parse); never in scripts, where stderr is not a terminal.
  client::Progress progress;
  if (!inv.quiet && is_terminal(stderr))
    progress = [](const std::string& step, std::uintmax_t bytes) {
      if (bytes >= kProgressBytes) std::cerr << "portico: " << step << " (" << human_size(bytes) << ")...\n" << std::flush;
    };
  client::Prepared p = client::prepare(path, inv.flag("skip-validation"), progress);
  if (!p.findings.empty()) {
    rules::Result r;
    r.findings = p.findings;
    r.documents = p.documents;
    r.files = p.files;
    print_findings(r, std::cerr);
  }
  if (p.blocked) {
    std::cerr << "portico: deploy stopped: validation found errors; nothing was uploaded\n";
    return static_cast<int>(ExitCode::Findings);
  }
  if (auto keep = inv.get("keep-archive"); !keep.empty()) {
    std::error_code ec;
    fs::copy_file(p.zip, keep, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(ExitCode::Input, "--keep-archive: cannot write " + keep + ": " + ec.message());
  }

  Session s(inv);
  if (inv.flag("dry-run")) {
    auto apis = s.client().list();
    const client::ApiInfo* existing = find_api(apis, p);
    std::string action = !existing ? "create" : override ? "update (override)" : "update: needs --override";
    if (json) {
      nlohmann::ordered_json j{{"dry_run", true},
                               {"target", s.target().label},
                               {"adapter", s.target().base_url},
                               {"source", client::to_string(p.kind)},
                               {"name", p.name},
                               {"version", p.version},
                               {"context", p.basepath},
                               {"archive", {{"entries", p.package.entries}, {"bytes", p.package.size}}},
                               {"exists", existing != nullptr},
                               {"action", action}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << "Plan (dry run, nothing uploaded)\n"
                << text::render_table({"", ""}, {{"target", s.target().label + " (" + s.target().base_url + ")"},
                                                 {"source", std::string(client::to_string(p.kind)) + " " + path},
                                                 {"API", p.name + " " + p.version},
                                                 {"context", p.basepath},
                                                 {"archive", std::to_string(p.package.entries.size()) +
                                                                 " entries, " + human_size(p.package.size)},
                                                 {"action", action}});
      for (const auto& e : p.package.entries) std::cout << "  " << e << "\n";
    }
    return 0;
  }

  s.enable_progress();
  if (!inv.quiet)
    std::cerr << "portico: deploying " << p.name << " " << p.version << " (" << human_size(p.package.size) << ") to "
              << s.target().label << "\n";
  s.client().deploy(p.zip.string(), override, p.name, p.version);

  bool verified = false;
  if (!inv.flag("no-verify")) {
    auto apis = s.client().list();
    const client::ApiInfo* a = find_api(apis, p);
    if (!a)
      throw Error(ExitCode::Refused,
                  "the adapter answered 200 but does not list " + p.name + " " + p.version + " on " + s.target().label,
                  "nothing was deployed: check that deployment_environments.yaml names environments the gateway serves");
    if (a->context != p.basepath)
      throw Error(ExitCode::Refused, "the adapter lists " + p.name + " " + p.version + " at " + a->context +
                                         ", not at the expected base path " + p.basepath);
    verified = true;
  }
  if (json) {
    nlohmann::ordered_json j{{"ok", true},
                             {"target", s.target().label},
                             {"name", p.name},
                             {"version", p.version},
                             {"context", p.basepath},
                             {"archive", {{"entries", p.package.entries.size()}, {"bytes", p.package.size}}},
                             {"override", override},
                             {"verified", verified}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "deployed " << p.name << " " << p.version << " at " << p.basepath << " on " << s.target().label
              << (verified ? " (verified: listed by the adapter)" : " (not verified)") << "\n";
  }
  return 0;
}

int run_list(const Invocation& inv) {
  Session s(inv);
  long limit = 0;
  if (auto l = inv.get("limit"); !l.empty()) {
    if (l.size() > 9 || l.find_first_not_of("0123456789") != std::string::npos || std::stol(l) < 1)
      throw Error(ExitCode::Usage, "--limit takes a whole number from 1 to 100000000");
    limit = std::stol(l);
  }
  auto apis = s.client().list(inv.get("query"), limit);
  std::sort(apis.begin(), apis.end(), [](const client::ApiInfo& a, const client::ApiInfo& b) {
    return std::tie(a.name, a.version, a.vhost) < std::tie(b.name, b.version, b.vhost);
  });
  if (inv.get("format", "human") == "json") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& a : apis)
      list.push_back({{"name", a.name}, {"version", a.version}, {"type", a.type}, {"context", a.context},
                      {"environments", a.environments}, {"vhost", a.vhost}});
    std::cout << nlohmann::ordered_json{{"target", s.target().label}, {"count", apis.size()}, {"apis", list}}.dump(2)
              << "\n";
    return 0;
  }
  if (apis.empty()) {
    std::cout << "no APIs deployed on " << s.target().label << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : apis) {
    std::string envs;
    for (const auto& e : a.environments) envs += (envs.empty() ? "" : ",") + e;
    rows.push_back({a.name, a.version, a.type, a.context, envs, a.vhost});
  }
  std::cout << text::render_table({"NAME", "VERSION", "TYPE", "CONTEXT", "ENVIRONMENTS", "VHOST"}, rows);
  return 0;
}

int run_undeploy(const Invocation& inv) {
  std::string name = inv.get("name"), version = inv.get("version");
  if (name.empty() != version.empty())
    throw Error(ExitCode::Usage, "--name and --version go together");
  if (name.empty()) {
    std::string path = inv.get("PATH", ".");
    client::Identity id = client::identify(path);
    name = id.name;
    version = id.version;
    if (name.empty() || version.empty())
      throw Error(ExitCode::Input, "cannot tell the API's name and version from " + path, "pass --name and --version");
  }
  Session s(inv);
  s.client().undeploy(name, version, inv.get("vhost"), inv.all("gateway-env"));
  std::cout << "undeployed " << name << " " << version << " from " << s.target().label << "\n";
  return 0;
}

}  // namespace portico::cli

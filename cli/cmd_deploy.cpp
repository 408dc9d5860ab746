#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "client/prepare.hpp"
#include "endpoints/resolve.hpp"
#include "project/acceptance.hpp"
#include "util/file.hpp"
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

// The vhosts the adapter would deploy this archive to (its
// deployment_environments.yaml; the definition is not parsed again).
std::vector<std::string> project_vhosts(const client::Prepared& p) {
  std::vector<std::string> out;
  if (auto api = project::quick_look(file::read(p.zip.string(), 512u << 20)))
    for (const auto& t : api->targets) out.push_back(t.vhost);
  return out;
}

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
  if (p.blocked && json) {
    auto j = json_failure("deploy", static_cast<int>(ExitCode::Findings),
                          "deploy stopped: validation found errors; nothing was uploaded",
                          "run 'portico validate " + path + "' to see them with their hints");
    j["findings"] = nlohmann::ordered_json::array();
    for (const auto& f : p.findings)
      j["findings"].push_back({{"file", f.file}, {"line", f.line}, {"column", f.column},
                               {"severity", to_string(f.severity)}, {"rule", f.rule}, {"message", f.message}});
    std::cout << j.dump(2) << "\n";
    std::cerr << "portico: error: deploy stopped: validation found errors; nothing was uploaded\n";
    return static_cast<int>(ExitCode::Findings);
  }
  if (p.blocked)
    throw Error(ExitCode::Findings, "deploy stopped: validation found errors; nothing was uploaded",
                "run 'portico validate " + path + "' to see them with their hints");
  if (auto keep = inv.get("keep-archive"); !keep.empty()) {
    std::error_code ec;
    fs::copy_file(p.zip, keep, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(ExitCode::Input, "--keep-archive: cannot write " + keep + ": " + ec.message());
  }

  Session s(inv);
  if (inv.flag("dry-run")) {
    auto apis = s.client().list();
    const client::ApiInfo* existing = find_api(apis, p);
    // What the adapter would do, as far as the listing tells: the same API
    // needs --override; another API holding the base path on one of this
    // project's vhosts gets 409 even with it.
    std::vector<std::string> vhosts = project_vhosts(p);
    auto on_our_vhost = [&](const client::ApiInfo& a) {
      return vhosts.empty() || std::find(vhosts.begin(), vhosts.end(), a.vhost) != vhosts.end();
    };
    const client::ApiInfo* holder = nullptr;
    for (const auto& a : apis)
      if (!(a.name == p.name && a.version == p.version) && a.context == p.basepath && on_our_vhost(a)) holder = &a;
    std::string action, problem;
    if (holder) {
      action = "refused: base path conflict";
      problem = "another API, " + holder->name + " " + holder->version + ", holds the base path " + p.basepath +
                " on vhost " + holder->vhost + ": the adapter would answer 409, even with --override";
    } else if (!existing) {
      action = "create";
    } else if (override) {
      action = "update (override)";
    } else {
      action = "update: needs --override";
      problem = p.name + " " + p.version + " is already deployed on " + s.target().label +
                ": the adapter would answer 409 without --override";
    }
    int code = problem.empty() ? 0 : static_cast<int>(ExitCode::Refused);
    if (json) {
      nlohmann::ordered_json j{{"ok", code == 0},
                               {"exit_code", code},
                               {"dry_run", true},
                               {"target", s.target().label},
                               {"adapter", s.target().base_url},
                               {"source", client::to_string(p.kind)},
                               {"name", p.name},
                               {"version", p.version},
                               {"context", p.basepath},
                               {"archive", {{"entries", p.package.entries}, {"bytes", p.package.size}}},
                               {"exists", existing != nullptr},
                               {"action", action}};
      if (holder)
        j["conflict"] = {{"name", holder->name}, {"version", holder->version}, {"context", holder->context},
                         {"vhost", holder->vhost}};
      if (!problem.empty()) j["message"] = problem;
      std::cout << j.dump(2) << "\n";
    } else {
      std::vector<std::vector<std::string>> rows{
          {"target", s.target().label + " (" + s.target().base_url + ")"},
          {"source", std::string(client::to_string(p.kind)) + " " + path},
          {"API", p.name + " " + p.version},
          {"context", p.basepath}};
      if (holder) rows.push_back({"conflict", holder->name + " " + holder->version + " holds " + p.basepath +
                                                  " on vhost " + holder->vhost});
      rows.push_back({"archive", std::to_string(p.package.entries.size()) + " entries, " + human_size(p.package.size)});
      rows.push_back({"action", action});
      std::cout << "Plan (dry run, nothing uploaded)\n" << text::render_table({"", ""}, rows);
      for (const auto& e : p.package.entries) std::cout << "  " << e << "\n";
    }
    if (!problem.empty()) {
      std::cerr << "portico: dry run: the deploy would be refused: " << problem << "\n";
      std::cerr << "  hint: "
                << (holder ? "change the base path (x-wso2-basePath, or context in api.yaml), or undeploy " +
                                 holder->name + " " + holder->version + " first"
                           : std::string("deploy with --override to update it"))
                << "\n";
    }
    return code;
  }

  s.enable_progress();
  if (!inv.quiet)
    std::cerr << "portico: deploying " << p.name << " " << p.version << " (" << human_size(p.package.size) << ") to "
              << s.target().label << "\n";
  s.client().deploy(p.zip.string(), override, p.name, p.version);

  bool verified = false;
  if (!inv.flag("no-verify")) {
    std::vector<client::ApiInfo> apis;
    try {
      apis = s.client().list();
    } catch (const Error& e) {
      // The deploy itself got its 200: say so, then why it is not verified.
      throw Error(e.code(),
                  "uploaded " + p.name + " " + p.version + " and the adapter answered 200, but verification failed: " +
                      e.what(),
                  "the deploy was probably applied: check with 'portico list -e " + s.target().label +
                      "' (deploying again needs --override if it is listed)");
    }
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
  std::size_t total = 0;
  std::string query = inv.get("query");
  auto apis = s.client().list(query, limit, &total);
  if (total < apis.size()) total = apis.size();
  std::sort(apis.begin(), apis.end(), [](const client::ApiInfo& a, const client::ApiInfo& b) {
    return std::tie(a.name, a.version, a.vhost) < std::tie(b.name, b.version, b.vhost);
  });
  if (inv.get("format", "human") == "json") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& a : apis)
      list.push_back({{"name", a.name}, {"version", a.version}, {"type", a.type}, {"context", a.context},
                      {"environments", a.environments}, {"vhost", a.vhost}});
    std::cout << nlohmann::ordered_json{{"target", s.target().label},
                                        {"count", apis.size()},
                                        {"total", total},
                                        {"apis", list}}
                     .dump(2)
              << "\n";
    return 0;
  }
  if (apis.empty()) {
    if (!query.empty())
      std::cout << "no APIs match --query " << query << " on " << s.target().label << "\n";
    else
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
  if (total > apis.size())
    std::cout << apis.size() << " of " << total << " APIs shown (--limit " << limit << ")\n";
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

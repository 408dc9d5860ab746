#include <algorithm>
#include <filesystem>
#include <iostream>

#include "client/download.hpp"
#include "handlers.hpp"
#include "net/http.hpp"
#include "endpoints/resolve.hpp"
#include "project/api_yaml.hpp"
#include "project/generate.hpp"
#include "project/load.hpp"
#include "report/reporter.hpp"
#include "rules/validate.hpp"
#include "terminal.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace portico::cli {

namespace {

bool empty_dir(const fs::path& d) {
  std::error_code ec;
  return fs::is_directory(d, ec) && fs::directory_iterator(d, ec) == fs::directory_iterator();
}

}  // namespace

int run_init(const Invocation& inv) {
  fs::path dir = inv.get("DIR");
  std::string oas = inv.get("oas");
  std::string source, display;
  if (oas.empty()) {
    source = project::starter_definition();
    display = "starter definition";
  } else if (oas.rfind("https://", 0) == 0 || oas.rfind("http://", 0) == 0) {
    source = client::download_definition(*net::make_curl_transport(), oas, inv.get("ca-cert"));
    display = oas;
  } else {
    source = file::read(oas, 64u << 20);
    display = oas;
  }

  // Validate first: nothing is written for a definition with errors.
  auto d = std::make_shared<doc::Document>(doc::parse(display, source));
  rules::Result r;
  r.findings = rules::check_definition(*d);
  r.documents.push_back(d);
  r.files = 1;
  std::string context = inv.get("context");
  auto has = [&](std::string_view rule) {
    return std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) { return f.rule == rule; });
  };
  bool derived = context.empty() && has("basepath-missing");
  std::shared_ptr<doc::Document> api_doc;
  if (project::is_openapi(d->root) && (!context.empty() || derived)) {
    // Validate as the project will be: with the api.yaml that holds the context.
    project::Generated pre = project::generate_project(*d, context);
    api_doc = std::make_shared<doc::Document>(doc::parse("api.yaml (generated)", pre.files.front().content));
    project::ApiYaml meta = project::read_api_yaml(api_doc);
    r.findings = rules::check_definition(*d, &meta);
    r.documents.push_back(api_doc);
    if (derived && !has("basepath-missing") && !inv.quiet)
      std::cerr << "portico: the definition has no base path: using context " << pre.context
                << " (the gateway serves it at " << pre.context << "/" << pre.version
                << "); --context PATH chooses another\n";
    auto res = endpoints::resolve(*d, &meta);
    if (!context.empty() && res.basepath.value != pre.context + "/" + pre.version)
      std::cerr << "portico: warning: --context " << context << " is overridden by the definition's base path "
                << res.basepath.value << " (the adapter uses that one)\n";
  }
  bool errors = std::any_of(r.findings.begin(), r.findings.end(), [](const Finding& f) { return f.severity == Severity::Error; });
  if (!r.findings.empty()) print_findings(r, std::cerr);
  if (errors) {
    std::cerr << "portico: init stopped: the definition has errors; nothing was written\n";
    return static_cast<int>(ExitCode::Findings);
  }

  std::error_code ec;
  bool existed = fs::exists(dir, ec);
  if (existed && !fs::is_directory(dir, ec))
    throw Error(ExitCode::Input, dir.string() + " exists and is not a directory");
  bool was_empty = !existed || empty_dir(dir);
  if (existed && !was_empty && !inv.flag("force"))
    throw Error(ExitCode::Input, dir.string() + " is not empty",
                "pass --force to overwrite the files init generates (nothing else is touched or deleted)");

  project::Generated g = project::generate_project(*d, context);
  // A new directory is built beside its final place and renamed into it, so a
  // failure leaves nothing half-written; an existing one gets each file
  // replaced atomically and keeps everything else.
  fs::path work = dir;
  if (!existed) {
    fs::create_directories(dir.parent_path().empty() ? fs::path(".") : dir.parent_path(), ec);
    work = dir.parent_path() / ("." + dir.filename().string() + ".portico-init");
    fs::remove_all(work, ec);
  }
  try {
    for (const auto& f : g.files) {
      fs::path p = work / f.path;
      if (!f.path.empty() && f.path.back() == '/') {
        fs::create_directories(p, ec);
        continue;
      }
      fs::create_directories(p.parent_path(), ec);
      file::write_atomic(p, f.content);
    }
    if (!existed) {
      fs::rename(work, dir, ec);
      if (ec) throw Error(ExitCode::Input, "cannot create " + dir.string() + ": " + ec.message());
    }
  } catch (...) {
    if (!existed) fs::remove_all(work, ec);
    throw;
  }
  if (!inv.quiet) {
    std::cerr << "portico: " << (existed && !was_empty ? "regenerated " : "created ") << g.name << " " << g.version << " in " << dir.string() << ":";
    for (const auto& f : g.files) std::cerr << " " << f.path;
    std::cerr << "\nnext: portico validate " << dir.string() << " && portico deploy " << dir.string() << " -e ENV\n";
  }
  return 0;
}


}  // namespace portico::cli

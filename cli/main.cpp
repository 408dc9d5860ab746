// Builds the CLI11 parser from the command table, runs the chosen command,
// and turns portico::Error into a message and an exit code. Nothing else.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "portico/version.hpp"
#include "terminal.hpp"
#include "util/error.hpp"

using portico::ExitCode;
namespace cli = portico::cli;

namespace {

std::string describe(const cli::CommandSpec& c) {
  std::string d = "Examples:\n";
  for (auto e : c.examples) d += "  " + std::string(e) + "\n";
  d += "\n" + std::string(c.summary);
  return d;
}

void add_flag(CLI::App& app, const cli::FlagSpec& f, cli::Invocation& inv) {
  std::string names = "--" + std::string(f.name);
  if (f.short_name) names = std::string("-") + f.short_name + "," + names;
  if (f.value_name.empty()) {
    app.add_flag_callback(names, [&inv, key = std::string(f.name)] { inv.flags[key] = true; },
                          std::string(f.help));
    return;
  }
  auto& store = inv.values[std::string(f.name)];
  auto* opt = app.add_option(names, store, std::string(f.help))->type_name(std::string(f.value_name));
  // One value per occurrence: `--format json x.yaml` leaves x.yaml to PATH.
  opt->allow_extra_args(false);
  if (!f.repeatable) opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  if (!f.default_value.empty()) opt->default_str(std::string(f.default_value));
  if (!f.env.empty()) opt->envname(std::string(f.env));
  if (f.kind == cli::ValueKind::Choice) {
    std::vector<std::string> choices(f.choices.begin(), f.choices.end());
    opt->check(CLI::IsMember(choices));
  }
}

}  // namespace

int main(int argc, char** argv) {
  cli::Invocation inv;
  CLI::App app{"portico: validate, deploy and probe APIs with failover endpoints on WSO2 Choreo Connect"};
  app.name("portico");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("portico ") + PORTICO_VERSION);
  app.footer(std::string("\n") + std::string(cli::exit_code_table()) +
             "\nRun 'portico COMMAND --help' for a command's flags and examples.");
  std::string examples = "Examples:\n";
  for (const auto& c : cli::commands())
    if (!c.examples.empty() && !c.hidden) examples += "  " + std::string(c.examples.front()) + "\n";
  app.description(examples + "\n" + app.get_description());

  for (const auto& f : cli::global_flags()) add_flag(app, f, inv);

  const cli::CommandSpec* chosen = nullptr;
  for (const auto& c : cli::commands()) {
    // "env add" is the subcommand "add" of "env".
    CLI::App* parent = &app;
    std::string name(c.name);
    if (auto sp = name.find(' '); sp != std::string::npos) {
      std::string group = name.substr(0, sp);
      name = name.substr(sp + 1);
      CLI::App* g = nullptr;
      try {
        g = app.get_subcommand(group);
      } catch (const CLI::OptionNotFound&) {
        g = app.add_subcommand(group, "Named adapters: add, list, remove, import-apictl");
        g->require_subcommand(1);
        g->fallthrough();
      }
      parent = g;
    }
    CLI::App* sub = parent->add_subcommand(name, describe(c));
    sub->fallthrough();
    if (c.hidden) sub->group("");
    for (const auto& p : c.positionals) {
      auto& store = inv.values[std::string(p.name)];
      auto* opt = sub->add_option(std::string(p.name), store, std::string(p.help));
      if (!p.repeatable) opt->expected(1);
      if (p.default_value.empty() && !p.repeatable) opt->required();
      if (p.kind == cli::ValueKind::Choice)
        opt->check(CLI::IsMember(std::vector<std::string>(p.choices.begin(), p.choices.end())));
    }
    for (const auto& f : c.flags) add_flag(*sub, f, inv);
    sub->callback([&chosen, &c] { chosen = &c; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "portico: error: " << e.what() << "\n";
    std::cerr << "Run 'portico --help' for usage.\n";
    return static_cast<int>(ExitCode::Usage);
  }
  inv.config_dir = inv.get("config-dir");
  inv.no_color = inv.flag("no-color");
  inv.quiet = inv.flag("quiet");
  inv.verbose = inv.flag("verbose");
  if (!chosen) return static_cast<int>(ExitCode::Usage);
  // For tests that check command lines (samples/ci): parse, do not run.
  if (const char* p = std::getenv("PORTICO_PARSE_ONLY"); p && std::string(p) == "1") return 0;
  // With --format json, stdout holds one JSON document, failures included
  // (not when -o sends the report to a file).
  auto json_failure_out = [&](int code, const std::string& message, const std::string& hint) {
    if (inv.get("format") == "json" && inv.get("output").empty())
      std::cout << cli::json_failure(chosen->name, code, message, hint).dump(2) << "\n" << std::flush;
  };
  try {
    return chosen->run(inv);
  } catch (const portico::Error& e) {
    std::cerr << "portico: error: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "  hint: " << e.hint() << "\n";
    json_failure_out(static_cast<int>(e.code()), e.what(), e.hint());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "portico: internal error: " << e.what() << "\n"
              << "  please report this, with the command that caused it\n";
    json_failure_out(static_cast<int>(ExitCode::Input), std::string("internal error: ") + e.what(),
                     "please report this, with the command that caused it");
    return static_cast<int>(ExitCode::Input);
  }
}

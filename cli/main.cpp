// Builds the CLI11 parser from the command table, runs the chosen command,
// and turns portico::Error into a message and an exit code. Nothing else.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "portico/version.hpp"
#include "terminal.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

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

// Where the command word stands in argv (after the global flags).
struct Scan {
  int at = -1;      // index of the command word, or -1
  std::string word; // "deploy", "env", "help", a typo...
  std::string sub;  // the word after a group ("env add"), or ""
  bool help = false, version = false, json = false;
};

Scan scan(const std::vector<std::string>& args) {
  Scan s;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") s.help = true;
    if (a == "--version") s.version = true;
    if ((a == "--format" && i + 1 < args.size() && args[i + 1] == "json") || a == "--format=json") s.json = true;
    if (s.at >= 0) continue;
    if (a == "--") break;
    if (a == "--config-dir") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    s.at = static_cast<int>(i);
    s.word = a;
    if (i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-') s.sub = args[i + 1];
  }
  return s;
}

// The top-level command words ("env" for the env group), in table order.
std::vector<std::string> command_words() {
  std::vector<std::string> out;
  for (const auto& c : cli::commands()) {
    if (c.hidden) continue;
    std::string w(c.name.substr(0, c.name.find(' ')));
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  return out;
}

std::vector<std::string> group_words(const std::string& group) {
  std::vector<std::string> out;
  for (const auto& c : cli::commands())
    if (c.name.starts_with(group + " ")) out.emplace_back(c.name.substr(group.size() + 1));
  return out;
}

// The candidate nearest to `word` (a prefix of it, or within 2 edits), or "".
std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& c : candidates) {
    if (c.starts_with(word) && word.size() >= 2) return c;
    std::size_t d = portico::text::edit_distance(word, c, 2);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

// `portico --help`: one line per command (a group on one line), the global
// flags, the exit codes.
std::string top_help() {
  auto pad = [](const std::string& n) { return "  " + n + std::string(n.size() < 21 ? 21 - n.size() : 1, ' '); };
  std::string h =
      "portico: validate, deploy and probe APIs with failover endpoints on WSO2 Choreo Connect\n\n"
      "Usage: portico [OPTIONS] COMMAND [ARGS...]\n\nSubcommands:\n";
  for (const auto& w : command_words()) {
    auto subs = group_words(w);
    if (subs.empty()) {
      for (const auto& c : cli::commands())
        if (c.name == w) h += pad(w) + std::string(c.summary) + "\n";
      continue;
    }
    std::string all;
    for (const auto& sub : subs) all += (all.empty() ? "" : " | ") + sub;
    h += pad(w) + "Named adapters: " + all + "\n";
  }
  h += "\nOptions:\n" + pad("-h,--help") + "Print this help\n" + pad("--version") + "Print the version\n";
  for (const auto& f : cli::global_flags()) {
    std::string n = (f.short_name ? std::string("-") + f.short_name + "," : std::string()) + "--" +
                    std::string(f.name) + (f.value_name.empty() ? "" : " " + std::string(f.value_name));
    h += pad(n) + std::string(f.help) + "\n";
  }
  h += "\n" + std::string(cli::exit_code_table());
  h += "\nRun 'portico help COMMAND' (or 'portico COMMAND --help') for a command's flags and examples.\n";
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  Scan sc = scan(args);
  // `portico help [COMMAND...]` is `portico [COMMAND...] --help`.
  if (sc.word == "help") {
    args.erase(args.begin() + sc.at);
    args.push_back("--help");
    sc = scan(args);
  }
  auto usage_error = [&](const std::string& message, const std::string& hint) {
    std::cerr << "portico: error: " << message << "\n";
    if (!hint.empty()) std::cerr << "  hint: " << hint << "\n";
    if (sc.json)
      std::cout << cli::json_failure(sc.word, static_cast<int>(ExitCode::Usage), message, hint).dump(2) << "\n";
    return static_cast<int>(ExitCode::Usage);
  };
  if (sc.at < 0 && !sc.version) {
    if (sc.help) {
      std::cout << top_help();
      return 0;
    }
    std::cerr << top_help();
    return usage_error("no command given", "");
  }
  if (sc.at >= 0) {
    auto words = command_words();
    bool hidden = sc.word.starts_with("__");
    if (!hidden && std::find(words.begin(), words.end(), sc.word) == words.end()) {
      std::string near = nearest(sc.word, words);
      return usage_error("unknown command '" + sc.word + "'",
                         near.empty() ? "run 'portico --help' for the list of commands"
                                      : "did you mean 'portico " + near + "'? ('portico --help' lists the commands)");
    }
    auto subs = group_words(sc.word);
    if (!subs.empty() && !sc.help) {
      std::string all;
      for (const auto& w : subs) all += (all.empty() ? "" : ", ") + w;
      if (sc.sub.empty())
        return usage_error("'portico " + sc.word + "' needs a subcommand: " + all,
                           "run 'portico " + sc.word + " " + subs.front() + " --help'");
      if (std::find(subs.begin(), subs.end(), sc.sub) == subs.end()) {
        std::string near = nearest(sc.sub, subs);
        return usage_error("unknown command 'portico " + sc.word + " " + sc.sub + "'",
                           near.empty() ? "the subcommands are " + all
                                        : "did you mean 'portico " + sc.word + " " + near + "'?");
      }
    }
  }
  std::string command_help = "portico " + sc.word +
                             (!group_words(sc.word).empty() && !sc.sub.empty() ? " " + sc.sub : "") + " --help";

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
    std::vector<std::string> rev(args.rbegin(), args.rend() - 1);  // CLI11 takes them reversed, without argv[0]
    app.parse(rev);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what(), "run '" + command_help + "' for its flags and examples");
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

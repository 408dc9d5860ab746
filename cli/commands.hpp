// The command-line surface as data: commands, flags, value sets, examples.
// main.cpp builds the CLI11 parser from this table; shell completions and
// the man page are generated from it too, so nothing is listed twice.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portico::cli {

// EnvName: a configured environment name (completed from the config at
// completion time); Path: files and directories.
// RuleId: a validation rule id (completed from the rule catalogue).
// Dir: a directory only. Definition: an OpenAPI file (.yaml .yml .json) or
// a directory. ReportSpec: FORMAT=FILE, with the formats as choices.
enum class ValueKind { None, Text, Path, Dir, Choice, Number, EnvName, RuleId, Definition, ReportSpec };

struct FlagSpec {
  std::string_view name;        // long name without dashes: "format"
  char short_name = 0;          // 'o', or 0
  std::string_view value_name;  // "FORMAT"; empty for a boolean flag
  std::string_view help;
  ValueKind kind = ValueKind::None;
  std::vector<std::string_view> choices;  // for ValueKind::Choice
  bool repeatable = false;
  std::string_view default_value;
  std::string_view env;  // environment variable that supplies the value
};

struct PositionalSpec {
  std::string_view name;  // "PATH"
  std::string_view help;
  ValueKind kind = ValueKind::Path;
  bool repeatable = false;
  std::string_view default_value;
  std::vector<std::string_view> choices;  // for ValueKind::Choice
};

// What a command gets: values by flag or positional name.
struct Invocation {
  std::map<std::string, std::vector<std::string>, std::less<>> values;
  std::map<std::string, bool, std::less<>> flags;

  const std::vector<std::string>& all(std::string_view name) const;
  std::string get(std::string_view name, std::string_view fallback = {}) const;
  bool flag(std::string_view name) const;
  // Global options.
  bool no_color = false, quiet = false, verbose = false;
  std::string config_dir;
};

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  std::vector<std::string_view> examples;  // "portico validate petstore/   # a project"
  std::vector<PositionalSpec> positionals;
  std::vector<FlagSpec> flags;
  std::function<int(const Invocation&)> run;
  bool hidden = false;  // internal helpers for the completion scripts
};

std::span<const CommandSpec> commands();
std::span<const FlagSpec> global_flags();
// The exit code table, for --help and the man page.
std::string_view exit_code_table();

}  // namespace portico::cli

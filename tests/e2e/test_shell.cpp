// Shell integration and packaging, through the built binary and real shells:
// the committed completion scripts are what the generator prints, bash, fish
// and zsh complete from them (commands, flags, value sets, environment names
// from the config, files), the man page, `cmake --install` and `cpack -G DEB`.
//
// What the CLI knows is read from `portico --help` (the parser is built from
// the command table), so the expectations follow the table and the scripts
// must keep up with it. A shell, groff, cmake, cpack or dpkg-deb that is not
// installed makes its test case stop with a MESSAGE saying so.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "rules/catalog.hpp"

namespace fs = std::filesystem;
using namespace portico::test;

namespace {

using Words = std::set<std::string>;

// ---- small utilities ----

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string collapse_spaces(const std::string& s) {
  std::string o;
  for (char c : trim(s)) {
    if ((c == ' ' || c == '\t') && !o.empty() && o.back() == ' ') continue;
    o += (c == '\t') ? ' ' : c;
  }
  return o;
}

std::string join(const Words& w) {
  std::string o;
  for (const auto& s : w) o += (o.empty() ? "" : " ") + s;
  return o.empty() ? "(nothing)" : o;
}

// POSIX single quotes (bash and zsh).
std::string sq(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// fish single quotes: backslash and quote are escaped with a backslash.
std::string fish_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') o += '\\';
    o += c;
  }
  return o + "'";
}

fs::path source_dir() { return PORTICO_SOURCE_DIR; }
fs::path build_dir() { return fs::path(portico_binary()).parent_path(); }

ProcessResult run_portico(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
                          const std::string& cwd = {}) {
  args.insert(args.begin(), portico_binary());
  return run(args, {}, env, cwd);
}

// "line 12: the file has '...', the generator prints '...'" for the first
// line that differs.
std::string first_difference(const std::string& file, const std::string& generated) {
  auto a = lines_of(file), b = lines_of(generated);
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    std::string x = i < a.size() ? a[i] : "<end of file>";
    std::string y = i < b.size() ? b[i] : "<end of output>";
    if (x != y)
      return "first difference at line " + std::to_string(i + 1) + ":\n  committed: " + x + "\n  generated: " + y;
  }
  return "the files differ only in the final newline";
}

// ---- what the CLI parser knows, from --help ----

std::vector<std::string> section(const std::string& help, const std::string& title) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& l : lines_of(help)) {
    if (l == title) {
      in = true;
      continue;
    }
    if (!in) continue;
    if (!l.empty() && l[0] != ' ') break;  // the next section
    out.push_back(l);
  }
  return out;
}

std::vector<std::string> subcommands_in_help(const std::string& help) {
  static const std::regex re(R"(^  ([a-z][a-z0-9-]*)(\s{2,}.*)?$)");
  std::vector<std::string> out;
  for (const auto& l : section(help, "Subcommands:")) {
    std::smatch m;
    if (std::regex_match(l, m, re)) out.push_back(m[1]);
  }
  return out;
}

// The long flags of the "Options:" section: "-e,--environment ENV ..." -> --environment.
Words long_flags_in_help(const std::string& help) {
  Words out;
  for (const auto& l : section(help, "Options:")) {
    std::string t = trim(l);
    if (t.empty() || t[0] != '-') continue;
    std::istringstream names(t.substr(0, t.find(' ')));
    std::string n;
    while (std::getline(names, n, ','))
      if (n.rfind("--", 0) == 0) out.insert(n);
  }
  return out;
}

struct Cli {
  std::vector<std::string> tops;                             // validate ... env ... version
  std::map<std::string, std::vector<std::string>> groups;    // env -> add list remove ...
  std::vector<std::string> commands;                         // validate ... "env add" ...
  std::map<std::string, Words> flags;                        // command -> its long flags
  Words global_flags;                                        // --help --version --config-dir ...
  std::vector<std::string> exit_lines;                       // "0 success", ...
};

const Cli& cli() {
  static const Cli c = [] {
    Cli c;
    auto top = run_portico({"--help"});
    REQUIRE_MESSAGE(top.exit_code == 0, "portico --help failed: " << top.err);
    c.tops = subcommands_in_help(top.out);
    c.global_flags = long_flags_in_help(top.out);
    for (const auto& l : section(top.out, "Exit codes:"))
      if (!trim(l).empty()) c.exit_lines.push_back(collapse_spaces(l));
    for (const auto& t : c.tops) {
      auto h = run_portico({t, "--help"});
      REQUIRE_MESSAGE(h.exit_code == 0, "portico " << t << " --help failed: " << h.err);
      auto subs = subcommands_in_help(h.out);
      if (subs.empty()) {
        c.commands.push_back(t);
        c.flags[t] = long_flags_in_help(h.out);
        continue;
      }
      c.groups[t] = subs;
      for (const auto& s : subs) {
        auto sh = run_portico({t, s, "--help"});
        REQUIRE_MESSAGE(sh.exit_code == 0, "portico " << t << " " << s << " --help failed: " << sh.err);
        c.commands.push_back(t + " " + s);
        c.flags[t + " " + s] = long_flags_in_help(sh.out);
      }
    }
    REQUIRE(c.tops.size() >= 10);
    REQUIRE(c.exit_lines.size() >= 9);
    return c;
  }();
  return c;
}

Words rule_ids(const std::string& prefix = {}) {
  Words out;
  for (const auto& r : portico::rules::catalog())
    if (r.id.substr(0, prefix.size()) == prefix) out.emplace(r.id);
  return out;
}

// ---- a sandbox for completion: two environments, a directory of files ----

struct Sandbox {
  TempDir tmp;
  std::string config = tmp.path + "/config", work = tmp.path + "/work", home = tmp.path + "/home";
  std::map<std::string, std::string> env;
  Words env_names{"prod", "staging"};
  Words path_candidates{"a.yaml", "b.json", "c.zip", "sub"};  // d.txt is not offered

  Sandbox() {
    fs::create_directories(work + "/sub");
    fs::create_directories(home);
    for (const char* f : {"a.yaml", "b.json", "c.zip", "d.txt"}) write_file(work + "/" + f, "x\n");
    const char* path = std::getenv("PATH");
    env = {{"PORTICO_CONFIG_DIR", config},
           {"PATH", build_dir().string() + ":" + (path ? path : "/usr/bin:/bin")},
           {"HOME", home},
           {"XDG_CONFIG_HOME", home + "/.config"},
           {"XDG_DATA_HOME", home + "/.local/share"},
           {"XDG_CACHE_HOME", home + "/.cache"},
           {"TERM", "dumb"}};
    for (const auto& name : env_names) {
      auto r = run_portico({"env", "add", name, "--adapter", "https://localhost:9843"}, env);
      REQUIRE_MESSAGE(r.exit_code == 0, "portico env add " << name << ": " << r.err);
    }
    auto listed = run_portico({"__complete", "envs"}, env);
    REQUIRE(listed.exit_code == 0);
    auto names = lines_of(listed.out);
    REQUIRE(Words(names.begin(), names.end()) == env_names);
  }
};

// The candidates between each "@@BEGIN@@" and "@@END@@" line of `out`.
std::vector<Words> blocks(const std::string& out, bool strip_description = false) {
  std::vector<Words> res;
  Words* cur = nullptr;
  for (auto l : lines_of(out)) {
    if (l.find("@@BEGIN@@") != std::string::npos) {
      res.emplace_back();
      cur = &res.back();
      continue;
    }
    if (l.find("@@END@@") != std::string::npos) {
      cur = nullptr;
      continue;
    }
    if (!cur) continue;
    if (strip_description) l = l.substr(0, l.find('\t'));
    l = trim(l);
    if (!l.empty()) cur->insert(l);
  }
  return res;
}

// Command lines to complete; the last word (maybe empty) is the one completed.
std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> w;
  std::string cur;
  for (char c : line) {
    if (c == ' ') {
      w.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  w.push_back(cur);
  return w;
}

// ---- the three shells ----

struct Completions {
  ProcessResult proc;
  std::vector<Words> replies;  // one per line asked
};

Completions complete_bash(const std::string& bash, const Sandbox& sb, const std::vector<std::string>& lines) {
  std::string script = "source " + sq((source_dir() / "completions/portico.bash").string()) +
                       "\n"
                       "__q() {\n"
                       "  COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 ))\n"
                       "  COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()\n"
                       "  _portico\n"
                       "  printf '%s\\n' @@BEGIN@@ \"${COMPREPLY[@]}\" @@END@@\n"
                       "}\n";
  for (const auto& l : lines) {
    script += "__q";
    for (const auto& w : split_words(l)) script += " " + sq(w);
    script += "\n";
  }
  Completions c;
  c.proc = run({bash, "--norc", "--noprofile", "-c", script}, {}, sb.env, sb.work);
  c.replies = blocks(c.proc.out);
  return c;
}

Completions complete_fish(const std::string& fish, const Sandbox& sb, const std::vector<std::string>& lines) {
  std::string script = "source " + fish_quote((source_dir() / "completions/portico.fish").string()) + "\n";
  for (const auto& l : lines)
    script += "echo @@BEGIN@@; complete -C " + fish_quote(l) + "; echo @@END@@\n";
  Completions c;
  c.proc = run({fish, "--no-config", "-c", script}, {}, sb.env, sb.work);
  c.replies = blocks(c.proc.out, true);
  return c;
}

// zsh: an outer `zsh -f` starts an interactive `zsh -f -i` in a pseudo
// terminal (zsh/zpty), types each line followed by Ctrl-T, and reads what the
// inner shell prints. In the inner shell compinit loads _portico from
// completions/ on fpath; Ctrl-T runs a widget that calls complete-word while
// a compadd function records the words the completion functions offer, then
// prints them between markers and clears the line.
const char* kZshInner = R"ZSH(
bindkey -e
PS1='> '; RPS1=''; PROMPT_EOL_MARK=''
fpath=(${PORTICO_TEST_COMPLETIONS} $fpath)
autoload -U compinit && compinit -u -D
zstyle ':completion:*' menu no
unsetopt automenu autolist listambiguous beep
typeset -ga __offered
# Words added for real are recorded; calls that only test matches (-O -A -D)
# pass through.
compadd() {
  local a
  for a in "$@"; do
    [[ $a == -- ]] && break
    if [[ $a == -[OAD]* ]]; then builtin compadd "$@"; return; fi
  done
  local -a __matched
  builtin compadd -O __matched "$@"
  __offered+=("${__matched[@]}")
  builtin compadd "$@"
}
__record_completion() {
  __offered=()
  zle complete-word
  print -r -- $'\n@@BEGIN@@'
  print -rl -- "${__offered[@]}"
  print -r -- '@@END@@'
  BUFFER=''; CURSOR=0
  zle -R
}
zle -N __record_completion
bindkey '^T' __record_completion
cd ${PORTICO_TEST_WORK}
print -r -- '@@READY@@'
)ZSH";

const char* kZshDriver = R"ZSH(
zmodload zsh/zpty || { print -u2 'zsh/zpty is not available'; exit 77 }
zmodload zsh/zselect 2>/dev/null
setup=$1; shift
zpty inner zsh -f -i || { print -u2 'cannot start zsh in a zpty'; exit 1 }
read_until() {
  local marker=$1 acc= chunk
  integer deadline=$(( SECONDS + 15 ))
  while (( SECONDS < deadline )); do
    if zpty -rt inner chunk 2>/dev/null; then
      acc+=$chunk
      if [[ $acc == *"$marker"* ]]; then REPLY=$acc; return 0; fi
    else
      zselect -t 2 2>/dev/null || sleep 0.02
    fi
  done
  REPLY=$acc
  return 1
}
zpty -w inner "source ${(q)setup}"
if ! read_until @@READY@@; then
  print -u2 -r -- "the inner zsh did not get ready; it printed: ${REPLY//$'\r'/}"
  zpty -d inner; exit 1
fi
for line in "$@"; do
  zpty -w -n inner "$line"$'\x14'
  if ! read_until @@END@@; then
    print -u2 -r -- "no completion for '$line'; the inner zsh printed: ${REPLY//$'\r'/}"
    zpty -d inner; exit 1
  fi
  out=${REPLY//$'\r'/}
  out=${out#*@@BEGIN@@}
  out=${out%%@@END@@*}
  print -r -- @@BEGIN@@
  print -r -- "$out"
  print -r -- @@END@@
done
zpty -d inner
exit 0
)ZSH";

Completions complete_zsh(const std::string& zsh, const Sandbox& sb, const std::vector<std::string>& lines) {
  std::string inner = sb.tmp.path + "/inner.zsh", driver = sb.tmp.path + "/driver.zsh";
  write_file(inner, kZshInner);
  write_file(driver, kZshDriver);
  auto env = sb.env;
  env["PORTICO_TEST_COMPLETIONS"] = (source_dir() / "completions").string();
  env["PORTICO_TEST_WORK"] = sb.work;
  std::vector<std::string> argv{zsh, "-f", driver, inner};
  argv.insert(argv.end(), lines.begin(), lines.end());
  Completions c;
  c.proc = run(argv, {}, env, sb.work);
  c.replies = blocks(c.proc.out);
  return c;
}

using Completer = Completions (*)(const std::string&, const Sandbox&, const std::vector<std::string>&);

std::string strip_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// The assertions every shell must meet.
void check_completions(const std::string& shell_name, const std::string& shell, Completer complete) {
  const Cli& c = cli();
  Sandbox sb;

  struct Exact {
    std::string line;
    Words want;
  };
  Words tops(c.tops.begin(), c.tops.end());
  Words env_subs(c.groups.at("env").begin(), c.groups.at("env").end());
  std::vector<Exact> exact{
      {"portico ", tops},
      {"portico validate --f", {"--format", "--fail-on"}},
      {"portico validate --format ", {"human", "json", "sarif", "junit", "github"}},
      {"portico validate --fail-on ", {"error", "warning", "info", "never"}},
      {"portico probe --environment ", {"production", "sandbox"}},
      {"portico validate --rule-off failover-", rule_ids("failover-")},
      {"portico validate --rule-off ", rule_ids()},
      {"portico deploy -e ", sb.env_names},
      {"portico deploy --environment ", sb.env_names},
      {"portico list -e ", sb.env_names},
      {"portico login ", sb.env_names},
      {"portico logout ", sb.env_names},
      {"portico env remove ", sb.env_names},
      {"portico validate ", sb.path_candidates},
      {"portico deploy ", sb.path_candidates},
      {"portico env ", env_subs},
      {"portico completion ", {"bash", "zsh", "fish"}},
  };
  std::vector<std::string> lines;
  for (const auto& e : exact) lines.push_back(e.line);
  for (const auto& cmd : c.commands) lines.push_back("portico " + cmd + " --");

  auto got = complete(shell, sb, lines);
  INFO(shell_name, " exited ", got.proc.exit_code, "; stderr: ", got.proc.err);
  REQUIRE_MESSAGE(got.replies.size() == lines.size(),
                  shell_name << " answered " << got.replies.size() << " of " << lines.size() << " completions");

  // The table's own facts, so a broken table is not mistaken for a broken script.
  CHECK(tops.count("validate"));
  CHECK(tops.count("deploy"));
  CHECK(tops.count("probe"));
  CHECK(tops.count("env"));
  CHECK_FALSE(tops.count("__complete"));
  CHECK_FALSE(tops.count("__man"));
  CHECK(rule_ids("failover-").size() == 4);

  for (std::size_t i = 0; i < exact.size(); ++i) {
    Words offered;
    for (const auto& w : got.replies[i]) offered.insert(strip_slash(w));
    CHECK_MESSAGE(offered == exact[i].want, shell_name << ": `" << exact[i].line << "<TAB>` offered: "
                                                      << join(offered) << "\n  expected: " << join(exact[i].want));
  }

  // Every flag of `portico CMD --help` is offered for `portico CMD --`, and
  // nothing else but the global flags.
  for (std::size_t k = 0; k < c.commands.size(); ++k) {
    const auto& cmd = c.commands[k];
    const Words& offered = got.replies[exact.size() + k];
    const Words& help = c.flags.at(cmd);
    Words missing, foreign;
    for (const auto& f : help)
      if (f != "--help" && !offered.count(f)) missing.insert(f);
    for (const auto& f : offered)
      if (!help.count(f) && !c.global_flags.count(f)) foreign.insert(f);
    CHECK_MESSAGE(missing.empty(), shell_name << ": `portico " << cmd << " --<TAB>` lacks flags of `portico " << cmd
                                              << " --help`: " << join(missing) << "\n  offered: " << join(offered));
    CHECK_MESSAGE(foreign.empty(), shell_name << ": `portico " << cmd << " --<TAB>` offers flags `portico " << cmd
                                              << "` does not have: " << join(foreign)
                                              << "\n  offered: " << join(offered));
  }
}

}  // namespace

TEST_CASE("shell: the committed completion scripts are what `portico completion` prints") {
  struct Script {
    std::string shell, file;
  };
  for (const Script& s : {Script{"bash", "completions/portico.bash"}, Script{"zsh", "completions/_portico"},
                          Script{"fish", "completions/portico.fish"}}) {
    INFO("shell: ", s.shell);
    auto r = run_portico({"completion", s.shell});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.size() > 1000);
    fs::path committed = source_dir() / s.file;
    REQUIRE_MESSAGE(fs::exists(committed), s.file << " is missing: run `build/portico completion " << s.shell
                                                  << " > " << s.file << "`");
    std::string text = read_text(committed);
    CHECK_MESSAGE(text == r.out, s.file << " is out of date with the command table: run `build/portico completion "
                                        << s.shell << " > " << s.file << "` and commit it\n"
                                        << first_difference(text, r.out));
  }
  // Unknown shells are a usage error, and the hidden helpers stay out of the scripts' command lists.
  auto bad = run_portico({"completion", "tcsh"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());
}

TEST_CASE("shell: __complete envs prints the configured environments and never an error") {
  TempDir t;
  std::map<std::string, std::string> env{{"PORTICO_CONFIG_DIR", t.path + "/none"}};
  auto empty = run_portico({"__complete", "envs"}, env);
  CHECK(empty.exit_code == 0);
  CHECK(empty.out.empty());
  CHECK(empty.err.empty());

  env["PORTICO_CONFIG_DIR"] = t.path + "/cfg";
  REQUIRE(run_portico({"env", "add", "zeta", "--adapter", "https://localhost:9843"}, env).exit_code == 0);
  REQUIRE(run_portico({"env", "add", "alpha", "--adapter", "https://localhost:9843"}, env).exit_code == 0);
  auto two = run_portico({"__complete", "envs"}, env);
  CHECK(two.exit_code == 0);
  auto names = lines_of(two.out);
  CHECK(Words(names.begin(), names.end()) == Words{"alpha", "zeta"});
  // --config-dir works as well as the environment variable.
  auto by_flag = run_portico({"--config-dir", t.path + "/cfg", "__complete", "envs"}, {{"PORTICO_CONFIG_DIR", ""}});
  auto flag_names = lines_of(by_flag.out);
  CHECK(Words(flag_names.begin(), flag_names.end()) == Words{"alpha", "zeta"});
  // Anything else completes to nothing, quietly.
  auto other = run_portico({"__complete", "apis"}, env);
  CHECK(other.exit_code == 0);
  CHECK(other.out.empty());
  // A broken config prints nothing into the user's command line.
  write_file(t.path + "/cfg/config.yaml", "environments: [unclosed\n");
  auto broken = run_portico({"__complete", "envs"}, env);
  CHECK(broken.exit_code == 0);
  CHECK(broken.out.empty());
  CHECK(broken.err.empty());
}

TEST_CASE("shell: bash completes commands, flags, values, environments and files") {
  auto bash = find_program("bash");
  if (bash.empty()) {
    MESSAGE("bash is not installed: skipped");
    return;
  }
  check_completions("bash", bash, complete_bash);
}

TEST_CASE("shell: fish completes commands, flags, values, environments and files") {
  auto fish = find_program("fish");
  if (fish.empty()) {
    MESSAGE("fish is not installed: skipped");
    return;
  }
  check_completions("fish", fish, complete_fish);
}

TEST_CASE("shell: zsh completes commands, flags, values, environments and files through compinit") {
  auto zsh = find_program("zsh");
  if (zsh.empty()) {
    MESSAGE("zsh is not installed: skipped");
    return;
  }
  check_completions("zsh", zsh, complete_zsh);
}

TEST_CASE("shell: the zsh script loads under compinit and names every command and flag") {
  std::string script = read_text(source_dir() / "completions/_portico");
  const Cli& c = cli();
  CHECK(script.rfind("#compdef portico\n", 0) == 0);
  for (const auto& t : c.tops) CHECK_MESSAGE(script.find("'" + t + ":") != std::string::npos, "command " << t);
  for (const auto& [g, subs] : c.groups)
    for (const auto& s : subs) CHECK_MESSAGE(script.find("'" + s + ":") != std::string::npos, g << " " << s);
  for (const auto& [cmd, flags] : c.flags)
    for (const auto& f : flags)
      if (f != "--help")
        CHECK_MESSAGE((script.find(f + "[") != std::string::npos || script.find("," + f + "}") != std::string::npos),
                      "flag " << f << " of " << cmd);

  auto zsh = find_program("zsh");
  if (zsh.empty()) {
    MESSAGE("zsh is not installed: the load check is skipped");
    return;
  }
  TempDir t;
  auto r = run({zsh, "-f", "-c",
                "fpath=(" + sq((source_dir() / "completions").string()) +
                    " $fpath); autoload -U compinit && compinit -u -D; autoload -U _portico; whence -w _portico; "
                    "print -r -- \"comps=$_comps[portico]\"; _portico_cmd_validate 2>/dev/null; "
                    "(( $+functions[_portico] )) && print defined"},
               {}, {{"HOME", t.path}, {"TERM", "dumb"}});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("_portico: function") != std::string::npos);
  CHECK(r.out.find("comps=_portico") != std::string::npos);
  CHECK(r.out.find("defined") != std::string::npos);
}

TEST_CASE("install: the man page is built, renders without warnings and names every command and exit code") {
  fs::path page = build_dir() / "portico.1";
  REQUIRE_MESSAGE(fs::exists(page), page.string() << " is missing: the manpage target did not run");
  std::string roff = read_text(page);
  auto gen = run_portico({"__man"});
  REQUIRE(gen.exit_code == 0);
  CHECK_MESSAGE(roff == gen.out, "build/portico.1 differs from `portico __man`: rebuild (ninja manpage)\n"
                                     << first_difference(roff, gen.out));
  CHECK(roff.rfind(".TH PORTICO 1", 0) == 0);
  CHECK(roff.find("\n.SH EXIT STATUS\n") != std::string::npos);
  CHECK(roff.find("__complete") == std::string::npos);
  CHECK(roff.find("__man") == std::string::npos);

  std::string renderer = find_program("groff");
  std::string man = find_program("man");
  if (renderer.empty() && man.empty()) {
    MESSAGE("neither groff nor man is installed: rendering is skipped");
    return;
  }
  std::string text;
  if (!renderer.empty()) {
    auto warn = run({renderer, "-man", "-Tutf8", "-ww", "-z", page.string()});
    CHECK(warn.exit_code == 0);
    CHECK_MESSAGE(warn.err.empty(), "groff warns about portico.1:\n" << warn.err);
    auto out = run({renderer, "-man", "-Tutf8", "-P-c", "-P-b", "-P-o", "-P-u", page.string()});
    REQUIRE(out.exit_code == 0);
    text = out.out;
  } else {
    auto out = run({man, "--warnings", "-l", page.string()}, {},
                   {{"MANPAGER", "cat"}, {"PAGER", "cat"}, {"MANWIDTH", "100"}, {"MAN_KEEP_FORMATTING", ""}});
    REQUIRE(out.exit_code == 0);
    CHECK_MESSAGE(out.err.empty(), "man warns about portico.1:\n" << out.err);
    text = out.out;
  }
  // Plain text: no overstriking, ASCII hyphens.
  std::string plain;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i + 1 < text.size() && text[i + 1] == '\b') {
      ++i;
      continue;
    }
    plain += text[i];
  }
  for (const std::string dash : {"\u2212", "\u2010"})
    for (auto p = plain.find(dash); p != std::string::npos; p = plain.find(dash)) plain.replace(p, dash.size(), "-");
  std::vector<std::string> rendered;
  for (const auto& l : lines_of(plain)) rendered.push_back(collapse_spaces(l));
  auto has_line = [&](auto pred) { return std::any_of(rendered.begin(), rendered.end(), pred); };

  CHECK(has_line([](const std::string& l) { return l == "EXIT STATUS"; }));
  for (const auto& cmd : cli().commands)
    CHECK_MESSAGE(has_line([&](const std::string& l) { return l == cmd || l.rfind(cmd + " [", 0) == 0; }),
                  "the man page has no section for `portico " << cmd << "`");
  for (const auto& e : cli().exit_lines)
    CHECK_MESSAGE(has_line([&](const std::string& l) { return l == e; }),
                  "the man page lacks the exit code line `" << e << "`");
  CHECK(plain.find("__complete") == std::string::npos);
}

namespace {

const std::vector<std::string> kInstalled{
    "bin/portico",
    "share/man/man1/portico.1",
    "share/bash-completion/completions/portico",
    "share/zsh/site-functions/_portico",
    "share/fish/vendor_completions.d/portico.fish",
};

Words schema_files() {
  Words out;
  for (const auto& e : fs::directory_iterator(source_dir() / "schemas"))
    if (e.path().extension() == ".json") out.insert("share/portico/schemas/" + e.path().filename().string());
  return out;
}

// Regular files under `root`, relative to it.
Words files_under(const fs::path& root) {
  Words out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), root).string());
  return out;
}

ProcessResult cmake_install(const std::string& cmake, const std::string& prefix) {
  return run({cmake, "--install", build_dir().string(), "--prefix", prefix});
}

}  // namespace

TEST_CASE("install: cmake --install puts the binary, man page, completions and schemas under the prefix") {
  auto cmake = find_program("cmake");
  if (cmake.empty()) {
    MESSAGE("cmake is not installed: skipped");
    return;
  }
  REQUIRE(fs::exists(build_dir() / "cmake_install.cmake"));
  TempDir t;
  fs::path usr = fs::path(t.path) / "usr";
  auto r = cmake_install(cmake, usr.string());
  REQUIRE_MESSAGE(r.exit_code == 0, "cmake --install failed:\n" << r.out << r.err);

  Words files = files_under(usr);
  for (const auto& f : kInstalled) CHECK_MESSAGE(files.count(f), f << " is not installed; installed: " << join(files));
  Words schemas = schema_files();
  CHECK(schemas.size() >= 2);
  for (const auto& f : schemas) CHECK_MESSAGE(files.count(f), f << " is not installed");

  // The installed files are the committed scripts, the built man page and the schemas.
  CHECK(read_text(usr / "share/bash-completion/completions/portico") ==
        read_text(source_dir() / "completions/portico.bash"));
  CHECK(read_text(usr / "share/zsh/site-functions/_portico") == read_text(source_dir() / "completions/_portico"));
  CHECK(read_text(usr / "share/fish/vendor_completions.d/portico.fish") ==
        read_text(source_dir() / "completions/portico.fish"));
  CHECK(read_text(usr / "share/man/man1/portico.1") == read_text(build_dir() / "portico.1"));
  for (const auto& f : schemas)
    CHECK(read_text(usr / f) == read_text(source_dir() / "schemas" / fs::path(f).filename()));

  auto perms = fs::status(usr / "bin/portico").permissions();
  CHECK((perms & fs::perms::others_exec) != fs::perms::none);
  auto v = run({(usr / "bin/portico").string(), "--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("portico ", 0) == 0);
  CHECK(v.out == run_portico({"--version"}).out);
}

TEST_CASE("install: cpack -G DEB makes a package with the runtime Depends and the installed files") {
  auto cmake = find_program("cmake"), cpack = find_program("cpack"), dpkg_deb = find_program("dpkg-deb");
  if (cmake.empty() || cpack.empty() || dpkg_deb.empty()) {
    MESSAGE("cmake, cpack or dpkg-deb is not installed: skipped");
    return;
  }
  fs::path config = build_dir() / "CPackConfig.cmake";
  REQUIRE_MESSAGE(fs::exists(config), config.string() << " is missing: include(CPack) in CMakeLists.txt?");
  TempDir t;
  fs::path out = fs::path(t.path) / "pkg";
  fs::create_directories(out);
  auto r = run({cpack, "-G", "DEB", "--config", config.string(), "-B", out.string()}, {}, {}, out.string());
  REQUIRE_MESSAGE(r.exit_code == 0, "cpack failed:\n" << r.out << r.err);
  std::vector<fs::path> debs;
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().extension() == ".deb") debs.push_back(e.path());
  REQUIRE_MESSAGE(debs.size() == 1, "cpack made " << debs.size() << " .deb files:\n" << r.out);
  const std::string deb = debs.front().string();

  auto info = run({dpkg_deb, "-I", deb});
  REQUIRE(info.exit_code == 0);
  std::map<std::string, std::string> fields;
  for (const auto& l : lines_of(info.out)) {
    std::string s = trim(l);
    auto colon = s.find(": ");
    if (colon != std::string::npos && colon > 0 && s.find(' ') > colon) fields[s.substr(0, colon)] = s.substr(colon + 2);
  }
  CHECK(fields["Package"] == "portico");
  auto version = run_portico({"--version"}).out;  // "portico 0.1.0"
  CHECK("portico " + fields["Version"] + "\n" == version);
  CHECK_FALSE(fields["Architecture"].empty());
  REQUIRE_MESSAGE(fields.count("Depends"), "no Depends field:\n" << info.out);
  Words depends;
  std::istringstream deps(fields["Depends"]);
  for (std::string d; std::getline(deps, d, ',');) {
    d = trim(d);
    depends.insert(d.substr(0, d.find_first_of(" (")));
  }
  for (const char* p : {"libyaml-cpp0.7", "libcurl4", "libzip4", "libssl3", "libfmt9"})
    CHECK_MESSAGE(depends.count(p), "Depends lacks " << p << ": " << fields["Depends"]);

  // The package holds what `cmake --install --prefix /usr` installs, under ./usr/.
  auto contents = run({dpkg_deb, "-c", deb});
  REQUIRE(contents.exit_code == 0);
  Words packaged;
  bool executable = false;
  for (const auto& l : lines_of(contents.out)) {
    if (l.empty() || l[0] != '-') continue;  // regular files only
    std::string path = l.substr(l.find_last_of(' ') + 1);
    CHECK_MESSAGE(path.rfind("./usr/", 0) == 0, path << " is outside ./usr/");
    packaged.insert(path.substr(std::min<std::size_t>(path.size(), 6)));
    if (path == "./usr/bin/portico") executable = l.rfind("-rwxr-xr-x", 0) == 0;
  }
  CHECK(executable);
  TempDir inst;
  auto ir = cmake_install(cmake, inst.path + "/usr");
  REQUIRE(ir.exit_code == 0);
  Words installed = files_under(fs::path(inst.path) / "usr");
  CHECK_MESSAGE(packaged == installed, "packaged: " << join(packaged) << "\ninstalled: " << join(installed));
  for (const auto& f : kInstalled) CHECK_MESSAGE(packaged.count(f), f << " is not in the package");
  for (const auto& f : schema_files()) CHECK_MESSAGE(packaged.count(f), f << " is not in the package");
}

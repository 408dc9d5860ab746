// samples/ as shipped: the definitions conform to the published endpoint
// schema (schemas/x-wso2-endpoints.schema.json, as do Choreo Connect's own
// test definitions), `portico validate` gives exactly the documented outcome
// on each sample, and every `portico` command line of the CI examples
// (samples/ci) is one the CLI accepts.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cli_run.hpp"
#include "doc/document.hpp"
#include "mini_xml.hpp"
#include "process.hpp"
#include "schema_check.hpp"

using namespace portico::test;
using json = nlohmann::json;
namespace fs = std::filesystem;
namespace doc = portico::doc;

namespace {

std::string samples_dir() { return source_dir() + "/samples"; }

const JsonSchema& endpoints_schema() {
  static const JsonSchema s(source_dir() + "/schemas/x-wso2-endpoints.schema.json");
  return s;
}

// ---------------------------------------------------------------- findings

struct Expected {
  std::string rule, severity;
  int line, column;
  std::string pointer;
  friend bool operator==(const Expected&, const Expected&) = default;
  friend bool operator<(const Expected& a, const Expected& b) {
    return std::tie(a.line, a.column, a.rule, a.severity, a.pointer) <
           std::tie(b.line, b.column, b.rule, b.severity, b.pointer);
  }
};

// One line per finding, for readable failure messages.
std::string render(const std::vector<Expected>& v) {
  std::string o;
  for (const auto& e : v)
    o += e.rule + " " + e.severity + " " + std::to_string(e.line) + ":" + std::to_string(e.column) + " '" + e.pointer +
         "'\n";
  return o;
}

// The diagnostics of one file of a JSON report, sorted.
std::vector<Expected> findings_in(const json& report, const std::string& file) {
  std::vector<Expected> out;
  for (const auto& d : report["diagnostics"])
    if (d["file"] == file)
      out.push_back({d["rule"].get<std::string>(), d["severity"].get<std::string>(), d["line"].get<int>(),
                     d["column"].get<int>(), d["pointer"].get<std::string>()});
  std::sort(out.begin(), out.end());
  return out;
}

json validate_json(const std::vector<std::string>& paths, int& exit_code) {
  std::vector<std::string> args{"validate", "--format", "json"};
  args.insert(args.end(), paths.begin(), paths.end());
  auto r = run_portico_neutral(args, source_dir());
  exit_code = r.exit_code;
  INFO("stderr: " << r.err);
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    FAIL("stdout is not one JSON document: " << e.what() << "\n" << r.out);
  }
  return nullptr;
}

// The findings of samples/broken-failover.yaml (and of its copy in
// samples/broken-project/Definitions/swagger.yaml), each checked against the
// sample's text:
//  10:7  `- http://backup.example.com:8080/v2`: its path /v2 differs from the
//        first URL's /v1 (the URL value, after "    - ").
//  11:9  `type: Failover`: capital F, the gateway load-balances (the value).
//  15:7  `x-wso2-production-endpoints` under `get:` of /orders (the key).
//  24:5  `x-wso2-prod-endpoints`, a misspelt extension on /orders/{id} (the key).
//  31:11 `- http://sandbox.example.com/v1/` repeats URL 1 once the trailing /
//        is trimmed (the later copy's value).
// Nothing else: the misspelt block is ignored by the gateway, so its single
// failover URL is no finding; the operation-level block is well-formed.
const std::vector<Expected>& broken_failover_findings() {
  static const std::vector<Expected> e{
      {"failover-basepath-mismatch", "error", 10, 7, "/x-wso2-production-endpoints/urls/1"},
      {"failover-type-case", "error", 11, 9, "/x-wso2-production-endpoints/type"},
      {"extension-misplaced", "error", 15, 7, "/paths/~1orders/get/x-wso2-production-endpoints"},
      {"extension-unknown", "warning", 24, 5, "/paths/~1orders~1{id}/x-wso2-prod-endpoints"},
      {"failover-duplicate-url", "warning", 31, 11, "/paths/~1orders~1{id}/x-wso2-sandbox-endpoints/urls/1"},
  };
  return e;
}

// The text at (line, column) of a file, up to the end of the line.
std::string text_at(const std::string& path, int line, int column) {
  std::string src = read_text_file(path);
  std::size_t b = 0;
  for (int l = 1; l < line; ++l) b = src.find('\n', b) + 1;
  std::size_t e = src.find('\n', b);
  std::string l = src.substr(b, e == std::string::npos ? std::string::npos : e - b);
  return static_cast<std::size_t>(column - 1) <= l.size() ? l.substr(static_cast<std::size_t>(column - 1)) : "";
}

// ---------------------------------------------------------------- CI files

template <class C>
std::string join(const C& words) {
  std::string o = "[";
  for (const auto& w : words) o += (o.size() > 1 ? ", \"" : "\"") + std::string(w) + "\"";
  return o + "]";
}

const char* kPlaceholder = "PLACEHOLDER";

// Splits one shell command line into words the way sh would for simple
// commands: quotes removed, `\` escapes, $(...) / `...` / ${{ ... }} replaced
// by a placeholder word part, $VAR kept as written. Stops at the first
// unquoted control or redirection operator (> < | & ;) or comment; a word of
// digits glued to a redirection (2>) is dropped.
std::vector<std::string> shell_words(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  auto flush = [&] {
    if (in_word) words.push_back(cur);
    cur.clear();
    in_word = false;
  };
  auto skip_subst = [&](std::size_t& i) -> bool {  // at '$' or '`'; true when one was skipped
    if (line.compare(i, 3, "${{") == 0) {
      std::size_t e = line.find("}}", i + 3);
      i = e == std::string::npos ? line.size() : e + 2;
    } else if (line.compare(i, 2, "$(") == 0) {
      int depth = 0;
      std::size_t j = i + 1;
      for (; j < line.size(); ++j) {
        if (line[j] == '(') ++depth;
        else if (line[j] == ')' && --depth == 0) break;
      }
      i = j < line.size() ? j + 1 : line.size();
    } else if (line[i] == '`') {
      std::size_t e = line.find('`', i + 1);
      i = e == std::string::npos ? line.size() : e + 1;
    } else {
      return false;
    }
    cur += kPlaceholder;
    in_word = true;
    return true;
  };
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t') {
      flush();
      ++i;
    } else if (c == '\'') {
      std::size_t e = line.find('\'', i + 1);
      if (e == std::string::npos) e = line.size();
      cur += line.substr(i + 1, e - i - 1);
      in_word = true;
      i = e + 1;
    } else if (c == '"') {
      in_word = true;
      ++i;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size() && std::string("\"\\$`").find(line[i + 1]) != std::string::npos) {
          cur += line[i + 1];
          i += 2;
        } else if ((line[i] == '$' || line[i] == '`') && skip_subst(i)) {
        } else {
          cur += line[i++];
        }
      }
      ++i;
    } else if (c == '\\') {
      if (i + 1 < line.size()) cur += line[i + 1];
      in_word = true;
      i += 2;
    } else if ((c == '$' || c == '`') && skip_subst(i)) {
    } else if (c == '>' || c == '<' || c == '|' || c == '&' || c == ';' || (c == '#' && !in_word)) {
      if ((c == '>' || c == '<') && in_word && !cur.empty() &&
          std::all_of(cur.begin(), cur.end(), [](char d) { return d >= '0' && d <= '9'; })) {
        cur.clear();
        in_word = false;
      }
      break;
    } else {
      cur += c;
      in_word = true;
      ++i;
    }
  }
  flush();
  return words;
}

// The arguments after `portico` when `line` runs portico (after optional
// VAR=value prefixes); nullopt otherwise.
std::optional<std::vector<std::string>> portico_command(const std::string& line) {
  static const std::regex assignment("^[A-Za-z_][A-Za-z0-9_]*=.*$");
  auto words = shell_words(line);
  std::size_t k = 0;
  while (k < words.size() && std::regex_match(words[k], assignment)) ++k;
  if (k >= words.size() || words[k] != "portico") return std::nullopt;
  return std::vector<std::string>(words.begin() + static_cast<long>(k) + 1, words.end());
}

void collect_strings(const doc::Node* n, std::vector<std::string>& out) {
  if (!n) return;
  if (n->is_string()) out.push_back(n->text);
  if (n->is_map())
    for (std::size_t i = 0; i < n->size(); ++i) collect_strings(n->value(i), out);
  if (n->is_seq())
    for (const doc::Node* k : n->kids) collect_strings(k, out);
}

struct CiCommand {
  std::string line;                // as written (continuations joined)
  std::vector<std::string> words;  // after `portico`
};

// Every portico command of a CI file: each string value of the YAML (a
// `run:` entry, a block scalar, a `script:` item), line by line.
std::vector<CiCommand> ci_commands(const std::string& path) {
  doc::Document d = doc::parse(path, read_text_file(path));
  REQUIRE_MESSAGE(d.root != nullptr, path << " does not parse");
  std::vector<std::string> strings;
  collect_strings(d.root, strings);
  std::vector<CiCommand> out;
  for (const auto& s : strings) {
    std::string joined;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\n') {
        ++i;
        continue;
      }
      joined += s[i];
    }
    std::size_t b = 0;
    while (b < joined.size()) {
      std::size_t e = joined.find('\n', b);
      if (e == std::string::npos) e = joined.size();
      std::string line = joined.substr(b, e - b);
      line.erase(0, line.find_first_not_of(" \t") == std::string::npos ? line.size() : line.find_first_not_of(" \t"));
      if (auto words = portico_command(line)) out.push_back({line, *words});
      b = e + 1;
    }
  }
  return out;
}

// The same count from the raw text, without YAML: lines that start (after
// `- ` or `run: ` and VAR=value prefixes) with `portico `.
std::size_t raw_portico_lines(const std::string& path) {
  static const std::regex re(R"(^\s*(-\s+)?(run:\s+)?([A-Za-z_][A-Za-z0-9_]*=\S+\s+)*portico\s.*$)");
  std::string src = read_text_file(path);
  std::size_t n = 0, b = 0;
  while (b < src.size()) {
    std::size_t e = src.find('\n', b);
    if (e == std::string::npos) e = src.size();
    if (std::regex_match(src.substr(b, e - b), re)) ++n;
    b = e + 1;
  }
  return n;
}

}  // namespace

// ------------------------------------------------- x-wso2-endpoints schema

TEST_CASE("schemas: every sample definition conforms to x-wso2-endpoints.schema.json, the broken ones excepted") {
  // The broken samples are broken on purpose (see the negative check below).
  const std::set<std::string> broken{"broken-failover.yaml", "broken-project/Definitions/swagger.yaml"};
  std::set<std::string> definitions;
  for (const auto& entry : fs::recursive_directory_iterator(samples_dir())) {
    if (!entry.is_regular_file()) continue;
    std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".yml" && ext != ".json") continue;
    std::string rel = fs::relative(entry.path(), samples_dir()).generic_string();
    CAPTURE(rel);
    json j = yaml_file_to_json(entry.path().string());
    if (!j.is_object() || !(j.contains("openapi") || j.contains("swagger"))) continue;  // api.yaml, CI files...
    definitions.insert(rel);
    std::string errors = endpoints_schema().errors(j);
    if (broken.count(rel)) CHECK_MESSAGE(errors != "", rel << " should be INVALID");
    else CHECK_MESSAGE(errors == "", rel << " should be VALID:\n" << errors);
  }
  for (const char* must : {"petstore/Definitions/swagger.yaml", "petstore-openapi.yaml", "swagger2-petstore.yaml",
                           "broken-failover.yaml"})
    CHECK_MESSAGE(definitions.count(must) == 1, must << " was not found as a definition");
}

TEST_CASE("schemas: Choreo Connect's own test definitions conform to x-wso2-endpoints.schema.json") {
  std::string shared = shared_dir();
  if (shared.empty()) {
    MESSAGE("skipped: no ../shared beside the checkout");
    return;
  }
  std::string corpus = shared + "/corpus/choreo-connect";
  if (!fs::is_directory(corpus)) {
    MESSAGE("skipped: no " << corpus);
    return;
  }
  // The one file whose blocks the gateway itself rejects (corpus README):
  // its production and sandbox URL `http:..mockBackend/v2` does not parse
  // (url-invalid), and the schema's URL pattern says so too.
  const std::set<std::string> rejected{"deployed/malformed_endpoint_openAPI.yaml"};
  std::size_t files = 0;
  for (const char* sub : {"deployed", "unit"}) {
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(corpus + "/" + sub))
      if (e.is_regular_file()) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    CHECK_FALSE(paths.empty());
    for (const auto& p : paths) {
      std::string rel = std::string(sub) + "/" + p.filename().string();
      CAPTURE(rel);
      ++files;
      json j = yaml_file_to_json(p.string());
      std::string errors = endpoints_schema().errors(j);
      if (rejected.count(rel)) CHECK_MESSAGE(errors != "", rel << " should be INVALID");
      else CHECK_MESSAGE(errors == "", rel << " should be VALID:\n" << errors);
    }
  }
  CHECK(files >= 56);
}

TEST_CASE("schemas: x-wso2-endpoints.schema.json rejects broken-failover.yaml, for both of its reasons") {
  std::string path = samples_dir() + "/broken-failover.yaml";
  std::string src = read_text_file(path);
  CHECK(endpoints_schema().errors(yaml_file_to_json(path)) != "");

  auto check_variant = [](const std::string& text) {
    TempDir t;
    write_file(t.path + "/v.yaml", text);
    return endpoints_schema().errors(yaml_file_to_json(t.path + "/v.yaml"));
  };
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    auto p = s.find(from);
    REQUIRE_MESSAGE(p != std::string::npos, "the sample no longer contains: " << from);
    return s.replace(p, from.size(), to);
  };
  const std::string op_block =
      "      x-wso2-production-endpoints:\n"
      "        urls:\n"
      "          - http://orders-a.example.com/v1\n"
      "          - http://orders-b.example.com/v1\n"
      "        type: failover\n";
  std::string fixed_type = replace(src, "  type: Failover\n", "  type: failover\n");
  std::string no_op_block = replace(src, op_block, "");
  // Each reason alone makes it invalid...
  CHECK_MESSAGE(check_variant(fixed_type) != "", "the block under `get:` alone must be rejected");
  CHECK_MESSAGE(check_variant(no_op_block) != "", "`type: Failover` alone must be rejected");
  // ...and with both fixed it is valid (the schema leaves paths, duplicates
  // and misspelt keys to `portico validate`).
  CHECK(check_variant(replace(fixed_type, op_block, "")) == "");
}

// ---------------------------------------------------------------- validate

TEST_CASE("samples: petstore and petstore-openapi.yaml validate clean") {
  for (const char* s : {"samples/petstore", "samples/petstore-openapi.yaml"}) {
    CAPTURE(s);
    int rc = -1;
    json j = validate_json({s}, rc);
    CHECK(rc == 0);
    CHECK(j["ok"] == true);
    CHECK(j["diagnostics"].empty());
    auto human = run_portico_neutral({"validate", "--fail-on", "info", s}, source_dir());
    CHECK(human.exit_code == 0);
    CHECK(human.out.rfind("no problems found in ", 0) == 0);
  }
}

TEST_CASE("samples: swagger2-petstore.yaml has only servers-overridden (info)") {
  int rc = -1;
  json j = validate_json({"samples/swagger2-petstore.yaml"}, rc);
  CHECK(rc == 0);
  CHECK(j["ok"] == true);
  // `host:` (line 5) is overridden by the root x-wso2-production-endpoints.
  std::vector<Expected> want{{"servers-overridden", "info", 5, 1, "/host"}};
  CHECK(render(findings_in(j, "samples/swagger2-petstore.yaml")) == render(want));
  CHECK(j["diagnostics"].size() == 1);
  CHECK(text_at(samples_dir() + "/swagger2-petstore.yaml", 5, 1).rfind("host:", 0) == 0);
}

TEST_CASE("samples: broken-failover.yaml gives exactly the expected findings") {
  int rc = -1;
  json j = validate_json({"samples/broken-failover.yaml"}, rc);
  CHECK(rc == 1);
  CHECK(j["ok"] == false);
  CHECK(j["diagnostics"].size() == broken_failover_findings().size());
  CHECK(render(findings_in(j, "samples/broken-failover.yaml")) == render(broken_failover_findings()));
  CHECK(j["summary"] == json{{"errors", 3}, {"warnings", 2}, {"infos", 0}});
  // The positions are where the sample says.
  std::string f = samples_dir() + "/broken-failover.yaml";
  CHECK(text_at(f, 10, 7) == "http://backup.example.com:8080/v2");
  CHECK(text_at(f, 11, 9) == "Failover");
  CHECK(text_at(f, 14, 5) == "get:");
  CHECK(text_at(f, 15, 7) == "x-wso2-production-endpoints:");
  CHECK(text_at(f, 24, 5) == "x-wso2-prod-endpoints:");
  CHECK(text_at(f, 31, 11) == "http://sandbox.example.com/v1/");
  CHECK(text_at(f, 30, 11) == "http://sandbox.example.com/v1");
}

TEST_CASE("samples: broken-project gives exactly the expected findings") {
  int rc = -1;
  json j = validate_json({"samples/broken-project"}, rc);
  CHECK(rc == 1);
  CHECK(j["ok"] == false);
  // The definition is a copy of broken-failover.yaml: the same five.
  CHECK(read_text_file(samples_dir() + "/broken-project/Definitions/swagger.yaml") ==
        read_text_file(samples_dir() + "/broken-failover.yaml"));
  CHECK(render(findings_in(j, "samples/broken-project/Definitions/swagger.yaml")) == render(broken_failover_findings()));
  // openapi.yaml at the project root: its name contains "api.yaml" (a stray
  // file, at line 1 of that file). api.yaml itself is complete and agrees
  // with the definition (BrokenFailover = "Broken Failover" without spaces).
  std::vector<Expected> stray{{"project-stray-file", "error", 1, 1, ""}};
  CHECK(render(findings_in(j, "samples/broken-project/openapi.yaml")) == render(stray));
  CHECK(findings_in(j, "samples/broken-project/api.yaml").empty());
  CHECK(j["diagnostics"].size() == 6);
  CHECK(j["summary"] == json{{"errors", 4}, {"warnings", 2}, {"infos", 0}});
}

// ---------------------------------------------------------------------- CI

TEST_CASE("samples: the shell-word extraction of CI command lines") {
  auto c = portico_command("FOO=1 BAR=\"x y\" portico validate $(ls -d */ | head -1) \"a b\" 'c d' ${{ inputs.dir }} "
                           "--x=\"$HOME\" 2> err.log || true");
  REQUIRE(c.has_value());
  using W = std::vector<std::string>;
  CHECK(join(*c) == join(W{"validate", kPlaceholder, "a b", "c d", kPlaceholder, "--x=$HOME"}));
  CHECK(join(*portico_command("portico probe . --format junit > probe.xml || test $? -eq 7")) ==
        join(W{"probe", ".", "--format", "junit"}));
  CHECK(join(*portico_command("portico list; echo done")) == join(W{"list"}));
  CHECK(join(*portico_command("portico gateway --listen 127.0.0.1:1 & sleep 1")) ==
        join(W{"gateway", "--listen", "127.0.0.1:1"}));
  CHECK(join(*portico_command("portico version | tee v.txt")) == join(W{"version"}));
  CHECK(join(*portico_command("PORTICO_GATEWAY_PASSWORD=\"$PORTICO_PASSWORD\" portico gateway --user admin > o 2> e &")) ==
        join(W{"gateway", "--user", "admin"}));
  CHECK_FALSE(portico_command("echo portico validate").has_value());
  CHECK_FALSE(portico_command("# portico validate").has_value());
  CHECK_FALSE(portico_command("porticox validate").has_value());
}

TEST_CASE("samples: every portico command line of the CI examples is accepted") {
  for (const char* name : {"github-actions.yml", "gitlab-ci.yml"}) {
    std::string path = samples_dir() + "/ci/" + name;
    CAPTURE(name);
    auto cmds = ci_commands(path);
    CHECK(cmds.size() >= 5);
    CHECK(cmds.size() == raw_portico_lines(path));  // the YAML walk missed none
    std::set<std::string> subcommands;
    TempDir t;
    for (const auto& c : cmds) {
      CAPTURE(c.line);
      INFO("words: " << join(c.words));
      REQUIRE_FALSE(c.words.empty());
      subcommands.insert(c.words[0]);
      auto r = run_portico_neutral(c.words, t.path, {{"PORTICO_PARSE_ONLY", "1"}});
      CHECK_MESSAGE(r.exit_code == 0, "rejected: " << r.err);
      // The negative control: the same line with an unknown flag is refused.
      auto bad = c.words;
      bad.push_back("--no-such-flag");
      CHECK(run_portico_neutral(bad, t.path, {{"PORTICO_PARSE_ONLY", "1"}}).exit_code == 2);
    }
    CHECK(join(subcommands) == join(std::set<std::string>{"deploy", "gateway", "list", "probe", "validate"}));
  }
}

TEST_CASE("samples: PORTICO_PARSE_ONLY rejects what the CLI rejects") {
  std::map<std::string, std::string> parse_only{{"PORTICO_PARSE_ONLY", "1"}};
  TempDir t;
  CHECK(run_portico_neutral({"validate", "petstore/", "--no-such-flag"}, t.path, parse_only).exit_code == 2);
  CHECK(run_portico_neutral({"frobnicate"}, t.path, parse_only).exit_code == 2);
  CHECK(run_portico_neutral({"validate", "--format", "xml", "petstore/"}, t.path, parse_only).exit_code == 2);
  CHECK(run_portico_neutral({"probe", "--timeout"}, t.path, parse_only).exit_code == 2);
  // Accepted lines are not run: no file appears, nothing is validated.
  CHECK(run_portico_neutral({"validate", "nowhere/", "--report", "sarif=x.sarif"}, t.path, parse_only).exit_code == 0);
  CHECK_FALSE(fs::exists(t.path + "/x.sarif"));
}

TEST_CASE("samples: the CI validate steps pass on the sample project and write their reports") {
  for (const char* name : {"github-actions.yml", "gitlab-ci.yml"}) {
    CAPTURE(name);
    TempDir t;
    fs::copy(samples_dir() + "/petstore", t.path + "/petstore", fs::copy_options::recursive);
    std::size_t validates = 0;
    for (const auto& c : ci_commands(samples_dir() + "/ci/" + name)) {
      if (c.words.empty() || c.words[0] != "validate") continue;
      ++validates;
      CAPTURE(c.line);
      auto r = run_portico_neutral(c.words, t.path);
      CHECK(r.exit_code == 0);
      CHECK(r.out.rfind("no problems found in ", 0) == 0);
      for (std::size_t i = 0; i + 1 < c.words.size(); ++i) {
        if (c.words[i] != "--report") continue;
        std::string spec = c.words[i + 1];
        std::string file = t.path + "/" + spec.substr(spec.find('=') + 1);
        CAPTURE(spec);
        REQUIRE(fs::exists(file));
        std::string text = read_text_file(file);
        if (spec.rfind("junit=", 0) == 0) {
          auto x = xml::parse(text);
          CHECK_MESSAGE(x.ok, x.error);
          CHECK(x.root.attr_or("failures") == "0");
        } else if (spec.rfind("sarif=", 0) == 0) {
          json s = json::parse(text);
          CHECK(s["version"] == "2.1.0");
          CHECK(s["runs"][0]["results"].empty());
        }
      }
    }
    CHECK(validates >= 1);
  }
}

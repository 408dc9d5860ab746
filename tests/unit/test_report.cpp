#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "report/reporter.hpp"
#include "util/error.hpp"

using namespace portico;

namespace {

Finding finding(std::string rule, Severity s, std::string file, std::uint32_t line, std::uint32_t col) {
  Finding f;
  f.rule = std::move(rule);
  f.severity = s;
  f.message = "something is wrong";
  f.file = std::move(file);
  f.line = line;
  f.column = col;
  f.pointer = "/x";
  f.hint = "fix it";
  return f;
}

std::string write(std::string_view format, const report::ValidationReport& r, report::Style style = {}) {
  std::ostringstream out;
  report::make_reporter(format, style)->write(r, out);
  return out.str();
}

}  // namespace

TEST_CASE("report: JSON follows the output contract of rules.md") {
  std::vector<Finding> fs{finding("url-invalid", Severity::Error, "a.yaml", 3, 7),
                          finding("type-missing", Severity::Info, "a.yaml", 9, 1)};
  fs[1].hint.clear();
  report::ValidationReport r{fs, {}, 1, false};
  auto j = nlohmann::json::parse(write("json", r));
  CHECK(j["tool"] == "portico");
  CHECK(j["ok"] == false);
  CHECK(j["summary"]["errors"] == 1);
  CHECK(j["summary"]["warnings"] == 0);
  CHECK(j["summary"]["infos"] == 1);
  REQUIRE(j["diagnostics"].size() == 2);
  auto d = j["diagnostics"][0];
  CHECK(d["rule"] == "url-invalid");
  CHECK(d["severity"] == "error");
  CHECK(d["file"] == "a.yaml");
  CHECK(d["line"] == 3);
  CHECK(d["column"] == 7);
  CHECK(d["pointer"] == "/x");
  CHECK(d["hint"] == "fix it");
  CHECK_FALSE(j["diagnostics"][1].contains("hint"));
}

TEST_CASE("report: human output is one gcc-style line per finding and a summary") {
  std::vector<Finding> fs{finding("url-invalid", Severity::Error, "a.yaml", 3, 7)};
  report::ValidationReport r{fs, {}, 2, false};
  std::string out = write("human", r);
  CHECK(out == "a.yaml:3:7: error: something is wrong [url-invalid]\n"
               "1 error, 0 warnings, 0 infos in 2 files\n");
  report::ValidationReport clean{{}, {}, 1, true};
  CHECK(write("human", clean) == "no problems found in 1 file\n");
}

TEST_CASE("report: on a terminal, an excerpt with a caret under the column, and the hint") {
  auto d = std::make_shared<doc::Document>();
  d->file = "a.yaml";
  d->source = "line one\n  urls: [bad]\n";
  std::vector<std::shared_ptr<const doc::Document>> docs{d};
  std::vector<Finding> fs{finding("url-invalid", Severity::Error, "a.yaml", 2, 10)};
  report::ValidationReport r{fs, docs, 1, false};
  report::Style style;
  style.excerpts = true;
  std::string out = write("human", r, style);
  CHECK(out.find(" 2 |   urls: [bad]\n   |          ^\n") != std::string::npos);
  CHECK(out.find("hint: fix it") != std::string::npos);
  CHECK(out.find("\x1b[") == std::string::npos);  // no colour unless asked
}

TEST_CASE("report: an unknown format is a usage error") {
  try {
    report::make_reporter("xml", {});
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::Usage);
  }
}

#include "report/reporter.hpp"

#include <array>

#include "report/formats.hpp"
#include "util/error.hpp"

namespace portico::report {

Summary count(std::span<const Finding> findings) {
  Summary s;
  for (const auto& f : findings) {
    if (f.severity == Severity::Error) ++s.errors;
    else if (f.severity == Severity::Warning) ++s.warnings;
    else ++s.infos;
  }
  return s;
}

namespace {
constexpr std::array<std::string_view, 5> kFormats{"human", "json", "sarif", "junit", "github"};
}

std::span<const std::string_view> formats() { return kFormats; }

std::unique_ptr<Reporter> make_reporter(std::string_view format, const Style& style) {
  if (format == "human") return make_human_reporter(style);
  if (format == "json") return make_json_reporter();
  if (format == "sarif") return make_sarif_reporter();
  if (format == "junit") return make_junit_reporter();
  if (format == "github") return make_github_reporter();
  throw Error(ExitCode::Usage, "unknown format '" + std::string(format) + "'",
              "use one of: human, json, sarif, junit, github");
}

}  // namespace portico::report

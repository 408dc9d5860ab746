// Output of validation findings. One interface, one file per format, so a
// new format (SARIF, JUnit, GitHub annotations...) is one new file plus a
// line in make_reporter().
#pragma once

#include <memory>
#include <ostream>
#include <span>
#include <string_view>
#include <vector>

#include "diag/finding.hpp"
#include "doc/document.hpp"

namespace portico::report {

struct Summary {
  std::size_t errors = 0, warnings = 0, infos = 0;
};
Summary count(std::span<const Finding> findings);

struct ValidationReport {
  std::span<const Finding> findings;  // sorted
  std::span<const std::shared_ptr<const doc::Document>> documents;  // sources, for excerpts
  std::size_t files = 0;
  bool ok = true;  // nothing at or above the --fail-on threshold
};

struct Style {
  bool color = false;     // ANSI colours
  bool excerpts = false;  // source line and caret under each finding
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void write(const ValidationReport& report, std::ostream& out) = 0;
};

// One GitHub Actions workflow command (::error file=...,line=...,col=...,title=RULE::message).
std::string github_annotation(const Finding& f);

// Formats that exist, for --format and completions.
std::span<const std::string_view> formats();
// Throws Error(Usage) for an unknown format.
std::unique_ptr<Reporter> make_reporter(std::string_view format, const Style& style);

}  // namespace portico::report

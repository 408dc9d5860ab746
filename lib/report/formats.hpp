// Internal to report/: one factory per format file.
#pragma once

#include "report/reporter.hpp"

namespace portico::report {
std::unique_ptr<Reporter> make_human_reporter(const Style& style);
std::unique_ptr<Reporter> make_json_reporter();
std::unique_ptr<Reporter> make_sarif_reporter();
std::unique_ptr<Reporter> make_junit_reporter();
std::unique_ptr<Reporter> make_github_reporter();
}  // namespace portico::report

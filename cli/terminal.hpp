// Whether to use colours and excerpts: only on a terminal, never with
// NO_COLOR, TERM=dumb or --no-color.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <ostream>

#include "rules/validate.hpp"

namespace portico::cli {
bool is_terminal(std::FILE* stream);
bool use_color(std::FILE* stream, bool no_color_flag);
// Validation findings in the human format on stderr (init and deploy print
// them there, keeping stdout for their own results).
void print_findings(const rules::Result& r, std::ostream& out);
// The one JSON document a command given --format json prints on stdout when
// it fails: {"ok": false, "command", "exit_code", "message", "hint"}.
nlohmann::ordered_json json_failure(std::string_view command, int exit_code, const std::string& message,
                                    const std::string& hint);
}  // namespace portico::cli

// Whether to use colours and excerpts: only on a terminal, never with
// NO_COLOR, TERM=dumb or --no-color.
#pragma once

#include <cstdio>
#include <ostream>

#include "rules/validate.hpp"

namespace portico::cli {
bool is_terminal(std::FILE* stream);
bool use_color(std::FILE* stream, bool no_color_flag);
// Validation findings in the human format on stderr (init and deploy print
// them there, keeping stdout for their own results).
void print_findings(const rules::Result& r, std::ostream& out);
}  // namespace portico::cli

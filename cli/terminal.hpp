// Whether to use colours and excerpts: only on a terminal, never with
// NO_COLOR, TERM=dumb or --no-color.
#pragma once

#include <cstdio>

namespace portico::cli {
bool is_terminal(std::FILE* stream);
bool use_color(std::FILE* stream, bool no_color_flag);
}  // namespace portico::cli

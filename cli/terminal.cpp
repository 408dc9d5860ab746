#include "terminal.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace portico::cli {

bool is_terminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

bool use_color(std::FILE* stream, bool no_color_flag) {
  if (no_color_flag) return false;
  if (const char* nc = std::getenv("NO_COLOR"); nc && *nc) return false;
  if (const char* term = std::getenv("TERM"); term && std::strcmp(term, "dumb") == 0) return false;
  return is_terminal(stream);
}

}  // namespace portico::cli

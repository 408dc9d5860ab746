#include "terminal.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "report/reporter.hpp"

namespace portico::cli {

bool is_terminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

bool use_color(std::FILE* stream, bool no_color_flag) {
  if (no_color_flag) return false;
  if (const char* nc = std::getenv("NO_COLOR"); nc && *nc) return false;
  if (const char* term = std::getenv("TERM"); term && std::strcmp(term, "dumb") == 0) return false;
  return is_terminal(stream);
}

void print_findings(const rules::Result& r, std::ostream& out) {
  report::Style style;
  style.excerpts = is_terminal(stderr);
  style.color = use_color(stderr, false);
  report::ValidationReport rep{r.findings, r.documents, r.files, true};
  report::make_reporter("human", style)->write(rep, out);
}

nlohmann::ordered_json json_failure(std::string_view command, int exit_code, const std::string& message,
                                    const std::string& hint) {
  return {{"ok", false}, {"command", command}, {"exit_code", exit_code}, {"message", message}, {"hint", hint}};
}

}  // namespace portico::cli

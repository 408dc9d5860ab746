// One function per command; each wires parsed flags to the library.
#pragma once

#include "commands.hpp"

namespace portico::cli {
int run_validate(const Invocation& inv);
int run_version(const Invocation& inv);
}  // namespace portico::cli

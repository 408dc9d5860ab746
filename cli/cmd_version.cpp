#include <fmt/core.h>

#include <CLI/Version.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "handlers.hpp"
#include "portico/version.hpp"

namespace portico::cli {

int run_version(const Invocation&) {
  std::cout << "portico " << PORTICO_VERSION << "\n"
            << fmt::format("built with yaml-cpp {}, nlohmann/json {}.{}.{}, fmt {}.{}.{}, CLI11 {}\n",
                           PORTICO_YAML_CPP_VERSION, NLOHMANN_JSON_VERSION_MAJOR,
                           NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH, FMT_VERSION / 10000,
                           FMT_VERSION / 100 % 100, FMT_VERSION % 100, CLI11_VERSION);
  return 0;
}

}  // namespace portico::cli

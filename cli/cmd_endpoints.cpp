#include <iostream>

#include "endpoints/resolve.hpp"
#include "handlers.hpp"
#include "project/load.hpp"
#include "report/endpoints_report.hpp"

namespace portico::cli {

int run_endpoints(const Invocation& inv) {
  project::Target t = project::load_target(inv.get("PATH", "."));
  report::write_endpoints(endpoints::resolve(*t.definition, t.meta.get()), inv.get("format", "human"), std::cout);
  return 0;
}

}  // namespace portico::cli

// The gateway's zip reader and what the gateway does with an uploaded
// archive: archive::read_zip (limits as the gateway sets them), then
// project::quick_look and project::accept_project (substring
// classification, api.yaml, the definition, portico's rules), and for an
// accepted archive what the router loads from it (router::load_api).
#include <cstdint>
#include <cstdlib>

#include "archive/zip_reader.hpp"
#include "fuzz_input.hpp"
#include "project/acceptance.hpp"
#include "gateway/router/router.hpp"
#include "util/error.hpp"

using namespace portico;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes = fuzz::as_view(data, size);
  try {
    auto entries = archive::read_zip(bytes);
    for (const auto& e : entries)
      if (e.directory && !e.data.empty()) std::abort();
  } catch (const Error&) {
  }
  (void)project::quick_look(bytes);
  project::Verdict v = project::accept_project(bytes);
  if (v.api) {
    try {
      auto api = gateway::router::load_api(v.api->name, v.api->version, v.api->basepath, {"localhost"}, bytes);
      (void)gateway::router::build_table({api});
    } catch (const Error&) {
    }
  } else if (v.reason.empty()) {
    std::abort();  // a rejection says why
  }
  return 0;
}

// Endpoint URLs: endpoints::parse_url as the adapter parses them, the
// helpers on its result, then the gateway model (endpoints::resolve) of a
// tiny definition whose production list is the fuzzed URL (twice, as a
// failover list, when the first byte is odd).
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "doc/document.hpp"
#include "endpoints/resolve.hpp"
#include "endpoints/url.hpp"
#include "fuzz_input.hpp"

using namespace portico;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw = fuzz::as_view(data, size);
  endpoints::Url u = endpoints::parse_url(raw);
  if (u.ok()) {
    (void)u.scheme_supported(false);
    (void)u.scheme_supported(true);
    (void)u.host_valid();
    (void)u.path_key();
  } else if (u.problem == endpoints::Url::Problem::Unparseable && u.why.empty()) {
    std::abort();  // an unparseable URL says why
  }
  (void)endpoints::duplicate_key(raw);

  std::string quoted = nlohmann::json(std::string(raw)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  bool failover = size > 0 && (data[0] & 1);
  std::string def = "{\"openapi\":\"3.0.1\",\"info\":{\"title\":\"T\",\"version\":\"1.0\"},"
                    "\"x-wso2-basePath\":\"/t\",\"x-wso2-production-endpoints\":{\"urls\":[" +
                    quoted + (failover ? "," + quoted + "],\"type\":\"failover\"}" : "]}") +
                    ",\"paths\":{\"/a\":{\"get\":{\"responses\":{\"200\":{\"description\":\"OK\"}}}}}}";
  doc::Document d = doc::parse("swagger.json", def);
  if (!d.root) std::abort();  // the harness builds valid JSON
  (void)endpoints::resolve(d);
  return 0;
}

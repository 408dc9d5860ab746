// The gateway's handling of an adapter request: the fuzz input is an HTTP
// request as text (see fuzz_input.hpp; Beast's own parsing is in the
// network plugin and not fuzzed here), decoded by gateway::adapter::decode_request
// (query parameters, multipart/form-data) and answered by
// gateway::adapter::Service::handle (tokens, Basic and Bearer authorisation, deploy
// with the archive's acceptance, list, undeploy). The store lives in one
// temporary directory for the process and is emptied after every input, so
// each input starts from the same state.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "crypto/keys.hpp"
#include "fuzz_input.hpp"
#include "gateway/adapter/request.hpp"
#include "gateway/adapter/service.hpp"
#include "gateway/adapter/store.hpp"

using namespace portico;

namespace {

struct World {
  std::filesystem::path dir;
  std::unique_ptr<gateway::adapter::Store> store;
  crypto::Pkey key = crypto::generate_rsa(2048);
  std::unique_ptr<gateway::adapter::Service> service;
  World() {
    char tmpl[] = "/tmp/portico-fuzz-gateway-XXXXXX";
    if (!mkdtemp(tmpl)) std::abort();
    dir = tmpl;
    store = std::make_unique<gateway::adapter::Store>(dir);
    gateway::adapter::ServiceConfig config;
    config.environments = {"Default", "Sandbox"};
    service = std::make_unique<gateway::adapter::Service>(config, *store, key.get(), [] { return 1'700'000'000LL; });
  }
  ~World() {
    service.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  serve::Request h = fuzz::parse_http(fuzz::as_view(data, size));
  gateway::adapter::Request req;
  gateway::adapter::Response res;
  if (auto refused = gateway::adapter::decode_request(h, req))
    res = *refused;
  else
    res = w.service->handle(req);
  if (res.status < 100 || res.status > 599) std::abort();
  for (const auto& d : w.store->list()) w.store->remove(d.name, d.version);
  return 0;
}

// The network module's one exported entry point.
#include "net/module.hpp"

extern "C" __attribute__((visibility("default"))) const portico::netmod::Api* portico_net_module_api() {
  static const portico::netmod::Api api{portico::netmod::kAbi, portico::netmod::make_curl_transport_impl,
                                        portico::netmod::http_check_impl, portico::netmod::run_server_impl};
  return &api;
}

#include "net/module.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "util/error.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;

namespace portico {

namespace netmod {

namespace {

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  if (const char* p = std::getenv("PORTICO_NET_MODULE"); p && *p) out.emplace_back(p);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = exe.parent_path();
    out.push_back(dir / "libportico-net.so");                               // the build tree
    out.push_back(dir / ".." / "libportico-net.so");                        // build/tests
    out.push_back(dir / PORTICO_NET_MODULE_RELDIR / "libportico-net.so");   // the install tree
  }
  return out;
}

}  // namespace

const Api& api() {
  static const Api* loaded = nullptr;
  static std::once_flag once;
  static std::string why;
  std::call_once(once, [] {
    for (const auto& p : candidates()) {
      std::error_code ec;
      if (!fs::exists(p, ec)) continue;
      void* h = ::dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        const char* e = ::dlerror();
        why = e ? e : "dlopen failed";
        continue;
      }
      auto entry = reinterpret_cast<const Api* (*)()>(::dlsym(h, "portico_net_module_api"));
      if (!entry || entry()->abi != kAbi) {
        why = p.string() + " is not this portico's network module";
        continue;
      }
      loaded = entry();
      return;
    }
    if (why.empty()) why = "libportico-net.so was not found beside the portico executable";
  });
  if (!loaded)
    throw Error(ExitCode::Input, "cannot load portico's network module: " + why,
                "reinstall portico, or set PORTICO_NET_MODULE to the path of libportico-net.so");
  return *loaded;
}

}  // namespace netmod

namespace net {

std::unique_ptr<Transport> make_curl_transport(std::function<void(const std::string&)> trace) {
  return netmod::api().make_curl_transport(std::move(trace));
}

std::string redact_header(const std::string& name, const std::string& value) {
  if (text::iequals(name, "authorization") || text::iequals(name, "cookie")) {
    auto sp = value.find(' ');
    return (sp == std::string::npos ? std::string() : value.substr(0, sp + 1)) + "[redacted]";
  }
  return value;
}

}  // namespace net

namespace probe {
std::vector<HttpOutcome> http_check(const std::vector<std::string>& urls, long timeout_ms, const std::string& ca_file,
                                    int parallel) {
  return netmod::api().http_check(urls, timeout_ms, ca_file, parallel);
}
}  // namespace probe

namespace gateway {
void run_server(const ServerConfig& config, const std::function<void(const std::string&)>& on_ready) {
  netmod::api().run_server(config, on_ready);
}
}  // namespace gateway

}  // namespace portico

#include "client/download.hpp"

#include <filesystem>

#include "util/error.hpp"

namespace portico::client {

namespace {

std::string mib(std::size_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

std::string download_definition(net::Transport& transport, const std::string& url, const std::string& ca_file,
                                 std::size_t max_bytes) {
  if (url.rfind("https://", 0) != 0)
    throw Error(ExitCode::Usage, "--oas: only https:// URLs are downloaded (TLS verified)",
                "or download it yourself and pass the file");
  net::HttpRequest req;
  req.url = url;
  if (!ca_file.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(ca_file, ec))
      throw Error(ExitCode::Input, "--ca-cert: cannot read " + ca_file);
    req.ca_file = std::filesystem::absolute(ca_file, ec).string();
  }
  req.timeout_ms = 60000;
  req.max_response_bytes = max_bytes;
  try {
    net::HttpResponse res = transport.send(req);
    if (res.status != 200)
      throw Error(ExitCode::Network, "--oas: " + url + " answered HTTP " + std::to_string(res.status));
    return std::move(res.body);
  } catch (const net::TransportError& e) {
    if (e.failure == net::Failure::TooLarge)
      throw Error(ExitCode::Input, "--oas: " + url + " is larger than the " + mib(max_bytes) +
                                       " limit for --oas downloads; nothing was written",
                  "download it yourself and pass the file with --oas FILE");
    std::string hint;
    if (e.failure == net::Failure::TlsVerify)
      hint = ca_file.empty() ? "if the server's certificate comes from a private CA, pass it with --ca-cert FILE"
                                  : "the server's certificate does not chain to the CA in " + req.ca_file;
    throw Error(ExitCode::Network, "--oas: cannot download " + url + ": " + e.what(), hint);
  }
}

}  // namespace portico::client

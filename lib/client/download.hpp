// `portico init DIR --oas https://...`: a definition fetched over verified
// TLS, bounded, through a net::Transport (the libcurl one in the program, a
// scripted one in the unit tests). Failures are portico::Error with the
// exit code a user expects: a refused URL 2, a document over the limit 3,
// the network or TLS 6.
#pragma once

#include <cstddef>
#include <string>

#include "net/http.hpp"

namespace portico::client {

// The largest definition `init --oas URL` downloads (a local file may be larger).
inline constexpr std::size_t kMaxDownloadBytes = 32u << 20;

// The body of a 200 answer to GET url (https:// only), at most max_bytes:
// the body is never read past that (a larger Content-Length is refused from
// the head). ca_file: a PEM bundle that replaces the system store; empty:
// the system store. The whole exchange may take 60 s.
std::string download_definition(net::Transport& transport, const std::string& url, const std::string& ca_file = {},
                                 std::size_t max_bytes = kMaxDownloadBytes);

}  // namespace portico::client

// The adapter's REST API over HTTP, decoded: an HTTP request (serve::Request)
// becomes the service's Request (query parameters percent-decoded, the
// multipart part named "file" found), or is refused before the service.
// Pure, no sockets: the server (server.cpp) and the fuzz target use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/adapter/service.hpp"
#include "serve/http.hpp"

namespace portico::gateway::adapter {

// Percent-decoding of a query component ('+' is a space, as in forms).
std::string url_decode(std::string_view s);

// The multipart/form-data part named `name`: a view into body.
std::optional<std::string_view> multipart_part(std::string_view body, std::string_view content_type,
                                               std::string_view name);

// Fills `out` from `h` (a request whose path is below kBasePath) and
// returns nullopt, or returns the answer when the service is not asked: 404
// outside the base path, 411 for a chunked upload. `out.file` is a view
// into h.body.
std::optional<Response> decode_request(const serve::Request& h, Request& out);

}  // namespace portico::gateway::adapter

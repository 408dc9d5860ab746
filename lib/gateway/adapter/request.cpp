#include "gateway/adapter/request.hpp"

#include "util/text.hpp"

namespace portico::gateway::adapter {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// Percent-decoding of a query component ('+' is a space, as in forms).
std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The multipart/form-data part named `name`: a view into body.
std::optional<std::string_view> multipart_part(std::string_view body, std::string_view content_type,
                                               std::string_view name) {
  auto b = content_type.find("boundary=");
  if (b == std::string_view::npos) return std::nullopt;
  std::string boundary(content_type.substr(b + 9));
  if (auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  std::string delim = "--" + boundary;
  std::size_t pos = body.find(delim);
  while (pos != std::string_view::npos) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;
    auto head_start = body.find("\r\n", pos);
    if (head_start == std::string_view::npos) break;
    head_start += 2;
    auto head_end = body.find("\r\n\r\n", head_start);
    if (head_end == std::string_view::npos) break;
    std::string_view headers = body.substr(head_start, head_end - head_start);
    std::size_t content = head_end + 4;
    auto next = body.find("\r\n" + delim, content);
    if (next == std::string_view::npos) break;
    std::string lower = text::to_lower(headers);
    std::string wanted = "name=\"" + text::to_lower(name) + "\"";
    auto cd = lower.find("content-disposition:");
    if (cd != std::string::npos) {
      auto line_end = lower.find("\r\n", cd);
      std::string line = lower.substr(cd, line_end == std::string::npos ? std::string::npos : line_end - cd);
      auto at = line.find(wanted);
      if (at != std::string::npos && (at == 0 || line[at - 1] == ' ' || line[at - 1] == ';'))
        return body.substr(content, next - content);
    }
    pos = next + 2;
  }
  return std::nullopt;
}

std::optional<Response> decode_request(const serve::Request& h, Request& req) {
  std::string path = h.path();
  if (path.rfind(std::string(kBasePath) + "/", 0) != 0) return error_response(404, "no such resource: " + path);
  std::string te = text::to_lower(h.header("Transfer-Encoding"));
  if (h.method != "GET" && te.find("chunked") != std::string::npos)
    // Refused before it is used, as before: send uploads with a Content-Length.
    return error_response(411, "send the upload with a Content-Length (chunked uploads are not accepted)");
  req.method = h.method;
  req.path = path.substr(kBasePath.size());
  std::string query = h.query();  // split() gives views into it
  for (auto kv : text::split(query, '&')) {
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    req.params.emplace(url_decode(kv.substr(0, eq)), eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1)));
  }
  req.authorization = h.header("Authorization");
  std::string ct = h.header("Content-Type");
  req.multipart = text::to_lower(ct).rfind("multipart/form-data", 0) == 0;
  if (req.multipart) {
    // A view, not a copy: the upload may be tens of megabytes.
    auto part = multipart_part(h.body, ct, "file");
    req.has_file = part.has_value();
    if (part) req.file = *part;
  } else {
    req.body = h.body;
  }
  return std::nullopt;
}

}  // namespace portico::gateway::adapter

// Test support: a small, blocking HTTP(S) client on libcurl. Generic: it
// knows nothing about the gateway, so client-side tests can reuse it.
//
// Every request uses a fresh connection (no keep-alive between calls), never
// an environment proxy unless asked, and bounded timeouts. TLS verification
// is on unless a test explicitly turns it off.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portico::test {

// One part of a multipart/form-data body. With a filename, the part is sent
// as a file upload (Content-Disposition: form-data; name=..; filename=..).
struct MultipartPart {
  std::string name;
  std::string data;
  std::string filename;      // "" = a plain form field
  std::string content_type;  // "" = curl's default
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // raw "Name: value" lines, sent as given
  std::string body;                  // sent when non-empty, or for POST/PUT/PATCH
  std::vector<MultipartPart> parts;  // non-empty = multipart/form-data body (replaces body)

  // Authentication helpers; both add an Authorization header.
  std::optional<std::pair<std::string, std::string>> basic;  // user, password
  std::optional<std::string> bearer;

  // TLS.
  std::string ca_file;          // CURLOPT_CAINFO; "" = the system store
  bool verify = true;           // false = CURLOPT_SSL_VERIFYPEER/HOST off (only for tests that mean it)
  long ssl_version = 0;         // CURLOPT_SSLVERSION value (CURL_SSLVERSION_* | CURL_SSLVERSION_MAX_*); 0 = default
  std::string ssl_cipher_list;  // CURLOPT_SSL_CIPHER_LIST; "" = default

  long timeout_ms = 20000;
  long connect_timeout_ms = 5000;
  bool use_env_proxy = false;  // by default http_proxy & co. are ignored
};

struct HttpResponse {
  long status = 0;  // 0 when the request failed (see error)
  std::string body;
  std::string content_type;  // the Content-Type header, as sent
  std::multimap<std::string, std::string> headers;  // lower-case names, of the final response
  int curl_code = 0;        // CURLcode; 0 = transfer completed
  std::string error;        // curl's error text when the request failed, else ""
  double elapsed_ms = 0;

  bool ok() const { return curl_code == 0; }
  std::string header(const std::string& lower_name) const;  // first value or ""
};

HttpResponse http_request(const HttpRequest& req);

// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);
// Standard base64 (with padding), e.g. for hand-made Authorization headers.
std::string base64_encode(std::string_view s);

}  // namespace portico::test

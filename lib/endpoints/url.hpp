// Endpoint URLs, parsed the way the Choreo Connect adapter parses them
// (adapter.md section 3): trim, prefix http:// when there is no "://",
// then host, port and path.
#pragma once

#include <string>
#include <string_view>

namespace portico::endpoints {

struct Url {
  enum class Problem { None, Empty, Relative, Unparseable };
  Problem problem = Problem::None;
  std::string why;      // for Unparseable: what is wrong
  std::string text;     // trimmed, with http:// prefixed when there was no scheme
  bool scheme_given = true;
  std::string scheme;   // as written (case kept)
  std::string host;     // as written; for [v6] literals, with brackets
  std::string port_text;
  long port = 0;        // effective: explicit, else 80/443
  std::string path;     // may be empty
  bool has_userinfo = false, has_query = false, has_fragment = false;

  bool ok() const { return problem == Problem::None; }
  bool scheme_supported(bool websocket) const;
  bool host_valid() const;  // ^[a-zA-Z0-9][a-zA-Z0-9-.]*[0-9a-zA-Z]$
  // Path with one trailing '/' removed, for comparing lists.
  std::string_view path_key() const;
};

Url parse_url(std::string_view raw);

// A URL as compared for duplicates: trimmed, one trailing '/' removed.
std::string_view duplicate_key(std::string_view raw);

}  // namespace portico::endpoints

#include "endpoints/url.hpp"

#include <cctype>

#include "util/text.hpp"

namespace portico::endpoints {

namespace {
bool scheme_word(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  return true;
}
}  // namespace

bool Url::scheme_supported(bool websocket) const {
  if (scheme == "http" || scheme == "https") return true;
  return websocket && (scheme == "ws" || scheme == "wss");
}

bool Url::host_valid() const {
  if (host.size() < 2) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(host.front()) || !alnum(host.back())) return false;
  for (char c : host)
    if (!alnum(c) && c != '-' && c != '.') return false;
  return true;
}

std::string_view Url::path_key() const {
  std::string_view p = path;
  if (!p.empty() && p.back() == '/') p.remove_suffix(1);
  return p;
}

Url parse_url(std::string_view raw) {
  Url u;
  std::string_view t = text::trim(raw);
  if (t.empty()) {
    u.problem = Url::Problem::Empty;
    u.why = "the URL is empty";
    return u;
  }
  if (t.front() == '/') {
    u.problem = Url::Problem::Relative;
    u.why = "a relative URL: the gateway needs scheme://host[:port]/path";
    return u;
  }
  std::string_view rest;
  auto sep = t.find("://");
  if (sep == std::string_view::npos) {
    u.scheme_given = false;
    u.scheme = "http";
    u.text = "http://" + std::string(t);
    auto colon = t.find(':');
    if (colon != std::string_view::npos && scheme_word(t.substr(0, colon)) &&
        (colon + 1 >= t.size() || !std::isdigit(static_cast<unsigned char>(t[colon + 1])))) {
      u.problem = Url::Problem::Unparseable;
      u.why = "'" + std::string(t.substr(0, colon + 1)) + "' looks like a scheme without '//'";
      return u;
    }
    rest = t;
  } else {
    u.scheme = std::string(t.substr(0, sep));
    u.text = std::string(t);
    if (!scheme_word(u.scheme)) {
      u.problem = Url::Problem::Unparseable;
      u.why = u.scheme.empty() ? "nothing before '://'" : "'" + u.scheme + "' is not a scheme";
      return u;
    }
    rest = t.substr(sep + 3);
  }
  auto auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    u.has_userinfo = true;
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      u.problem = Url::Problem::Unparseable;
      u.why = "an unclosed '[' in the host";
      return u;
    }
    host = authority.substr(0, close + 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        u.problem = Url::Problem::Unparseable;
        u.why = "unexpected text after the host";
        return u;
      }
      port = after.substr(1);
      if (port.empty() || !text::is_all_digits(port)) {
        u.problem = Url::Problem::Unparseable;
        u.why = "the port '" + std::string(port) + "' is not a number";
        return u;
      }
    }
  } else if (auto c1 = authority.find(':'); c1 != std::string_view::npos) {
    if (authority.find(':', c1 + 1) != std::string_view::npos) {
      u.problem = Url::Problem::Unparseable;
      u.why = "more than one ':' before the path";
      return u;
    }
    host = authority.substr(0, c1);
    port = authority.substr(c1 + 1);
    if (port.empty() || !text::is_all_digits(port)) {
      u.problem = Url::Problem::Unparseable;
      u.why = "the port '" + std::string(port) + "' is not a number";
      return u;
    }
  }
  u.host = std::string(host);
  u.port_text = std::string(port);
  if (!port.empty()) {
    u.port = port.size() > 6 ? 999999 : std::stol(std::string(port));
  } else {
    u.port = (u.scheme == "https" || u.scheme == "wss") ? 443 : 80;
  }
  auto q = tail.find_first_of("?#");
  u.path = std::string(tail.substr(0, q));
  if (q != std::string_view::npos) {
    auto frag = tail.find('#');
    u.has_fragment = frag != std::string_view::npos;
    u.has_query = tail[q] == '?';
  }
  return u;
}

std::string_view duplicate_key(std::string_view raw) {
  std::string_view t = text::trim(raw);
  if (!t.empty() && t.back() == '/') t.remove_suffix(1);
  return t;
}

}  // namespace portico::endpoints

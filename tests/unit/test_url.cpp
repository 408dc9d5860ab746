#include <doctest/doctest.h>

#include "endpoints/url.hpp"

using portico::endpoints::parse_url;
using portico::endpoints::Url;

TEST_CASE("url: a full URL splits into scheme, host, port and path") {
  Url u = parse_url("  https://backend.example.com:8443/v1/ ");
  REQUIRE(u.ok());
  CHECK(u.scheme == "https");
  CHECK(u.host == "backend.example.com");
  CHECK(u.port == 8443);
  CHECK(u.path == "/v1/");
  CHECK(u.path_key() == "/v1");
  CHECK(u.host_valid());
}

TEST_CASE("url: default ports and a missing scheme") {
  CHECK(parse_url("http://a.example.com").port == 80);
  CHECK(parse_url("https://a.example.com").port == 443);
  Url u = parse_url("backend:8080/v2");
  REQUIRE(u.ok());
  CHECK_FALSE(u.scheme_given);
  CHECK(u.text == "http://backend:8080/v2");
  CHECK(u.port == 8080);
}

TEST_CASE("url: what the adapter cannot parse") {
  CHECK(parse_url("").problem == Url::Problem::Empty);
  CHECK(parse_url("   ").problem == Url::Problem::Empty);
  CHECK(parse_url("/v1/pets").problem == Url::Problem::Relative);
  CHECK(parse_url("http:..mockBackend/v2").problem == Url::Problem::Unparseable);
  CHECK(parse_url("http::80").problem == Url::Problem::Unparseable);
  CHECK(parse_url("http://a:b:c/x").problem == Url::Problem::Unparseable);
  CHECK(parse_url("http://host:port/x").problem == Url::Problem::Unparseable);
  CHECK(parse_url("://host/x").problem == Url::Problem::Unparseable);
}

TEST_CASE("url: hosts the gateway rejects") {
  CHECK_FALSE(parse_url("http://my_host/x").host_valid());
  CHECK_FALSE(parse_url("http://a/x").host_valid());
  CHECK_FALSE(parse_url("http://[::1]:8080/x").host_valid());
  CHECK_FALSE(parse_url("http://{host}/x").host_valid());
  CHECK_FALSE(parse_url("http://-a.com/x").host_valid());
  CHECK(parse_url("http://10.0.0.1:80/x").host_valid());
}

TEST_CASE("url: query, fragment and user-info are noticed") {
  Url u = parse_url("http://user:pw@a.example.com/x?y=1#z");
  REQUIRE(u.ok());
  CHECK(u.has_userinfo);
  CHECK(u.has_query);
  CHECK(u.has_fragment);
  CHECK(u.path == "/x");
}

TEST_CASE("url: schemes are case-sensitive, ws only for WebSocket APIs") {
  CHECK_FALSE(parse_url("HTTP://a.example.com").scheme_supported(false));
  CHECK_FALSE(parse_url("ws://a.example.com").scheme_supported(false));
  CHECK(parse_url("ws://a.example.com").scheme_supported(true));
}

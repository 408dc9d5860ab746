#include <doctest/doctest.h>

#include "util/text.hpp"

using namespace portico;

TEST_CASE("text: trim removes surrounding white space only") {
  CHECK(text::trim("  a b \t\n") == "a b");
  CHECK(text::trim("   ").empty());
  CHECK(text::trim("") == "");
}

TEST_CASE("text: edit distance, with an early stop past the limit") {
  CHECK(text::edit_distance("x-wso2-production-endpoint", "x-wso2-production-endpoints", 3) == 1);
  CHECK(text::edit_distance("kitten", "sitting", 5) == 3);
  CHECK(text::edit_distance("abc", "abc", 3) == 0);
  CHECK(text::edit_distance("a", "abcdefgh", 3) == 4);  // limit + 1
}

TEST_CASE("text: invalid UTF-8 is located, valid multi-byte text passes") {
  CHECK(text::invalid_utf8_offset("plain ascii") == std::string_view::npos);
  CHECK(text::invalid_utf8_offset("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == std::string_view::npos);
  CHECK(text::invalid_utf8_offset("ab\xFF") == 2);
  CHECK(text::invalid_utf8_offset("ab\xC3") == 2);             // truncated
  CHECK(text::invalid_utf8_offset("\xC0\xAF") == 0);           // overlong
  CHECK(text::invalid_utf8_offset("x\xED\xA0\x80") == 1);      // surrogate
}

TEST_CASE("text: case-insensitive comparison and splitting") {
  CHECK(text::iequals("Failover", "FAILOVER"));
  CHECK_FALSE(text::iequals("failover", "failover2"));
  auto parts = text::split("x-wso2-prod", '-');
  REQUIRE(parts.size() == 3);
  CHECK(parts[2] == "prod");
}

// Generic string helpers. No domain knowledge here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portico::text {

std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::vector<std::string_view> split(std::string_view s, char sep);
std::string replace_all(std::string s, std::string_view from, std::string_view to);

// Levenshtein edit distance; stops early and returns limit+1 once the
// distance is known to exceed `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// Offset of the first byte that is not part of valid UTF-8, or npos.
std::size_t invalid_utf8_offset(std::string_view s);

bool is_all_digits(std::string_view s);

// RFC 3986 percent-encoding: unreserved characters (and those in `keep`)
// stay as they are, every other byte becomes %XX.
std::string percent_encode(std::string_view s, std::string_view keep = {});

// Quotes a value for messages: `value`, shortened when long.
std::string quote(std::string_view s, std::size_t max = 60);

}  // namespace portico::text

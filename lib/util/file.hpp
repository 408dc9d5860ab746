// Reading and writing files, with errors mapped to portico::Error.
#pragma once

#include <filesystem>
#include <string>

namespace portico::file {

// Whole file as bytes. Throws Error(Input) when missing or unreadable, or
// larger than max_bytes.
std::string read(const std::filesystem::path& path,
                 std::size_t max_bytes = std::size_t{1} << 30);

// Writes via a temporary file in the same directory plus rename, so that
// readers see either the old or the new content, never a half-written file.
void write_atomic(const std::filesystem::path& path, std::string_view content,
                  std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                std::filesystem::perms::owner_write |
                                                std::filesystem::perms::group_read |
                                                std::filesystem::perms::others_read);

}  // namespace portico::file

// Writing a zip archive deterministically: entries sorted by name, fixed
// timestamps and permissions, deflate at a fixed level, so that the same
// inputs give byte-identical archives. File contents are streamed from disk
// by libzip, never held whole in memory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace portico::archive {

struct ZipInput {
  std::string name;               // entry name, '/' separators
  std::filesystem::path source;   // a file to stream from, or
  std::string data;               // literal content when source is empty
};

// Writes `entries` to `out` (replacing it). Throws Error(Input) on failure;
// a partly written file is removed.
void write_zip(const std::filesystem::path& out, std::vector<ZipInput> entries);

}  // namespace portico::archive

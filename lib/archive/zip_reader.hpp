// Reading a zip archive held in memory (libzip), bounded: a zip bomb or a
// huge entry count stops with an error instead of exhausting memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace portico::archive {

struct ZipLimits {
  std::size_t max_entries = 10000;
  std::uint64_t max_entry_bytes = 64ull << 20;
  std::uint64_t max_total_bytes = 256ull << 20;
};

struct ZipEntry {
  std::string name;  // as stored, '/' separators
  bool directory = false;
  std::string data;  // empty for directories and for entries not loaded
  bool loaded = false;
  std::uint64_t size = 0;  // the inflated size the archive declares (loaded or not)
};

// "64 MiB" for whole MiB, else "N bytes": how the limits are stated in messages.
std::string size_text(std::uint64_t bytes);

// Entries in archive order. Only the entries `load` selects are inflated
// (all when it is empty), so that a large archive is never unpacked whole.
// Throws Error(Input) when `bytes` is not a zip, is damaged, or exceeds the
// limits: the entry count always, the sizes of the entries it loads.
std::vector<ZipEntry> read_zip(std::string_view bytes, const ZipLimits& limits = {},
                               const std::function<bool(std::string_view)>& load = {});

}  // namespace portico::archive

#include "archive/zip_reader.hpp"

#include <zip.h>

#include <memory>

#include "util/error.hpp"

namespace portico::archive {

namespace {
[[noreturn]] void bad(const std::string& why) { throw Error(ExitCode::Input, "not a valid zip archive: " + why); }
}  // namespace

std::string size_text(std::uint64_t bytes) {
  return bytes % (1u << 20) == 0 && bytes ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

std::vector<ZipEntry> read_zip(std::string_view bytes, const ZipLimits& limits,
                               const std::function<bool(std::string_view)>& load) {
  // The smallest zip is its 22-byte end record; libzip would take less as empty.
  if (bytes.size() < 22) bad(bytes.empty() ? "it is empty" : "it is too short");
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (!src) bad(zip_error_strerror(&err));
  zip_t* za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!za) {
    std::string why = zip_error_strerror(&err);
    zip_source_free(src);
    zip_error_fini(&err);
    bad(why);
  }
  std::unique_ptr<zip_t, decltype(&zip_discard)> guard(za, zip_discard);
  zip_int64_t n = zip_get_num_entries(za, 0);
  if (n < 0) bad("cannot count its entries");
  if (static_cast<std::size_t>(n) > limits.max_entries)
    bad(std::to_string(n) + " entries, more than the limit of " + std::to_string(limits.max_entries));
  std::vector<ZipEntry> out;
  std::uint64_t total = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(n); ++i) {
    zip_stat_t st;
    if (zip_stat_index(za, i, 0, &st) != 0) bad(zip_strerror(za));
    ZipEntry e;
    e.name = st.name ? st.name : "";
    e.directory = !e.name.empty() && e.name.back() == '/';
    e.size = st.size;
    if (!e.directory && (!load || load(e.name))) {
      e.loaded = true;
      if (st.size > limits.max_entry_bytes)
        bad("entry " + e.name + " inflates to " + std::to_string(st.size) + " bytes, more than the limit of " +
            size_text(limits.max_entry_bytes) + " per entry");
      total += st.size;
      if (total > limits.max_total_bytes)
        bad("the entries inflate to more than the limit of " + size_text(limits.max_total_bytes) + " in all");
      std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(zip_fopen_index(za, i, 0), zip_fclose);
      if (!f) bad("cannot open entry " + e.name + ": " + zip_strerror(za));
      e.data.resize(st.size);
      zip_int64_t got = 0;
      while (static_cast<zip_uint64_t>(got) < st.size) {
        zip_int64_t r = zip_fread(f.get(), e.data.data() + got, st.size - static_cast<zip_uint64_t>(got));
        if (r <= 0) bad("cannot read entry " + e.name);
        got += r;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace portico::archive

#include "archive/zip_writer.hpp"

#include <zip.h>

#include <algorithm>

#include "util/error.hpp"

namespace portico::archive {

namespace {
// 2000-01-01 00:00:00 UTC: a fixed time for every entry.
constexpr time_t kFixedTime = 946684800;
constexpr zip_uint32_t kFileMode = 0100644;
}  // namespace

void write_zip(const std::filesystem::path& out, std::vector<ZipInput> entries) {
  std::sort(entries.begin(), entries.end(), [](const ZipInput& a, const ZipInput& b) { return a.name < b.name; });
  std::error_code ec;
  std::filesystem::remove(out, ec);
  int err = 0;
  zip_t* za = zip_open(out.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw Error(ExitCode::Input, "cannot create " + out.string() + ": " + why);
  }
  auto fail = [&](const std::string& why) {
    zip_discard(za);
    std::filesystem::remove(out, ec);
    throw Error(ExitCode::Input, "cannot write " + out.string() + ": " + why);
  };
  for (const auto& e : entries) {
    zip_source_t* src = e.source.empty()
                            ? zip_source_buffer(za, e.data.data(), e.data.size(), 0)
                            : zip_source_file(za, e.source.c_str(), 0, -1);
    if (!src) fail(std::string(zip_strerror(za)) + " (" + e.name + ")");
    zip_int64_t idx = zip_file_add(za, e.name.c_str(), src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (idx < 0) {
      zip_source_free(src);
      fail(std::string(zip_strerror(za)) + " (" + e.name + ")");
    }
    auto i = static_cast<zip_uint64_t>(idx);
    if (zip_set_file_compression(za, i, ZIP_CM_DEFLATE, 6) != 0 || zip_file_set_mtime(za, i, kFixedTime, 0) != 0 ||
        zip_file_set_external_attributes(za, i, 0, ZIP_OPSYS_UNIX, kFileMode << 16) != 0)
      fail(zip_strerror(za));
  }
  if (zip_close(za) != 0) fail(zip_strerror(za));
}

}  // namespace portico::archive

// A temporary file that is removed on every exit path: by the destructor,
// and by a SIGINT/SIGTERM/SIGHUP handler for the files alive at that moment,
// with any `PATH.*` sibling a writer (libzip) was building it in.
#pragma once

#include <filesystem>
#include <string>

namespace portico {

class TempFile {
 public:
  explicit TempFile(const std::string& suffix = "");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int slot_ = -1;
};

}  // namespace portico

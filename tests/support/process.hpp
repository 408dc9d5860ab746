// Test support: run a program with arguments, optional stdin and extra
// environment, and capture its exit status, stdout and stderr.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace portico::test {

// Under AddressSanitizer everything is several times slower and freed memory
// sits in ASan's quarantine instead of going back to the system: memory
// figures are not the program's own.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif


struct ProcessResult {
  int exit_code = -1;
  std::string out, err;
};

ProcessResult run(const std::vector<std::string>& argv, const std::string& input = {},
                  const std::map<std::string, std::string>& env = {}, const std::string& cwd = {});

// The built binary (PORTICO_BINARY, set by CMake).
std::string portico_binary();
// ../shared beside the checkout, or "" when absent.
std::string shared_dir();
// A fresh temporary directory, removed by the returned guard's destructor.
struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
};
void write_file(const std::string& path, const std::string& content);
// The bytes of a file, or "" when it cannot be read.
std::string read_file(const std::string& path);
// An executable on PATH (or in /usr/local/bin, /usr/bin, /bin), or "".
std::string find_program(const std::string& name);

}  // namespace portico::test

#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace portico::file {

namespace {
std::string errno_text(int err) { return std::strerror(err); }
}  // namespace

std::string read(const fs::path& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      throw Error(ExitCode::Input, "cannot read " + path.string() + ": no such file or directory",
                  "check the path");
    throw Error(ExitCode::Input, "cannot read " + path.string() + ": " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error(ExitCode::Input, "cannot read " + path.string() + ": it is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    // A FIFO would hang, a device (/dev/zero) never ends: only regular files.
    ::close(fd);
    std::string what = S_ISFIFO(st.st_mode)   ? "a named pipe (FIFO)"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                                              : "not a regular file";
    throw Error(ExitCode::Input, "cannot read " + path.string() + ": it is " + what + ", not a regular file",
                "save the input to a file first");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw Error(ExitCode::Input, "cannot read " + path.string() + ": larger than " +
                                     std::to_string(max_bytes >> 20) + " MiB");
  }
  std::string data;
  data.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw Error(ExitCode::Input, "cannot read " + path.string() + ": " + errno_text(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > max_bytes) {
      ::close(fd);
      throw Error(ExitCode::Input, "cannot read " + path.string() + ": larger than " +
                                       std::to_string(max_bytes >> 20) + " MiB");
    }
  }
  ::close(fd);
  return data;
}

void write_atomic(const fs::path& path, std::string_view content, fs::perms mode) {
  auto dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::random_device rd;
  auto tmp = dir / ("." + path.filename().string() + ".tmp-" + std::to_string(rd()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  static_cast<mode_t>(mode));
  if (fd < 0)
    throw Error(ExitCode::Input, "cannot write " + path.string() + ": " + errno_text(errno));
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(ExitCode::Input, "cannot write " + path.string() + ": " + errno_text(err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(ExitCode::Input, "cannot write " + path.string() + ": " + errno_text(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(ExitCode::Input, "cannot write " + path.string() + ": " + errno_text(err));
  }
}

}  // namespace portico::file

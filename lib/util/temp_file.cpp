#include "util/temp_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "util/error.hpp"

namespace portico {

namespace {

constexpr int kSlots = 16;
// Paths the signal handler removes; a slot holds a heap string or null.
std::atomic<char*> g_slots[kSlots];

// Removes `path` and every sibling named `path.*`: writers such as libzip
// build the file as `path.XXXXXX` and rename it at the end, so an interrupt
// in the middle leaves that sibling, not `path`. Async-signal-safe: only
// open, getdents64, unlinkat and close, no allocation.
void remove_with_siblings(const char* path) {
  ::unlink(path);
  const char* slash = std::strrchr(path, '/');
  if (!slash) return;
  char dir[4096];
  std::size_t dlen = static_cast<std::size_t>(slash - path);
  if (dlen == 0) dlen = 1;  // "/name"
  if (dlen >= sizeof dir) return;
  std::memcpy(dir, path, dlen);
  dir[dlen] = '\0';
  const char* base = slash + 1;
  std::size_t blen = std::strlen(base);
  if (blen == 0) return;
  int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[8192];
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name
      unsigned short reclen;
      std::memcpy(&reclen, buf + off + 16, sizeof reclen);
      const char* name = buf + off + 19;
      if (std::strncmp(name, base, blen) == 0 && name[blen] == '.' && name[blen + 1] != '\0')
        ::unlinkat(fd, name, 0);
      off += reclen;
    }
  }
  ::close(fd);
}

void on_signal(int sig) {
  for (auto& s : g_slots)
    if (char* p = s.load()) remove_with_siblings(p);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      struct sigaction old {};
      ::sigaction(sig, nullptr, &old);
      if (old.sa_handler == SIG_DFL) ::sigaction(sig, &sa, nullptr);
    }
  });
}

}  // namespace

TempFile::TempFile(const std::string& suffix) {
  install_handlers();
  std::string tmpl = (std::filesystem::temp_directory_path() / ("portico-XXXXXX" + suffix)).string();
  int fd = ::mkstemps(tmpl.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw Error(ExitCode::Input, "cannot create a temporary file: " + std::string(std::strerror(errno)));
  ::close(fd);
  path_ = tmpl;
  char* copy = ::strdup(tmpl.c_str());
  for (int i = 0; i < kSlots; ++i) {
    char* expected = nullptr;
    if (g_slots[i].compare_exchange_strong(expected, copy)) {
      slot_ = i;
      return;
    }
  }
  ::free(copy);  // all slots busy: the destructor still removes it
}

TempFile::~TempFile() {
  if (slot_ >= 0) ::free(g_slots[slot_].exchange(nullptr));
  remove_with_siblings(path_.c_str());
}

}  // namespace portico

#include "util/temp_file.hpp"

#include <signal.h>
#include <stdlib.h>
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

void on_signal(int sig) {
  for (auto& s : g_slots)
    if (char* p = s.load()) ::unlink(p);  // async-signal-safe
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
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace portico

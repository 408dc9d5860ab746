// Test support: a long-running child process with its stdout and stderr
// drained in the background (ChildProcess), `portico gateway` started on a
// free loopback port (GatewayProcess), and one with a data directory of its
// own (TempGateway).
//
// Header-only on purpose (no CMake change needed). Every wait is bounded:
// the gateway's "listening" line within 20 s, a stop within 10 s before
// SIGKILL.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

extern char** environ;

namespace portico::test {

class ChildProcess {
 public:
  // argv[0] must be a path (no PATH search) unless search_path is true.
  // env entries are added to (or replace) the inherited environment; a value
  // of "\x01unset" removes the variable.
  explicit ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                        bool pipe_stdin = false, bool search_path = false, const std::string& cwd = {}) {
    signal(SIGPIPE, SIG_IGN);  // a write to a child that died must fail, not kill the test
    int out[2], err[2], in[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(wake_, O_CLOEXEC))
      throw std::runtime_error("pipe failed");
    if (pipe_stdin && pipe2(in, O_CLOEXEC)) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (pipe_stdin)
      posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    else
      posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      if (!env.count(kv.substr(0, kv.find('=')))) envs.push_back(kv);
    }
    for (const auto& [k, v] : env)
      if (v != "\x01unset") envs.push_back(k + "=" + v);
    std::vector<char*> cargv, cenv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
    int rc = search_path ? posix_spawnp(&pid_, cargv[0], &fa, nullptr, cargv.data(), cenv.data())
                         : posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    if (pipe_stdin) {
      close(in[0]);
      in_ = in[1];
    }
    if (rc != 0) {
      close(out[0]);
      close(err[0]);
      close(wake_[0]);
      close(wake_[1]);
      if (in_ >= 0) close(in_);
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    out_fd_ = out[0];
    err_fd_ = err[0];
    drain_ = std::thread([this] { drain(); });
  }

  ~ChildProcess() {
    terminate();
    wait_drained(std::chrono::seconds(2));
    char b = 1;
    [[maybe_unused]] auto w = write(wake_[1], &b, 1);
    if (drain_.joinable()) drain_.join();
    close(out_fd_);
    close(err_fd_);
    close(wake_[0]);
    close(wake_[1]);
    if (in_ >= 0) close(in_);
  }

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The next line of stdout (without '\n'), or nullopt on EOF or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = out_.find('\n', out_pos_);
      if (nl != std::string::npos) {
        std::string line = out_.substr(out_pos_, nl - out_pos_);
        out_pos_ = nl + 1;
        return line;
      }
      if (out_eof_) return std::nullopt;
      if (cv_.wait_until(lk, deadline) == std::cv_status::timeout) {
        nl = out_.find('\n', out_pos_);
        if (nl == std::string::npos) return std::nullopt;
      }
    }
  }

  // Waits (bounded) until stderr contains needle; returns whether it did.
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return err_.find(needle) != std::string::npos || err_eof_; }) &&
           err_.find(needle) != std::string::npos;
  }

  std::string stdout_text() {
    std::lock_guard lk(mu_);
    return out_;
  }
  std::string stderr_text() {
    std::lock_guard lk(mu_);
    return err_;
  }

  bool write_stdin(const std::string& data) {
    std::size_t done = 0;
    while (in_ >= 0 && done < data.size()) {
      ssize_t w = write(in_, data.data() + done, data.size() - done);
      if (w <= 0) return false;
      done += static_cast<std::size_t>(w);
    }
    return done == data.size();
  }
  void close_stdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }

  // Exit status if the process has ended (code, or 128+signal), else nullopt.
  std::optional<int> poll_exit() {
    if (status_) return status_;
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status_;
  }

  // Waits at most `timeout` for the process to end.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!poll_exit()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
  }

  // Sends sig, waits at most `grace`, then SIGKILL. Returns the exit status
  // (128+9 when it had to be killed).
  int terminate(int sig = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(10)) {
    if (poll_exit()) return *status_;
    kill(pid_, sig);
    if (auto s = wait_exit(grace)) {
      wait_drained(std::chrono::seconds(2));
      return *s;
    }
    killed_ = true;
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    status_ = 128 + SIGKILL;
    wait_drained(std::chrono::seconds(2));
    return *status_;
  }

  // After the process ended: waits (bounded) until its output is all read.
  bool wait_drained(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return out_eof_ && err_eof_; });
  }
  bool had_to_kill() const { return killed_; }

 private:
  void drain() {
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
      pollfd fds[3];
      int n = 0;
      fds[n++] = {wake_[0], POLLIN, 0};
      if (out_open) fds[n++] = {out_fd_, POLLIN, 0};
      if (err_open) fds[n++] = {err_fd_, POLLIN, 0};
      if (poll(fds, n, 1000) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[0].revents) break;
      for (int i = 1; i < n; ++i) {
        if (!fds[i].revents) continue;
        char buf[65536];
        ssize_t got = read(fds[i].fd, buf, sizeof buf);
        std::lock_guard lk(mu_);
        bool is_out = fds[i].fd == out_fd_;
        if (got > 0) {
          (is_out ? out_ : err_).append(buf, static_cast<std::size_t>(got));
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
          (is_out ? out_open : err_open) = false;
          (is_out ? out_eof_ : err_eof_) = true;
        }
        cv_.notify_all();
      }
    }
    std::lock_guard lk(mu_);
    out_eof_ = err_eof_ = true;
    cv_.notify_all();
  }

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1, in_ = -1;
  int wake_[2] = {-1, -1};
  std::thread drain_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;
  std::size_t out_pos_ = 0;
  bool out_eof_ = false, err_eof_ = false;
  std::optional<int> status_;
  bool killed_ = false;
};

// `portico gateway ARGS...` on 127.0.0.1 with a free port (unless ARGS has
// --listen). The constructor returns once the gateway printed its
// "listening" line (at most 20 s), else throws with the gateway's stderr.
class GatewayProcess {
 public:
  explicit GatewayProcess(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
                          const std::string& cwd = {}, std::chrono::milliseconds startup = std::chrono::seconds(20),
                          const std::vector<std::string>& prefix = {}) {
    bool has_listen = false;
    for (const auto& a : args) has_listen = has_listen || a == "--listen" || a.rfind("--listen=", 0) == 0;
    if (!has_listen) {
      args.insert(args.begin(), "127.0.0.1:0");
      args.insert(args.begin(), "--listen");
    }
    // The router too gets a free port unless the test says otherwise, so
    // that gateways of tests running in parallel never meet on 9095.
    bool has_router = false;
    for (const auto& a : args)
      has_router = has_router || a == "--router-listen" || a.rfind("--router-listen=", 0) == 0 || a == "--no-router";
    if (!has_router) {
      args.insert(args.begin(), "127.0.0.1:0");
      args.insert(args.begin(), "--router-listen");
    }
    args.insert(args.begin(), "gateway");
    args.insert(args.begin(), portico_binary());
    // A wrapper that ends in exec of the rest (e.g. unshare ... sh -c '... exec "$@"'):
    // the pid stays the gateway's.
    args.insert(args.begin(), prefix.begin(), prefix.end());
    argv_ = args;
    proc_ = std::make_unique<ChildProcess>(args, env, false, false, cwd);
    auto line = proc_->read_line(startup);
    if (!line) {
      auto status = proc_->poll_exit();
      std::string why = status ? "it exited with status " + std::to_string(*status)
                               : "no line within " + std::to_string(startup.count()) + " ms";
      proc_->terminate(SIGKILL, std::chrono::seconds(2));
      throw std::runtime_error("portico gateway did not print its listening line (" + why + "); stderr:\n" +
                               proc_->stderr_text());
    }
    line_ = *line;
    parse(line_);
  }

  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  const std::string& listening_line() const { return line_; }
  const std::string& base_url() const { return base_url_; }  // e.g. https://127.0.0.1:PORT/api/mgw/adapter/0.1
  const std::string& ca_file() const { return ca_file_; }    // "" in plain HTTP mode
  // The router's origin, e.g. https://127.0.0.1:PORT ("" with --no-router).
  const std::string& router_url() const { return router_url_; }
  int port() const { return port_; }
  pid_t pid() const { return proc_->pid(); }
  bool tls() const { return tls_; }
  std::string url(const std::string& path) const { return base_url_ + path; }

  ChildProcess& process() { return *proc_; }
  std::string log() { return proc_->stderr_text(); }
  // Waits (bounded) until the log has `needle`: the router writes its access
  // log in batches, possibly just after the answer went out.
  bool logged(const std::string& needle, std::chrono::milliseconds limit = std::chrono::seconds(3)) {
    return proc_->wait_for_stderr(needle, limit);
  }

  // SIGTERM (or sig), at most 10 s, then SIGKILL; returns the exit status.
  int stop(int sig = SIGTERM) { return proc_->terminate(sig, std::chrono::seconds(10)); }

 private:
  void parse(const std::string& line) {
    static const std::string prefix = "listening on ";
    auto p = line.find(prefix);
    if (p == std::string::npos) throw std::runtime_error("unexpected first line from portico gateway: " + line);
    p += prefix.size();
    auto sp = line.find(' ', p);
    base_url_ = line.substr(p, sp == std::string::npos ? std::string::npos : sp - p);
    tls_ = base_url_.rfind("https://", 0) == 0;
    auto hostport = base_url_.substr(base_url_.find("://") + 3);
    hostport = hostport.substr(0, hostport.find('/'));
    auto colon = hostport.rfind(':');
    port_ = colon == std::string::npos ? 0 : std::atoi(hostport.c_str() + colon + 1);
    if (auto r = line.find(" (router)"); r != std::string::npos) {
      auto a = line.rfind("and ", r);
      if (a != std::string::npos) router_url_ = line.substr(a + 4, r - a - 4);
    }
    auto ca = line.find("(CA: ");
    if (ca != std::string::npos) {
      ca += 5;
      auto close = line.rfind(')');
      ca_file_ = line.substr(ca, close == std::string::npos || close < ca ? std::string::npos : close - ca);
    }
  }

  std::vector<std::string> argv_;
  std::unique_ptr<ChildProcess> proc_;
  std::string line_, base_url_, ca_file_, router_url_;
  int port_ = 0;
  bool tls_ = false;
};

// A GatewayProcess with its own fresh data directory (TMP/data), stopped
// before the directory goes; start() again after stop() restarts it on the
// same data.
struct TempGateway {
  TempDir tmp;
  std::string data_dir = tmp.path + "/data";
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::unique_ptr<GatewayProcess> proc;
  std::vector<std::string> prefix;  // see GatewayProcess

  explicit TempGateway(std::vector<std::string> a = {}, std::map<std::string, std::string> e = {})
      : args(std::move(a)), env(std::move(e)) {
    start();
  }
  // With a wrapper (see GatewayProcess) and, when given, another data directory.
  TempGateway(std::vector<std::string> a, std::map<std::string, std::string> e, std::vector<std::string> wrapper,
              std::string data = {})
      : args(std::move(a)), env(std::move(e)), prefix(std::move(wrapper)) {
    if (!data.empty()) data_dir = std::move(data);
    start();
  }
  ~TempGateway() {
    if (proc) proc->stop();
  }
  TempGateway(const TempGateway&) = delete;
  TempGateway& operator=(const TempGateway&) = delete;

  void start() {
    auto a = args;
    a.push_back("--data-dir");
    a.push_back(data_dir);
    proc = std::make_unique<GatewayProcess>(a, env, std::string{}, std::chrono::seconds(20), prefix);
  }
  int stop(int sig = SIGTERM) { return proc->stop(sig); }
  std::string log() { return proc->log(); }
  bool logged(const std::string& needle) { return proc->logged(needle); }
  // https://127.0.0.1:PORT (no base path)
  std::string origin() const { return "https://127.0.0.1:" + std::to_string(proc->port()); }
  std::string ca() const { return proc->ca_file(); }
};

}  // namespace portico::test

// One error type for the whole program: a message plus an exit-code category.
// Library code throws it; only main() turns it into a process exit status.
#pragma once

#include <stdexcept>
#include <string>

namespace portico {

// Exit codes are a public contract (cli.md): keep the numbers.
enum class ExitCode : int {
  Ok = 0,
  Findings = 1,      // validation findings at or above --fail-on
  Usage = 2,         // unknown command or flag, missing argument
  Input = 3,         // unreadable path, not a project, unsafe config
  Refused = 4,       // the adapter refused (409, 500, 400, 404)
  Auth = 5,          // no credentials, 401/403, expired token
  Network = 6,       // resolve, connect, TLS, timeout
  FailedOver = 7,    // probe: a group serves from a backup
  Unavailable = 8,   // probe: a group has no available endpoint
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), code_(code), hint_(std::move(hint)) {}

  ExitCode code() const noexcept { return code_; }
  // What the user can do next; may be empty.
  const std::string& hint() const noexcept { return hint_; }

 private:
  ExitCode code_;
  std::string hint_;
};

}  // namespace portico

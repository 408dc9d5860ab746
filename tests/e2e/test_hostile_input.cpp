// Inputs that are not regular files: a FIFO would block a reader forever and
// /dev/zero never ends. Every command that reads a user's file refuses them
// at once (exit 3) with a message that says what the path is.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "cli_run.hpp"
#include "process.hpp"

using namespace portico::test;

namespace {
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("hostile input: a FIFO is refused at once by validate, endpoints, init --oas and deploy FILE") {
  TempDir t;
  std::string fifo = t.path + "/api.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // run() has its own time limit: a reader blocked on the FIFO would fail it.
  for (std::vector<std::string> args : {std::vector<std::string>{"validate", fifo},
                                        {"endpoints", fifo},
                                        {"init", t.path + "/proj", "--oas", fifo},
                                        {"deploy", fifo, "-e", "https://127.0.0.1:9", "--dry-run"}}) {
    CAPTURE(args[0]);
    auto r = run_portico(args);
    CHECK(r.exit_code == 3);
    CHECK(has(r.err, "named pipe (FIFO), not a regular file"));
  }
  CHECK_FALSE(std::filesystem::exists(t.path + "/proj"));
}

TEST_CASE("hostile input: /dev/zero is refused without reading it") {
  auto r = run_portico({"validate", "/dev/zero"});
  CHECK(r.exit_code == 3);
  CHECK(has(r.err, "character device, not a regular file"));
  CHECK(r.out.empty());
}

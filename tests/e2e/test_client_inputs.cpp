// What the client makes of unusual inputs (issue 12): prebuilt zips past the
// archive limits of SECURITY.md are input errors (exit 3, naming the limit),
// not findings about api.yaml; sockets and FIFOs inside a project are
// reported by validate and deploy (project-special-file), never opened, and
// left out of the archive. Archives are made by the test (lib/archive's
// writer), read back with the real `unzip`; the socket is a real one, bound
// by the test; the FIFO a real one (mkfifo). Nothing may hang: every run is
// bounded and a run that had to be killed fails the test.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "archive/zip_writer.hpp"
#include "fake_servers.hpp"
#include "portico_cli.hpp"
#include "strings.hpp"

using namespace portico::test;
namespace fs = std::filesystem;
using portico::archive::ZipInput;

namespace {

const std::string kApis = std::string(FakeAdapter::kBase) + "/apis";

FakeAdapter::Options pets_adapter() {
  FakeAdapter::Options o;
  o.api.name = "Pets";
  o.api.version = "1.0.0";
  o.api.context = "/pets";
  return o;
}

std::size_t posts(const FakeAdapter& f) {
  std::size_t n = 0;
  for (const auto& r : f.requests()) n += r.method == "POST" && r.path == kApis;
  return n;
}

// The entries of a project of Pets 1.0.0 under Project/, plus `more`.
std::vector<ZipInput> project_entries(std::vector<ZipInput> more = {}) {
  std::vector<ZipInput> e{
      {"Project/api.yaml", {},
       "type: api\nversion: v4.0.0\ndata:\n  name: Pets\n  version: \"1.0.0\"\n  context: /pets\n  type: HTTP\n"
       "  endpointImplementationType: ENDPOINT\n  endpointConfig:\n    endpoint_type: failover\n"
       "    production_endpoints:\n      url: http://primary.example.com/v1\n"
       "    production_failovers:\n      - url: http://backup.example.com/v1\n"},
      {"Project/Definitions/swagger.yaml", {}, definition_yaml({})},
      {"Project/deployment_environments.yaml", {}, deployment_environments_yaml()}};
  for (auto& m : more) e.push_back(std::move(m));
  return e;
}

// A socket bound at `path` and listening for as long as it lives.
struct UnixSocket {
  int fd = -1;
  explicit UnixSocket(const std::string& path) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof a.sun_path);
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
  }
  ~UnixSocket() { ::close(fd); }
};

}  // namespace

// ============================================= prebuilt zips past the limits

TEST_CASE("inputs: a prebuilt zip past the archive limits is an input error (exit 3) naming the limit, never uploaded") {
  PorticoCli c;
  TempDir t, tmp;
  c.env = admin_credentials();
  c.env["TMPDIR"] = tmp.path;
  FakeAdapter fake(pets_adapter());

  // 64 MiB + 1 of zeros on disk, streamed into the archives (deflated to little).
  const std::string big = t.path + "/big.bin";
  {
    std::string zeros((64u << 20) + 1, '\0');
    write_file(big, zeros);
  }
  const std::string sixty = t.path + "/sixty.bin";
  write_file(sixty, std::string(60u << 20, '\0'));

  struct Case {
    std::string name, zip, expect;
  };
  std::vector<Case> cases;
  {
    std::vector<ZipInput> many;
    for (int i = 0; i < 9998; ++i) many.push_back({"Project/Docs/" + std::to_string(i) + ".txt", {}, "x"});
    auto e = project_entries(std::move(many));  // 10,001 entries
    cases.push_back({"too many entries", t.path + "/many.zip", "10001 entries, more than the limit of 10000"});
    portico::archive::write_zip(cases.back().zip, e);
  }
  {
    cases.push_back({"a documentation entry too big", t.path + "/bigdoc.zip",
                     "entry Project/Docs/big.bin inflates to 67108865 bytes, more than the limit of 64 MiB per entry"});
    portico::archive::write_zip(cases.back().zip, project_entries({{"Project/Docs/big.bin", big, ""}}));
  }
  {
    // The definition itself past the limit: the acceptance would inflate it.
    auto e = project_entries();
    e[1].data += "# " + std::string(64u << 20, 'a') + "\n";
    cases.push_back({"the definition too big", t.path + "/bigdef.zip",
                     "entry Project/Definitions/swagger.yaml inflates to"});
    portico::archive::write_zip(cases.back().zip, e);
  }
  {
    std::vector<ZipInput> docs;
    for (int i = 0; i < 5; ++i) docs.push_back({"Project/Docs/part" + std::to_string(i) + ".bin", sixty, ""});
    cases.push_back({"inflated total too big", t.path + "/total.zip", "more than the limit of 256 MiB in all"});
    portico::archive::write_zip(cases.back().zip, project_entries(std::move(docs)));
  }
  {
    write_file(t.path + "/notzip.zip", "this is not a zip archive, only text with a .zip name\n");
    cases.push_back({"not a zip", t.path + "/notzip.zip", "not a valid zip archive"});
  }

  for (const auto& k : cases) {
    CAPTURE(k.name);
    for (const std::vector<std::string>& flags :
         {std::vector<std::string>{}, {"--dry-run"}, {"--skip-validation"}, {"--format", "json"}}) {
      std::vector<std::string> args{"deploy", k.zip, "-e", fake.url(), "--retries", "0", "--timeout", "10"};
      args.insert(args.end(), flags.begin(), flags.end());
      auto r = c(args);
      INFO(r);
      CHECK(r.code == 3);
      CHECK(contains(r.err, "cannot deploy " + k.zip + ": not a valid zip archive"));
      CHECK(contains(r.err, k.expect));
      CHECK(contains(r.err, "hint: rebuild the archive"));
      CHECK(!contains(r.out + r.err, "project-api-yaml-invalid"));
    }
  }
  CHECK(posts(fake) == 0);
  CHECK(tree_names(tmp.path).empty());

  // Within the limits, the same kind of archive deploys.
  const std::string ok = t.path + "/ok.zip";
  portico::archive::write_zip(ok, project_entries({{"Project/Docs/sixty.bin", sixty, ""}}));
  auto r = c({"deploy", ok, "-e", fake.url(), "--retries", "0"});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(posts(fake) == 1);
}

TEST_CASE("inputs: a prebuilt zip without api.yaml is project-api-yaml-missing, exit 1") {
  PorticoCli c;
  TempDir t;
  c.env = admin_credentials();
  FakeAdapter fake(pets_adapter());
  auto e = project_entries();
  e.erase(e.begin());
  portico::archive::write_zip(t.path + "/noapi.zip", e);
  auto r = c({"deploy", t.path + "/noapi.zip", "-e", fake.url()});
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.err, "project-api-yaml-missing"));
  CHECK(!contains(r.err, "project-api-yaml-invalid"));
  CHECK(posts(fake) == 0);
}

// ======================================= sockets and FIFOs inside a project

TEST_CASE("inputs: a FIFO and a socket inside a project are reported by validate and deploy, never opened, never archived") {
  const std::string unzip = find_program("unzip");
  REQUIRE_MESSAGE(!unzip.empty(), "the `unzip` program is needed (apt-get install unzip)");
  PorticoCli c;
  TempDir t, tmp;
  c.env = admin_credentials();
  c.env["TMPDIR"] = tmp.path;
  const std::string proj = t.path + "/proj";
  write_client_project(proj);
  write_file(proj + "/Docs/guide.md", "# Guide\n");
  REQUIRE(::mkfifo((proj + "/Docs/pipe").c_str(), 0600) == 0);
  REQUIRE(::mkfifo((proj + "/Definitions/swagger.yaml.fifo").c_str(), 0600) == 0);
  UnixSocket sock(proj + "/Docs/preview.sock");
  FakeAdapter fake(pets_adapter());
  // A reader that opened a FIFO would block for ever: the bound turns that
  // into a kill (exit 137), which fails the checks on the exit code.
  const auto bound = std::chrono::seconds(30);

  auto v = c({"validate", proj}, {}, "", bound);
  INFO(v);
  CHECK(v.code == 0);  // warnings do not fail validate by default
  for (const std::string& line : {"Docs/pipe", "Docs/preview.sock", "Definitions/swagger.yaml.fifo"}) {
    CAPTURE(line);
    CHECK(contains(v.out, proj + "/" + line));
  }
  CHECK(contains(v.out, "warning: a named pipe (FIFO) inside the project"));
  CHECK(contains(v.out, "warning: a socket inside the project"));
  CHECK(contains(v.out, "[project-special-file]"));

  auto vj = c({"validate", proj, "--format", "json", "--fail-on", "warning"}, {}, "", bound);
  INFO(vj);
  CHECK(vj.code == 1);
  CHECK(contains(vj.out, "\"project-special-file\""));

  const std::string kept = t.path + "/kept.zip";
  auto dry = c({"deploy", proj, "-e", fake.url(), "--dry-run", "--keep-archive", kept}, {}, "", bound);
  INFO(dry);
  CHECK(dry.code == 0);
  CHECK(contains(dry.err, "project-special-file"));
  CHECK(contains(dry.err, "Docs/pipe"));
  CHECK(contains(dry.err, "Docs/preview.sock"));
  CHECK(contains(dry.out, "Docs/guide.md"));  // the plan's entries: the regular files
  CHECK(!contains(dry.out, "pipe"));
  CHECK(!contains(dry.out, "preview.sock"));
  auto listing = run({unzip, "-l", kept});
  INFO(listing.out);
  CHECK(listing.exit_code == 0);
  CHECK(contains(listing.out, "Docs/guide.md"));
  CHECK(!contains(listing.out, "pipe"));
  CHECK(!contains(listing.out, "preview.sock"));
  CHECK(!contains(listing.out, ".fifo"));

  // --skip-validation still says what the archive leaves out; the upload lacks them.
  auto d = c({"deploy", proj, "-e", fake.url(), "--skip-validation"}, {}, "", bound);
  INFO(d);
  CHECK(d.code == 0);
  CHECK(contains(d.err, "project-special-file"));
  CHECK(contains(d.err, "Docs/pipe"));
  REQUIRE(posts(fake) == 1);
  for (const auto& req : fake.requests()) {
    if (req.method != "POST") continue;
    CHECK(contains(req.body, "Docs/guide.md"));
    CHECK(!contains(req.body, "Docs/pipe"));
    CHECK(!contains(req.body, "preview.sock"));
  }
  CHECK(tree_names(tmp.path).empty());
  // Still there, untouched: nothing was removed or replaced.
  struct stat st {};
  CHECK(::lstat((proj + "/Docs/pipe").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK(::lstat((proj + "/Docs/preview.sock").c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
}

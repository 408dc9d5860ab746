#include "gateway/adapter/store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "util/error.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace portico::gateway::adapter {

namespace {

std::string id_of(const std::string& name, const std::string& version) {
  // FNV-1a: stable across builds, and file-name safe whatever the name holds.
  std::uint64_t h = 1469598103934665603ull;
  for (char c : name + '\n' + version) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

nlohmann::json to_json(const Deployment& d) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : d.targets) targets.push_back({{"environment", t.environment}, {"vhost", t.vhost}});
  return {{"name", d.name},         {"version", d.version}, {"type", d.type},         {"basepath", d.basepath},
          {"targets", targets},     {"deployed_at", d.deployed_at}, {"archive", d.archive}};
}

Deployment from_json(const nlohmann::json& j) {
  Deployment d;
  d.name = j.at("name").get<std::string>();
  d.version = j.at("version").get<std::string>();
  d.type = j.at("type").get<std::string>();
  d.basepath = j.at("basepath").get<std::string>();
  for (const auto& t : j.at("targets")) d.targets.push_back({t.at("environment"), t.at("vhost")});
  d.deployed_at = j.at("deployed_at").get<long long>();
  d.archive = j.at("archive").get<std::string>();
  return d;
}

// Writes `content` to dir/.NAME.tmp-*, fsyncs and renames it to dir/NAME.
// Returns 0, or the errno of the step that failed (the temporary file then
// removed).
int write_file(const fs::path& path, std::string_view content) {
  std::random_device rd;
  fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp-" + std::to_string(rd()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  const char* p = content.data();
  std::size_t left = content.size();
  int err = 0;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err) ::unlink(tmp.c_str());
  return err;
}

[[noreturn]] void write_failed(int err) {
  if (err == ENOSPC || err == EDQUOT)
    throw StoreError(true, "the gateway's data directory is full: the API was not deployed (free space, for example "
                           "by undeploying an API, and deploy again)");
  throw StoreError(false, std::string("the gateway cannot write to its data directory (") + std::strerror(err) +
                              "): the API was not deployed");
}

}  // namespace

namespace {

// An exclusive, non-blocking lock on <dir>/gateway.lock holding our pid; the
// kernel drops it when the process ends, however it ends.
int lock_directory(const fs::path& dir) {
  fs::path lock = dir / "gateway.lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ExitCode::Input, "cannot open " + lock.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    throw Error(ExitCode::Input,
                "the data directory " + dir.string() + " is in use by another portico gateway" +
                    (pid.empty() ? "" : " (pid " + pid + ")"),
                "stop that gateway, or give this one its own --data-dir");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message would lack it.
  }
  return fd;
}

}  // namespace

Store::Store(fs::path dir) : dir_(dir), apis_(dir / "apis") {
  std::error_code ec;
  bool existed = fs::exists(dir, ec);
  fs::create_directories(apis_, ec);
  if (ec) throw Error(ExitCode::Input, "cannot create " + apis_.string() + ": " + ec.message());
  // Ours: private whatever the umask (a directory the user had keeps its mode).
  if (!existed) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  fs::permissions(apis_, fs::perms::owner_all, fs::perm_options::replace, ec);
  lock_fd_ = lock_directory(dir);
  std::set<std::string> referenced, quarantined_ids;
  std::vector<fs::path> bad;
  for (const auto& e : fs::directory_iterator(apis_, ec)) {
    if (e.path().extension() != ".json" || e.path().filename().string()[0] == '.') continue;
    try {
      Deployment d = from_json(nlohmann::json::parse(file::read(e.path())));
      if (!fs::exists(apis_ / d.archive)) throw std::runtime_error("its archive is missing");
      referenced.insert(d.archive);
      d.revision = ++last_revision_;
      items_.push_back(std::move(d));
    } catch (const std::exception& ex) {
      std::cerr << "portico gateway: cannot understand " << e.path().string() << " (" << ex.what()
                << "): moved to " << (dir_ / "quarantine").string() << " with its archives; the other APIs are served\n";
      bad.push_back(e.path());
      quarantined_ids.insert(e.path().stem().string());
    }
  }
  if (ec) throw Error(ExitCode::Input, "cannot read " + apis_.string() + ": " + ec.message());
  // Never delete what cannot be understood: keep it aside.
  if (!bad.empty()) {
    fs::path q = dir_ / "quarantine" / std::to_string(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
    fs::create_directories(q, ec);
    for (const auto& e : fs::directory_iterator(apis_, ec)) {
      std::string n = e.path().filename().string();
      std::string id = n.substr(0, n.find_first_of("-."));
      if (quarantined_ids.count(id) && !referenced.count(n)) fs::rename(e.path(), q / n, ec);
    }
  }
  // Leftovers of an interrupted write: temporary files, and archives whose
  // metadata was never written or was replaced.
  for (const auto& e : fs::directory_iterator(apis_, ec)) {
    std::string n = e.path().filename().string();
    bool tmp = n[0] == '.';
    bool orphan = e.path().extension() == ".zip" && !referenced.count(n);
    if (tmp || orphan) fs::remove(e.path(), ec);
  }
}

Store::~Store() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::vector<Deployment> Store::list() const {
  std::lock_guard lock(mu_);
  return items_;
}

std::optional<Deployment> Store::find(const std::string& name, const std::string& version) const {
  std::lock_guard lock(mu_);
  for (const auto& d : items_)
    if (d.name == name && d.version == version) return d;
  return std::nullopt;
}

void Store::put(Deployment d, std::string_view archive_bytes) {
  std::lock_guard wlock(write_mu_);
  std::string id = id_of(d.name, d.version);
  std::random_device rd;
  d.archive = id + "-" + std::to_string(rd()) + std::to_string(rd()) + ".zip";
  if (int err = write_file(apis_ / d.archive, archive_bytes)) write_failed(err);
  std::lock_guard lock(mu_);
  std::error_code ec;
  if (int err = write_file(apis_ / (id + ".json"), to_json(d).dump(2))) {
    // The metadata still names the previous archive (if any): drop ours.
    fs::remove(apis_ / d.archive, ec);
    write_failed(err);
  }
  d.revision = ++last_revision_;
  auto it = std::find_if(items_.begin(), items_.end(),
                         [&](const Deployment& x) { return x.name == d.name && x.version == d.version; });
  if (it != items_.end()) {
    fs::remove(apis_ / it->archive, ec);
    *it = std::move(d);
  } else {
    items_.push_back(std::move(d));
  }
}

void Store::update(const Deployment& d) {
  std::lock_guard wlock(write_mu_);
  std::lock_guard lock(mu_);
  if (int err = write_file(apis_ / (id_of(d.name, d.version) + ".json"), to_json(d).dump(2))) write_failed(err);
  for (auto& x : items_)
    if (x.name == d.name && x.version == d.version) {
      x = d;
      x.revision = ++last_revision_;
    }
}

void Store::freeze() { write_mu_.lock(); }

void Store::remove(const std::string& name, const std::string& version) {
  std::lock_guard wlock(write_mu_);
  std::lock_guard lock(mu_);
  auto it = std::find_if(items_.begin(), items_.end(),
                         [&](const Deployment& x) { return x.name == name && x.version == version; });
  if (it == items_.end()) return;
  std::error_code ec;
  fs::remove(apis_ / (id_of(name, version) + ".json"), ec);
  fs::remove(apis_ / it->archive, ec);
  items_.erase(it);
}

std::optional<std::string> Store::read_archive(const Deployment& d) const {
  std::lock_guard lock(mu_);
  auto it = std::find_if(items_.begin(), items_.end(), [&](const Deployment& x) {
    return x.name == d.name && x.version == d.version && x.revision == d.revision;
  });
  if (it == items_.end()) return std::nullopt;
  try {
    return file::read(apis_ / it->archive, std::size_t{1} << 34);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace portico::gateway::adapter

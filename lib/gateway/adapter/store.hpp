// The gateway's deployed APIs, persisted in its data directory so that they
// survive a restart. Each deployment is two files in <dir>/apis/: the
// archive as received (<id>-<revision>.zip) and its metadata (<id>.json,
// which names the archive). The archive is written first, then the
// metadata is replaced atomically, so a crash leaves the old deployment or
// the new one, never half of one; orphans are removed on the next start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "project/acceptance.hpp"

namespace portico::gateway::adapter {

struct Deployment {
  std::string name, version, type, basepath;
  std::vector<project::Placement> targets;
  long long deployed_at = 0;  // seconds since the epoch
  std::string archive;        // file name inside <dir>/apis/
  // Not persisted: a number this Store gives the deployment when it loads,
  // puts or updates it, never given twice. Equal revisions of a name and
  // version mean the same record and archive (the router's table keeps each
  // API's part while its revision is unchanged).
  std::uint64_t revision = 0;
};

// A write to the data directory failed; nothing of it is left behind.
// `full` when the file system has no space (or quota) left. The message
// names no server path: it goes to the client as is.
struct StoreError : std::runtime_error {
  StoreError(bool f, const std::string& what) : std::runtime_error(what), full(f) {}
  bool full;
};

class Store {
 public:
  // Locks the directory (one gateway per data directory) and loads what is
  // there. Throws Error(Input) when the directory cannot be created or read,
  // or another process holds it. A metadata file that cannot be understood
  // is never deleted: it and its archives move to <dir>/quarantine/, with a
  // line on stderr, and the other APIs are served.
  explicit Store(std::filesystem::path dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::vector<Deployment> list() const;
  std::optional<Deployment> find(const std::string& name, const std::string& version) const;
  // Records a deployment with its archive, replacing one of the same name
  // and version. Throws StoreError when the disk refuses a write; the
  // partial files are then removed at once and the previous deployment (if
  // any) stays as it was.
  void put(Deployment d, std::string_view archive_bytes);
  // Replaces the record only (targets changed), keeping its archive. Throws
  // StoreError as put does.
  void update(const Deployment& d);
  // Waits for a write in progress, then lets no other start: for a process
  // about to exit with workers still busy (a deploy is then either written
  // whole or not at all).
  void freeze();
  void remove(const std::string& name, const std::string& version);
  // The archive of `d` (as list() gave it) while that revision is still the
  // current one; nullopt when it was replaced or removed since (or cannot be
  // read). Read under the lock, so a concurrent deploy cannot remove it
  // half-way. The router reads only the deployments whose revision changed.
  std::optional<std::string> read_archive(const Deployment& d) const;

 private:
  std::filesystem::path dir_, apis_;
  int lock_fd_ = -1;
  mutable std::mutex mu_;
  std::mutex write_mu_;  // one write (archive + metadata) at a time; freeze() holds it
  std::vector<Deployment> items_;
  std::uint64_t last_revision_ = 0;  // guarded by mu_
};

}  // namespace portico::gateway::adapter

// The gateway's deployed APIs, persisted in its data directory so that they
// survive a restart. Each deployment is two files in <dir>/apis/: the
// archive as received (<id>-<revision>.zip) and its metadata (<id>.json,
// which names the archive). The archive is written first, then the
// metadata is replaced atomically, so a crash leaves the old deployment or
// the new one, never half of one; orphans are removed on the next start.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "project/acceptance.hpp"

namespace portico::gateway::adapter {

struct Deployment {
  std::string name, version, type, basepath;
  std::vector<project::Placement> targets;
  long long deployed_at = 0;  // seconds since the epoch
  std::string archive;        // file name inside <dir>/apis/
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
  // Records a deployment with its archive, replacing one of the same name and version.
  void put(Deployment d, std::string_view archive_bytes);
  // Replaces the record only (targets changed), keeping its archive.
  void update(const Deployment& d);
  void remove(const std::string& name, const std::string& version);
  // Every deployment with its archive's bytes, read under the lock so that
  // a concurrent deploy cannot remove an archive half-way (for the router).
  std::vector<std::pair<Deployment, std::string>> snapshot() const;

 private:
  std::filesystem::path dir_, apis_;
  int lock_fd_ = -1;
  mutable std::mutex mu_;
  std::vector<Deployment> items_;
};

}  // namespace portico::gateway::adapter

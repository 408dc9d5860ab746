#include "gateway/store.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "util/error.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace portico::gateway {

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

}  // namespace

Store::Store(fs::path dir) : apis_(dir / "apis") {
  std::error_code ec;
  fs::create_directories(apis_, ec);
  if (ec) throw Error(ExitCode::Input, "cannot create " + apis_.string() + ": " + ec.message());
  std::set<std::string> referenced;
  for (const auto& e : fs::directory_iterator(apis_, ec)) {
    if (e.path().extension() != ".json" || e.path().filename().string()[0] == '.') continue;
    try {
      Deployment d = from_json(nlohmann::json::parse(file::read(e.path())));
      if (!fs::exists(apis_ / d.archive)) throw std::runtime_error("its archive is missing");
      referenced.insert(d.archive);
      items_.push_back(std::move(d));
    } catch (const std::exception& ex) {
      std::cerr << "portico gateway: ignoring " << e.path().string() << ": " << ex.what() << "\n";
    }
  }
  if (ec) throw Error(ExitCode::Input, "cannot read " + apis_.string() + ": " + ec.message());
  // Leftovers of an interrupted write.
  for (const auto& e : fs::directory_iterator(apis_, ec)) {
    std::string n = e.path().filename().string();
    bool tmp = n[0] == '.';
    bool orphan = e.path().extension() == ".zip" && !referenced.count(n);
    if (tmp || orphan) fs::remove(e.path(), ec);
  }
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
  std::string id = id_of(d.name, d.version);
  std::random_device rd;
  d.archive = id + "-" + std::to_string(rd()) + std::to_string(rd()) + ".zip";
  file::write_atomic(apis_ / d.archive, archive_bytes, fs::perms::owner_read | fs::perms::owner_write);
  std::lock_guard lock(mu_);
  file::write_atomic(apis_ / (id + ".json"), to_json(d).dump(2),
                     fs::perms::owner_read | fs::perms::owner_write);
  auto it = std::find_if(items_.begin(), items_.end(),
                         [&](const Deployment& x) { return x.name == d.name && x.version == d.version; });
  std::error_code ec;
  if (it != items_.end()) {
    fs::remove(apis_ / it->archive, ec);
    *it = std::move(d);
  } else {
    items_.push_back(std::move(d));
  }
}

void Store::update(const Deployment& d) {
  std::lock_guard lock(mu_);
  file::write_atomic(apis_ / (id_of(d.name, d.version) + ".json"), to_json(d).dump(2),
                     fs::perms::owner_read | fs::perms::owner_write);
  for (auto& x : items_)
    if (x.name == d.name && x.version == d.version) x = d;
}

void Store::remove(const std::string& name, const std::string& version) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(items_.begin(), items_.end(),
                         [&](const Deployment& x) { return x.name == name && x.version == version; });
  if (it == items_.end()) return;
  std::error_code ec;
  fs::remove(apis_ / (id_of(name, version) + ".json"), ec);
  fs::remove(apis_ / it->archive, ec);
  items_.erase(it);
}

std::vector<std::pair<Deployment, std::string>> Store::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<Deployment, std::string>> out;
  for (const auto& d : items_) {
    try {
      out.emplace_back(d, file::read(apis_ / d.archive, std::size_t{1} << 34));
    } catch (const Error&) {
      // removed under us: the next rebuild sees the new state
    }
  }
  return out;
}

}  // namespace portico::gateway

// ModelManager: repository sync, version states, lookups and the poll thread.
#include "serving/core/model_manager.h"

#include <algorithm>
#include <chrono>

#include "serving/core/model_loader.h"
#include "serving/repository/model_config_io.h"
#include "serving/repository/repository_scan.h"

namespace edgeserve::serving {
namespace {

bool parse_version(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  *out = std::stoll(text);
  return true;
}

std::vector<int64_t> versions_on_disk(const ModelOnDisk& disk) {
  std::vector<int64_t> v;
  for (const VersionOnDisk& d : disk.versions) v.push_back(d.version);
  return v;
}

}  // namespace

ModelManager::ModelManager(ServerOptions options) : options_(std::move(options)) {}

ModelManager::~ModelManager() { stop_all(); }

Status ModelManager::start() {
  if (options_.control_mode == ModelControlMode::kExplicit) {
    for (const std::string& name : options_.startup_models) {
      Status s = load(name);
      if (!s.is_ok()) return s;
    }
    return Status::ok();
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<ModelOnDisk> models, scan_repository(options_.repository));
  {
    std::lock_guard change(change_mu_);
    for (const ModelOnDisk& m : models) sync_model(m);
  }
  if (options_.control_mode == ModelControlMode::kPoll) poll_thread_ = std::thread([this] { poll_main(); });
  return Status::ok();
}

void ModelManager::set_model_reason(const std::string& name, const std::string& reason) {
  std::lock_guard lock(mu_);
  models_[name].reason = reason;
}

void ModelManager::sync_model(const ModelOnDisk& disk) {
  const std::string config_path = (disk.dir / "config.pbtxt").string();
  inference::ModelConfig config;
  if (!disk.error.empty()) return set_model_reason(disk.name, disk.error);
  if (disk.has_config) {
    Result<inference::ModelConfig> parsed = parse_model_config(disk.config_text, config_path);
    if (!parsed.is_ok()) return set_model_reason(disk.name, parsed.status().message());
    config = std::move(parsed).value();
  }
  const std::vector<int64_t> wanted = select_versions(config, versions_on_disk(disk));
  set_model_reason(disk.name, wanted.empty() ? "no version folder with a model to serve in " + disk.dir.string() : "");
  for (const VersionOnDisk& v : disk.versions) {
    if (std::find(wanted.begin(), wanted.end(), v.version) == wanted.end()) continue;
    std::string fingerprint = v.fingerprint + "|" + disk.config_fingerprint;
    {
      std::lock_guard lock(mu_);
      auto& slot = models_[disk.name].versions[v.version];
      if (slot.fingerprint == fingerprint) continue;  // unchanged (loaded, or failed the same way)
      slot.fingerprint = fingerprint;
      if (slot.state != "READY") slot.state = "LOADING";
    }
    load_version(disk, v, disk.has_config ? disk.config_text : "");
  }
  // Versions no longer wanted (or gone from disk) unload after the new ones are serving.
  std::vector<int64_t> stale;
  {
    std::lock_guard lock(mu_);
    for (const auto& [version, slot] : models_[disk.name].versions) {
      if (std::find(wanted.begin(), wanted.end(), version) == wanted.end()) stale.push_back(version);
    }
  }
  for (int64_t v : stale) unload_version(disk.name, v);
}

void ModelManager::load_version(const ModelOnDisk& disk, const VersionOnDisk& v, const std::string& config_text) {
  const int64_t version = v.version;
  Result<LoadedModel> loaded = load_served_model(disk.name, version, v.dir, config_text,
                                                 (disk.dir / "config.pbtxt").string(), options_);
  std::shared_ptr<ServedModel> replaced;
  {
    std::lock_guard lock(mu_);
    VersionSlot& slot = models_[disk.name].versions[version];
    if (!loaded.is_ok()) {
      // A failed reload keeps the version that was serving; a failed first load is UNAVAILABLE.
      slot.reason = loaded.status().message();
      if (slot.model == nullptr) slot.state = "UNAVAILABLE";
      return;
    }
    replaced = std::move(slot.model);
    slot.model = loaded.value().model;
    slot.config_json = loaded.value().config_json;
    slot.state = "READY";
    slot.reason.clear();
  }
  if (replaced) replaced->stop();  // its queued requests finish first
}

void ModelManager::unload_version(const std::string& name, int64_t version) {
  std::shared_ptr<ServedModel> model;
  {
    std::lock_guard lock(mu_);
    auto& versions = models_[name].versions;
    auto it = versions.find(version);
    if (it == versions.end()) return;
    model = std::move(it->second.model);
    versions.erase(it);
  }
  if (model) model->stop();
}

Status ModelManager::load(const std::string& name) {
  if (options_.control_mode == ModelControlMode::kNone) {
    return unavailable("models cannot be loaded or unloaded: the server runs with --model-control-mode none");
  }
  std::lock_guard change(change_mu_);
  EDGE_ASSIGN_OR_RETURN(ModelOnDisk disk, scan_model(options_.repository, name));
  {
    std::lock_guard lock(mu_);  // an explicit load always reloads
    for (auto& [v, slot] : models_[name].versions) slot.fingerprint.clear();
  }
  sync_model(disk);
  std::lock_guard lock(mu_);
  const ModelSlot& slot = models_[name];
  if (!slot.reason.empty()) return invalid_argument("model '" + name + "': " + slot.reason);
  for (const auto& [v, version] : slot.versions) {
    if (version.state != "READY") return invalid_argument("model '" + name + "' version " + std::to_string(v) + ": " + version.reason);
  }
  return Status::ok();
}

Status ModelManager::unload(const std::string& name) {
  if (options_.control_mode == ModelControlMode::kNone) {
    return unavailable("models cannot be loaded or unloaded: the server runs with --model-control-mode none");
  }
  std::lock_guard change(change_mu_);
  std::vector<int64_t> versions;
  {
    std::lock_guard lock(mu_);
    auto it = models_.find(name);
    if (it == models_.end()) return not_found("unknown model '" + name + "'");
    for (const auto& [v, slot] : it->second.versions) versions.push_back(v);
  }
  for (int64_t v : versions) unload_version(name, v);
  set_model_reason(name, "unloaded");
  return Status::ok();
}

Result<std::shared_ptr<ServedModel>> ModelManager::find(const std::string& name, const std::string& version) const {
  std::lock_guard lock(mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return not_found("unknown model '" + name + "'");
  const ModelSlot& m = it->second;
  if (version.empty()) {
    for (auto v = m.versions.rbegin(); v != m.versions.rend(); ++v) {
      if (v->second.state == "READY") return v->second.model;
    }
    std::string why = m.reason;
    for (const auto& [n, slot] : m.versions) why += (why.empty() ? "" : "; ") + slot.reason;
    return unavailable("model '" + name + "' has no ready version" + (why.empty() ? "" : ": " + why));
  }
  int64_t v = 0;
  auto vit = parse_version(version, &v) ? m.versions.find(v) : m.versions.end();
  if (vit == m.versions.end()) return not_found("model '" + name + "' has no version '" + version + "'");
  if (vit->second.state != "READY") {
    return unavailable("model '" + name + "' version " + version + " is " + vit->second.state +
                       (vit->second.reason.empty() ? "" : ": " + vit->second.reason));
  }
  return vit->second.model;
}

std::vector<std::string> ModelManager::ready_versions(const std::string& name) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  auto it = models_.find(name);
  if (it == models_.end()) return out;
  for (const auto& [v, slot] : it->second.versions) {
    if (slot.state == "READY") out.push_back(std::to_string(v));
  }
  return out;
}

std::vector<RepositoryEntry> ModelManager::index(bool ready_only) const {
  // Like Triton, the full index also names the folders never loaded (explicit mode), so a
  // client can see what it may load. Listed before taking the lock: it reads the disk.
  std::vector<std::string> on_disk;
  if (!ready_only) on_disk = list_model_names(options_.repository);
  std::lock_guard lock(mu_);
  std::vector<RepositoryEntry> out;
  for (const auto& [name, m] : models_) {
    if (m.versions.empty() && !ready_only) out.push_back({name, "", "UNAVAILABLE", m.reason});
    for (const auto& [v, slot] : m.versions) {
      if (ready_only && slot.state != "READY") continue;
      out.push_back({name, std::to_string(v), slot.state, slot.reason.empty() ? m.reason : slot.reason});
    }
  }
  for (const std::string& name : on_disk) {
    if (models_.count(name) == 0) out.push_back({name, "", "UNAVAILABLE", "not loaded"});
  }
  std::stable_sort(out.begin(), out.end(), [](const RepositoryEntry& a, const RepositoryEntry& b) { return a.name < b.name; });
  return out;
}

std::vector<std::shared_ptr<ServedModel>> ModelManager::all_ready() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<ServedModel>> out;
  for (const auto& [name, m] : models_) {
    for (const auto& [v, slot] : m.versions) {
      if (slot.model) out.push_back(slot.model);
    }
  }
  return out;
}

Result<std::string> ModelManager::config_json(const std::string& name, const std::string& version) const {
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<ServedModel> model, find(name, version));
  std::lock_guard lock(mu_);
  int64_t v = 0;
  parse_version(model->spec().version, &v);
  return models_.at(name).versions.at(v).config_json;
}

void ModelManager::poll_once() {
  Result<std::vector<ModelOnDisk>> models = scan_repository(options_.repository);
  if (!models.is_ok()) return;  // a transient error: keep serving what is loaded
  std::lock_guard change(change_mu_);
  std::vector<std::string> present;
  for (const ModelOnDisk& m : models.value()) {
    present.push_back(m.name);
    sync_model(m);
  }
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, m] : models_) {
      if (std::find(present.begin(), present.end(), name) == present.end()) gone.push_back(name);
    }
  }
  for (const std::string& name : gone) {
    std::vector<int64_t> versions;
    {
      std::lock_guard lock(mu_);
      for (const auto& [v, slot] : models_[name].versions) versions.push_back(v);
    }
    for (int64_t v : versions) unload_version(name, v);
    std::lock_guard lock(mu_);
    models_.erase(name);
  }
}

void ModelManager::poll_main() {
  std::unique_lock lock(poll_mu_);
  while (!stopping_) {
    poll_cv_.wait_for(lock, std::chrono::seconds(std::max(1, options_.repository_poll_secs)));
    if (stopping_) break;
    lock.unlock();
    poll_once();
    lock.lock();
  }
}

void ModelManager::stop_all() {
  {
    std::lock_guard lock(poll_mu_);
    stopping_ = true;
  }
  poll_cv_.notify_all();
  if (poll_thread_.joinable()) poll_thread_.join();
  for (const std::shared_ptr<ServedModel>& m : all_ready()) m->stop();
}

}  // namespace edgeserve::serving

// ModelManager: the repository's models and their versions as a state machine per version
// (LOADING -> READY -> UNLOADING, or UNAVAILABLE with a reason), kept in step with the disk per
// the control mode: everything at start (none), rescans (poll), or load/unload calls (explicit).
// A new or changed version is loaded and warmed before it replaces the serving one; a failed
// load leaves what was serving in place.
//
// Threading: all methods are thread-safe. Repository changes (sync, load, unload) run one at a
// time; lookups never wait for a load. Requests hold a shared_ptr to the version they run on,
// so unloading a version lets its queued requests finish.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edgeserve/status.h"
#include "serving/core/inference_server.h"
#include "serving/core/server_options.h"
#include "serving/core/served_model.h"

namespace edgeserve::serving {

struct ModelOnDisk;
struct VersionOnDisk;

class ModelManager {
 public:
  explicit ModelManager(ServerOptions options);
  ~ModelManager();  // stops polling and every model

  // Loads what the control mode says to load at start, then starts polling in poll mode.
  Status start();
  // version "" = the newest READY version. NOT_FOUND: unknown model or version; UNAVAILABLE:
  // known but not ready (the message says why).
  Result<std::shared_ptr<ServedModel>> find(const std::string& name, const std::string& version) const;
  // The versions of `name` that are READY, ascending, as strings.
  std::vector<std::string> ready_versions(const std::string& name) const;
  std::vector<RepositoryEntry> index(bool ready_only) const;
  std::vector<std::shared_ptr<ServedModel>> all_ready() const;
  // The config (given or auto-completed) of a READY version, as JSON.
  Result<std::string> config_json(const std::string& name, const std::string& version) const;

  Status load(const std::string& name);
  Status unload(const std::string& name);
  // Rescans the repository once (what the poll thread does).
  void poll_once();
  // Stops polling, closes every queue, finishes queued requests and joins the instances.
  void stop_all();

 private:
  struct VersionSlot {
    std::string state = "UNAVAILABLE";
    std::string reason;
    std::string fingerprint;
    std::string config_json;
    std::shared_ptr<ServedModel> model;
  };
  struct ModelSlot {
    std::string reason;  // a model-level error (bad config, no versions)
    std::map<int64_t, VersionSlot> versions;
  };

  void sync_model(const ModelOnDisk& disk);
  void load_version(const ModelOnDisk& disk, const VersionOnDisk& version, const std::string& config_text);
  void unload_version(const std::string& name, int64_t version);
  void set_model_reason(const std::string& name, const std::string& reason);
  void poll_main();

  const ServerOptions options_;
  mutable std::mutex mu_;  // guards models_
  std::map<std::string, ModelSlot> models_;
  std::mutex change_mu_;   // one repository change at a time
  std::mutex poll_mu_;
  std::condition_variable poll_cv_;
  bool stopping_ = false;
  std::thread poll_thread_;
};

}  // namespace edgeserve::serving

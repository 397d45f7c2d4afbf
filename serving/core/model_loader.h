// Turns one version folder + its config into a running ServedModel: loads the Session with the
// config's threads and optimisation level, completes and checks the config against the model,
// derives the ModelSpec, and warms the model up (every batch size it will see, or the
// config's model_warmup) so the first requests do not pay for kernel compilation.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "edgeserve/status.h"
#include "serving/core/server_options.h"
#include "serving/core/served_model.h"

namespace edgeserve::serving {

struct LoadedModel {
  std::shared_ptr<ServedModel> model;  // started: its instances run
  std::string config_json;             // the completed config
};

// `config_text`: config.pbtxt's contents ("" when absent); `config_path` names it in errors.
Result<LoadedModel> load_served_model(const std::string& name, int64_t version, const std::filesystem::path& version_dir,
                                      const std::string& config_text, const std::string& config_path,
                                      const ServerOptions& options);

}  // namespace edgeserve::serving

// What a model repository holds on disk: `<repo>/<model>/config.pbtxt` (optional) and numeric
// version folders `<repo>/<model>/<version>/<model file>`. A pure listing: loading is the
// caller's. Also a fingerprint per version so that polling can see a changed file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "edgeserve/status.h"

namespace edgeserve::serving {

struct VersionOnDisk {
  int64_t version = 0;
  std::filesystem::path dir;         // <repo>/<model>/<version>; the model file is in it
  std::string fingerprint;           // names, sizes and mtimes of its files: changes on replace
};

struct ModelOnDisk {
  std::string name;                  // the folder name
  std::filesystem::path dir;
  bool has_config = false;
  std::string config_text;           // config.pbtxt's contents when has_config
  std::string config_fingerprint;
  std::vector<VersionOnDisk> versions;  // ascending; non-numeric folders are ignored
  // Why this model cannot be loaded as found ("config.pbtxt is larger than 1 MiB"); empty when
  // fine. A scan never fails for one model: the loader reports this as the model's error.
  std::string error;
};

// config.pbtxt is read only when it is a regular file of at most this size.
inline constexpr uintmax_t kMaxConfigBytes = 1 << 20;

// Lists every model folder (hidden ones skipped). Fails only when `repo` cannot be read; a bad
// model folder still appears so that its error can be reported when it is loaded.
Result<std::vector<ModelOnDisk>> scan_repository(const std::filesystem::path& repo);
// The model folder names only, sorted, without reading configs (the repository index lists
// models that are not loaded too). Empty when `repo` cannot be read.
std::vector<std::string> list_model_names(const std::filesystem::path& repo);
// One model folder (explicit load of a single model).
Result<ModelOnDisk> scan_model(const std::filesystem::path& repo, const std::string& name);

}  // namespace edgeserve::serving

// Lists a model repository with std::filesystem's error_code overloads: a file that vanishes or
// cannot be read mid-scan becomes a message, never an exception.
#include "serving/repository/repository_scan.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <system_error>

namespace edgeserve::serving {
namespace {

namespace fs = std::filesystem;

bool is_hidden(const std::string& name) { return name.empty() || name.front() == '.'; }

// Only canonical numbers name versions: "007" would alias "7" and make two folders one version.
bool parse_version(const std::string& name, int64_t* version) {
  if (name.empty() || (name.size() > 1 && name.front() == '0')) return false;
  if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  const char* end = name.data() + name.size();
  const auto [ptr, ec] = std::from_chars(name.data(), end, *version);
  return ec == std::errc() && ptr == end;  // out of int64 range: not a version
}

int64_t mtime_ns(const fs::path& file, std::error_code& ec) {
  const auto t = fs::last_write_time(file, ec);
  if (ec) return 0;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// "name:size:mtime_ns;" for each regular file, sorted by name. Hidden files are left out: an
// editor's swap file or a copy tool's temporary file is not part of the model.
std::string version_fingerprint(const fs::path& dir) {
  std::vector<std::string> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code file_ec;
    if (is_hidden(name) || !it->is_regular_file(file_ec)) continue;
    const uintmax_t size = fs::file_size(it->path(), file_ec);
    const int64_t mtime = file_ec ? 0 : mtime_ns(it->path(), file_ec);
    if (file_ec) continue;  // removed while we looked: the next scan sees the new state
    entries.push_back(name + ":" + std::to_string(size) + ":" + std::to_string(mtime) + ";");
  }
  // An unreadable folder still gets a fingerprint, distinct from any readable state.
  if (ec) return "unreadable:" + ec.message() + ";";
  std::sort(entries.begin(), entries.end());
  std::string fingerprint;
  for (const auto& e : entries) fingerprint += e;
  return fingerprint;
}

std::vector<VersionOnDisk> scan_versions(const fs::path& model_dir) {
  std::vector<VersionOnDisk> versions;
  std::error_code ec;
  for (fs::directory_iterator it(model_dir, ec), end; !ec && it != end; it.increment(ec)) {
    VersionOnDisk v;
    std::error_code dir_ec;
    if (!parse_version(it->path().filename().string(), &v.version) || !it->is_directory(dir_ec)) continue;
    v.dir = it->path();
    v.fingerprint = version_fingerprint(v.dir);
    versions.push_back(std::move(v));
  }
  std::sort(versions.begin(), versions.end(),
            [](const VersionOnDisk& a, const VersionOnDisk& b) { return a.version < b.version; });
  return versions;
}

// Reads config.pbtxt into `model`; any problem goes to model->error (the scan goes on).
void read_config(const fs::path& file, ModelOnDisk* model) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (ec || !fs::exists(status)) return;  // no config: the model is completed from its file
  model->has_config = true;
  if (!fs::is_regular_file(status)) {
    model->error = file.string() + " is not a regular file";
    return;
  }
  const uintmax_t size = fs::file_size(file, ec);
  const int64_t mtime = ec ? 0 : mtime_ns(file, ec);
  if (ec) {
    model->error = file.string() + ": " + ec.message();
    return;
  }
  // Size and mtime alone can miss a same-size rewrite within one timestamp tick; the content
  // hash below cannot.
  model->config_fingerprint = std::to_string(size) + ":" + std::to_string(mtime);
  if (size > kMaxConfigBytes) {
    model->error = file.string() + " is larger than 1 MiB (" + std::to_string(size) + " bytes)";
    return;
  }
  // Bounded read: the file may have grown since it was measured.
  std::ifstream in(file, std::ios::binary);
  std::string text;
  char chunk[8192];
  while (in && text.size() <= kMaxConfigBytes) {
    in.read(chunk, sizeof(chunk));
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (in.bad() || !in.is_open() || text.size() > kMaxConfigBytes) {
    model->error = file.string() + (text.size() > kMaxConfigBytes ? " is larger than 1 MiB" : " cannot be read");
    return;
  }
  model->config_text = std::move(text);
  model->config_fingerprint += ":" + std::to_string(std::hash<std::string>{}(model->config_text));
}

ModelOnDisk scan_model_dir(const fs::path& dir, const std::string& name) {
  ModelOnDisk model;
  model.name = name;
  model.dir = dir;
  read_config(dir / "config.pbtxt", &model);
  model.versions = scan_versions(dir);
  return model;
}

// The model folders of `repo` (hidden ones skipped), sorted by name.
Result<std::vector<std::string>> model_folder_names(const std::filesystem::path& repo) {
  std::error_code ec;
  if (!fs::is_directory(repo, ec)) {
    return not_found("model repository " + repo.string() + " is not a readable folder" +
                     (ec ? " (" + ec.message() + ")" : ""));
  }
  std::vector<std::string> names;
  for (fs::directory_iterator it(repo, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code dir_ec;
    if (!is_hidden(name) && it->is_directory(dir_ec)) names.push_back(name);
  }
  if (ec) return invalid_argument("model repository " + repo.string() + " cannot be listed: " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<std::vector<ModelOnDisk>> scan_repository(const std::filesystem::path& repo) {
  EDGE_ASSIGN_OR_RETURN(const std::vector<std::string> names, model_folder_names(repo));
  std::vector<ModelOnDisk> models;
  for (const std::string& name : names) models.push_back(scan_model_dir(repo / name, name));
  return models;
}

std::vector<std::string> list_model_names(const std::filesystem::path& repo) {
  Result<std::vector<std::string>> names = model_folder_names(repo);
  return names.is_ok() ? std::move(names).value() : std::vector<std::string>{};
}

Result<ModelOnDisk> scan_model(const std::filesystem::path& repo, const std::string& name) {
  // The name comes from a request: it must stay a single folder inside the repository.
  if (is_hidden(name) || name.find_first_of("/\\") != std::string::npos) {
    return invalid_argument("model name \"" + name + "\" is not a folder name in the repository");
  }
  const fs::path dir = repo / name;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found("model folder " + dir.string() + " does not exist");
  return scan_model_dir(dir, name);
}

}  // namespace edgeserve::serving

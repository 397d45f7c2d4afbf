// Validation of SourceOptions and the URI helpers the source stage shares.
#include "vision/source/source_options.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "common/strings.h"

namespace edgeserve::vision {
namespace {

constexpr size_t kMaxIdLength = 64;
constexpr double kMaxFps = 1000;
constexpr double kMaxTimeoutS = 3600;

bool is_network_scheme(const std::string& scheme) {
  static const char* const kSchemes[] = {"rtsp", "rtsps", "http", "https", "udp", "tcp", "rtp", "rtmp"};
  return std::find(std::begin(kSchemes), std::end(kSchemes), scheme) != std::end(kSchemes);
}

bool is_valid_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// A positive, finite duration no longer than an hour.
Status check_duration(const std::string& prefix, const char* field, double seconds) {
  if (std::isfinite(seconds) && seconds > 0 && seconds <= kMaxTimeoutS) return Status::ok();
  return invalid_argument(str_cat(prefix, field, " must be a number of seconds in (0, ", kMaxTimeoutS,
                                  "], got ", seconds));
}

Status check_uri(const std::string& prefix, const SourceOptions& options) {
  if (options.uri.empty()) return invalid_argument(prefix + "uri is empty; expected a file path or a URL");
  const std::string scheme = uri_scheme(options.uri);
  if (!scheme.empty() && scheme != "file" && !is_network_scheme(scheme)) {
    return invalid_argument(str_cat(prefix, "uri '", redact_uri(options.uri), "' has the unsupported scheme '",
                                    scheme, "'; expected a file path, file://, rtsp://, http(s)://, udp:// or tcp://"));
  }
  if (options.loop && is_live(options)) {
    return invalid_argument(str_cat(prefix, "loop applies to files only, not to '", redact_uri(options.uri), "'"));
  }
  return Status::ok();
}

}  // namespace

std::string uri_scheme(const std::string& uri) {
  const size_t colon = uri.find("://");
  if (colon == std::string::npos || colon == 0) return "";
  std::string scheme = uri.substr(0, colon);
  const bool well_formed = std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                           std::all_of(scheme.begin(), scheme.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                           });
  if (!well_formed) return "";
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return scheme;
}

bool is_live(const SourceOptions& options) { return is_network_scheme(uri_scheme(options.uri)); }

std::string redact_uri(const std::string& uri) {
  const size_t authority = uri.find("://");
  if (authority == std::string::npos) return uri;
  const size_t host_start = authority + 3;
  const size_t path_start = uri.find('/', host_start);
  const size_t at = uri.rfind('@', path_start == std::string::npos ? std::string::npos : path_start);
  if (at == std::string::npos || at < host_start) return uri;
  return uri.substr(0, host_start) + "***" + uri.substr(at);
}

std::string ffmpeg_url(const std::string& uri) {
  const std::string scheme = uri_scheme(uri);
  if (scheme == "file") return "file:" + uri.substr(uri.find("://") + 3);
  if (scheme.empty()) return "file:" + uri;
  return uri;
}

Status validate(const SourceOptions& options) {
  if (!is_valid_id(options.id)) {
    return invalid_argument(str_cat("source id '", options.id, "' must be 1 to ", kMaxIdLength,
                                    " characters of [A-Za-z0-9_-]"));
  }
  const std::string prefix = "source '" + options.id + "': ";
  EDGE_RETURN_IF_ERROR(check_uri(prefix, options));
  if (!std::isfinite(options.max_fps) || options.max_fps < 0 || options.max_fps > kMaxFps) {
    return invalid_argument(str_cat(prefix, "max_fps must be 0 (every frame) or in (0, ", kMaxFps, "], got ",
                                    options.max_fps));
  }
  EDGE_RETURN_IF_ERROR(check_duration(prefix, "io_timeout_s", options.io_timeout_s));
  EDGE_RETURN_IF_ERROR(check_duration(prefix, "stall_timeout_s", options.stall_timeout_s));
  EDGE_RETURN_IF_ERROR(check_duration(prefix, "reconnect_min_s", options.reconnect_min_s));
  EDGE_RETURN_IF_ERROR(check_duration(prefix, "reconnect_max_s", options.reconnect_max_s));
  if (options.reconnect_max_s < options.reconnect_min_s) {
    return invalid_argument(str_cat(prefix, "reconnect_max_s (", options.reconnect_max_s,
                                    ") must be >= reconnect_min_s (", options.reconnect_min_s, ")"));
  }
  if (options.rtsp_transport != "tcp" && options.rtsp_transport != "udp") {
    return invalid_argument(str_cat(prefix, "rtsp_transport must be \"tcp\" or \"udp\", got \"",
                                    options.rtsp_transport, "\""));
  }
  return Status::ok();
}

}  // namespace edgeserve::vision

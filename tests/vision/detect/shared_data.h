// ../shared test data for the detector tests: found through EDGE_SHARED_DIR (set by ctest) or
// the repository's sibling folder; tests skip cleanly when it is absent.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace edgeserve::vision::testing {

inline std::string shared_path(const std::string& relative) {
  const char* env = std::getenv("EDGE_SHARED_DIR");
  const std::string root = env != nullptr ? env : "../shared";
  const std::string path = root + "/" + relative;
  return std::filesystem::exists(path) ? path : std::string();
}

}  // namespace edgeserve::vision::testing

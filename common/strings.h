// Small string helpers used in error messages.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace edgeserve {

// Formats dims as "[1, 3, 224, 224]".
std::string dims_to_string(const std::vector<int64_t>& dims);

// Concatenates the streamable arguments: str_cat("node '", name, "' has ", n, " inputs").
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace edgeserve

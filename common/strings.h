// Small string helpers used in error messages.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace edgeserve {

// Formats dims as "[1, 3, 224, 224]".
std::string dims_to_string(const std::vector<int64_t>& dims);

// Joins the parts with `sep` between them: join({"a", "b"}, ", ") == "a, b".
std::string join(const std::vector<std::string>& parts, const std::string& sep);

// Concatenates the streamable arguments: str_cat("node '", name, "' has ", n, " inputs").
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace edgeserve

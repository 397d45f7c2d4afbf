// Minimal command-line parsing for the edgeserve subcommands: positional arguments plus
// --flag VALUE / --flag=VALUE options, some repeatable. Unknown flags are errors.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace edgeserve::cli {

struct ArgSpec {
  std::set<std::string> value_flags;  // flags taking a value, e.g. "--input"
  std::set<std::string> bool_flags;   // flags without a value, e.g. "--verbose"
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  // flag -> values in order
  std::set<std::string> flags;

  bool has(const std::string& flag) const { return values.count(flag) || flags.count(flag); }
  std::string get(const std::string& flag, const std::string& fallback = "") const;
  std::vector<std::string> all(const std::string& flag) const;
  Result<int64_t> get_int(const std::string& flag, int64_t fallback) const;
  Result<double> get_double(const std::string& flag, double fallback) const;
};

Result<Args> parse_args(int argc, char** argv, int first, const ArgSpec& spec);

}  // namespace edgeserve::cli

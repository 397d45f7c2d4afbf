// Command-line parsing.
#include "apps/edgeserve/args.h"

#include <cctype>

#include "common/strings.h"

namespace edgeserve::cli {

std::string Args::get(const std::string& flag, const std::string& fallback) const {
  auto it = values.find(flag);
  return it == values.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::all(const std::string& flag) const {
  auto it = values.find(flag);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

Result<int64_t> Args::get_int(const std::string& flag, int64_t fallback) const {
  if (!values.count(flag)) return fallback;
  const std::string v = get(flag);
  try {
    size_t used = 0;
    const int64_t n = std::stoll(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  return invalid_argument(str_cat(flag, " expects an integer, got '", v, "'"));
}

Result<double> Args::get_double(const std::string& flag, double fallback) const {
  if (!values.count(flag)) return fallback;
  const std::string v = get(flag);
  try {
    size_t used = 0;
    const double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (const std::exception&) {
  }
  return invalid_argument(str_cat(flag, " expects a number, got '", v, "'"));
}

Result<Args> parse_args(int argc, char** argv, int first, const ArgSpec& spec) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    // Long options "--name[=value]", and single-letter ones ("-o") for the conventional few.
    const bool short_option = a.size() == 2 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1]));
    if ((a.rfind("--", 0) != 0 || a == "--") && !short_option) {
      args.positional.push_back(a);
      continue;
    }
    std::string value;
    const size_t eq = a.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    if (spec.bool_flags.count(a) && !inline_value) {
      args.flags.insert(a);
    } else if (spec.value_flags.count(a)) {
      if (!inline_value) {
        if (i + 1 >= argc) return invalid_argument(str_cat(a, " needs a value"));
        value = argv[++i];
      }
      args.values[a].push_back(value);
    } else {
      return invalid_argument(str_cat("unknown option '", a, "'"));
    }
  }
  return args;
}

}  // namespace edgeserve::cli

// `edgeserve conformance`: runs ONNX-test-style cases (model.onnx + test_data_set_*/input_*.pb,
// output_*.pb) through `edgeserve run` in a child process — so a crash or hang in one case is
// a reported failure, not the end of the run — and compares the outputs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/commands.h"
#include "apps/edgeserve/conformance_report.h"
#include "apps/edgeserve/tensor_compare.h"
#include "common/strings.h"
#include "edgeserve/session.h"
#include "edgeserve/tensor_io.h"

namespace edgeserve::cli {

namespace {

namespace fs = std::filesystem;

struct Case {
  std::string name;
  std::string model;
  std::vector<std::string> data_sets;
};

// Files named <prefix><number>.pb in numeric order.
std::vector<std::string> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) != 0 || e.path().extension() != ".pb") continue;
    try {
      found.emplace_back(std::stoi(n.substr(prefix.size())), e.path().string());
    } catch (const std::exception&) {
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

Case case_from_dir(const fs::path& dir) {
  Case c{dir.filename().string(), (dir / "model.onnx").string(), {}};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) {
      c.data_sets.push_back(e.path().string());
    }
  }
  std::sort(c.data_sets.begin(), c.data_sets.end());
  return c;
}

Result<std::vector<Case>> collect_cases(const Args& args) {
  std::vector<Case> cases;
  for (const std::string& p : args.positional) {
    std::error_code ec;
    if (fs::exists(fs::path(p) / "model.onnx", ec)) {
      cases.push_back(case_from_dir(p));
      continue;
    }
    if (!fs::is_directory(p, ec)) return not_found(str_cat(p, ": not a directory"));
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(p, ec)) {
      if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
    }
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) cases.push_back(case_from_dir(d));
  }
  for (const std::string& spec : args.all("--case")) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos) return invalid_argument(str_cat("--case expects MODEL=DATA_DIR, got '", spec, "'"));
    cases.push_back(Case{spec.substr(0, eq), spec.substr(0, eq), {spec.substr(eq + 1)}});
  }
  return cases;
}

// Skip list: one case per line, "name  reason"; '#' starts a comment line.
Result<std::map<std::string, std::string>> read_skip_list(const std::string& path) {
  std::map<std::string, std::string> skips;
  if (path.empty()) return skips;
  std::ifstream in(path);
  if (!in) return not_found(str_cat(path, ": cannot open skip list"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.find_first_of(" \t");
    const std::string name = line.substr(0, sp);
    std::string reason = sp == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", sp));
    skips[name] = reason;
  }
  return skips;
}

// How each case is run: the child's time limit and the options passed on to `edgeserve run`.
struct RunOptions {
  int timeout_s = 120;
  std::vector<std::string> run_args;  // --provider P, --level L
};

// Runs `edgeserve run` in a child; returns "" on success or the child's first stderr line.
std::string run_child(const std::string& model, const std::vector<std::string>& inputs, const std::string& out_dir,
                      const RunOptions& opts) {
  const int timeout_s = opts.timeout_s;
  std::vector<std::string> argv_s = {"edgeserve", "run", model, "--output-dir", out_dir};
  argv_s.insert(argv_s.end(), opts.run_args.begin(), opts.run_args.end());
  for (const auto& in : inputs) {
    argv_s.push_back("--input");
    argv_s.push_back(in);
  }
  const std::string err_path = out_dir + "/stderr.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* err = std::freopen(err_path.c_str(), "w", stderr);
    (void)err;
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  if (pid < 0) return "fork failed";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return str_cat("timed out after ", timeout_s, " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::ifstream err(err_path);
  std::string line;
  std::getline(err, line);
  if (WIFSIGNALED(status)) return str_cat("crashed with signal ", WTERMSIG(status), " ", line);
  return line.empty() ? str_cat("exit code ", WEXITSTATUS(status)) : line;
}

// Compares two values of one declared type: tensors, sequences element by element, optionals.
std::string compare_values(const Tensor& expected, const Tensor& actual, const Tolerance& tol) {
  if (expected.is_none() || actual.is_none()) {
    return expected.is_none() == actual.is_none() ? "" : (expected.is_none() ? "expected an empty optional" : "got an empty optional");
  }
  if (expected.is_sequence() != actual.is_sequence()) return "a sequence where a tensor was expected, or the reverse";
  if (!expected.is_sequence()) return compare_tensors(expected, actual, tol);
  if (expected.items().size() != actual.items().size()) {
    return str_cat("sequence of ", actual.items().size(), " elements, expected ", expected.items().size());
  }
  for (size_t i = 0; i < expected.items().size(); ++i) {
    const std::string diff = compare_tensors(expected.items()[i], actual.items()[i], tol);
    if (!diff.empty()) return str_cat("element ", i, ": ", diff);
  }
  return "";
}

// The model's declared input and output types: sequence and optional values are read as such,
// and the bfloat16 quirk below needs them.
struct CaseTypes {
  std::vector<TensorType> inputs, outputs;
};

CaseTypes case_types(const ModelInfo& info) {
  CaseTypes types;
  for (const auto& t : info.inputs) types.inputs.push_back(t.type);
  for (const auto& t : info.outputs) types.outputs.push_back(t.type);
  return types;
}

// ONNX 1.12's backend test data stores bfloat16 tensors as uint16 (the same bits, the wrong
// data_type). Where the model declares bfloat16, the bits are taken as bfloat16.
Tensor as_declared_bfloat16(Tensor t, const TensorType& declared) {
  if (declared.dtype != DType::kBFloat16 || t.is_container() || t.dtype() != DType::kUint16) return t;
  Tensor out = Tensor::allocate(DType::kBFloat16, t.dims()).value();
  if (t.byte_size() > 0) std::memcpy(out.mutable_raw_data(), t.raw_data(), t.byte_size());
  return out;
}

// The input files, with uint16-for-bfloat16 inputs rewritten into `dir`.
std::vector<std::string> prepared_inputs(const std::string& data_dir, const CaseTypes& types, const std::string& dir) {
  std::vector<std::string> files = numbered_files(data_dir, "input_");
  for (size_t i = 0; i < files.size() && i < types.inputs.size(); ++i) {
    if (types.inputs[i].dtype != DType::kBFloat16) continue;
    auto t = read_tensor_file(files[i]);
    if (!t.is_ok() || t->tensor.dtype() != DType::kUint16) continue;
    const std::string fixed = str_cat(dir, "/bfloat16_input_", i, ".pb");
    if (write_tensor_file(fixed, t->name, as_declared_bfloat16(t->tensor, types.inputs[i])).is_ok()) files[i] = fixed;
  }
  return files;
}

std::string check_data_set(const Case& c, const CaseTypes& types, const std::string& data_dir, const Tolerance& tol,
                           const RunOptions& opts) {
  char tmpl[] = "/tmp/edgeserve-conf-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return "cannot create a temporary directory";
  const std::string out_dir = tmpl;
  std::string problem = run_child(c.model, prepared_inputs(data_dir, types, out_dir), out_dir, opts);
  if (problem.empty()) {
    const auto expected = numbered_files(data_dir, "output_");
    const auto actual = numbered_files(out_dir, "output_");
    if (expected.size() != actual.size()) {
      problem = str_cat("produced ", actual.size(), " outputs, expected ", expected.size());
    }
    for (size_t i = 0; problem.empty() && i < expected.size(); ++i) {
      const TensorType type = i < types.outputs.size() ? types.outputs[i] : TensorType{};
      auto e = read_value_file(expected[i], type);
      auto a = read_value_file(actual[i], type);
      if (e.is_ok()) e->tensor = as_declared_bfloat16(e->tensor, type);
      if (!e.is_ok()) problem = str_cat("reference output ", i, ": ", e.status().message());
      else if (!a.is_ok()) problem = str_cat("output ", i, ": ", a.status().message());
      else {
        const std::string diff = compare_values(e->tensor, a->tensor, tol);
        if (!diff.empty()) problem = str_cat("output ", i, " ('", e->name, "'): ", diff);
      }
    }
  }
  std::error_code ec;
  fs::remove_all(out_dir, ec);
  return problem;
}

// Runs (or skips) one case. The model is inspected once, for its declared types and, when
// `with_ops`, for the report's operator list.
CaseResult run_case(const Case& c, const std::map<std::string, std::string>& skips, const Tolerance& tol,
                    const RunOptions& opts, bool with_ops) {
  CaseResult r;
  r.name = c.name;
  r.suite = fs::path(c.model).parent_path().parent_path().filename().string();
  auto skip = skips.find(c.name);
  if (skip != skips.end() && !with_ops) {
    r.outcome = CaseOutcome::kSkip;
    r.reason = skip->second;
    return r;
  }
  auto info = inspect_model(c.model);
  if (with_ops && !info.is_ok()) r.ops = {"(model does not load)"};
  if (with_ops && info.is_ok()) {
    for (const auto& [op, count] : info->summary.op_histogram) r.ops.push_back(op);
  }
  if (skip != skips.end()) {
    r.outcome = CaseOutcome::kSkip;
    r.reason = skip->second;
    return r;
  }
  const CaseTypes types = info.is_ok() ? case_types(*info) : CaseTypes{};
  std::string problem = c.data_sets.empty() ? "no test_data_set_* directory" : "";
  for (const auto& ds : c.data_sets) {
    if (problem.empty()) problem = check_data_set(c, types, ds, tol, opts);
  }
  r.outcome = problem.empty() ? CaseOutcome::kPass : CaseOutcome::kFail;
  r.reason = problem;
  return r;
}

// The command as run, with the binary as `edgeserve`, for the report's header.
std::string command_line(int argc, char** argv) {
  std::string cmd = "edgeserve";
  for (int i = 1; i < argc; ++i) cmd += std::string(" ") + argv[i];
  return cmd;
}

}  // namespace

int cmd_conformance(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2,
                         {{"--case", "--skip-list", "--rtol", "--atol", "--range-tol", "--timeout-s", "--provider", "--level", "--markdown"},
                          {"--verbose", "--help"}});
  if (!args.is_ok()) return fail("conformance", args.status().message(), 2);
  if (args->has("--help") || (args->positional.empty() && !args->has("--case"))) {
    std::fputs("usage: edgeserve conformance DIR... [--case MODEL=DATA_DIR] [--skip-list FILE] [--rtol R] "
               "[--atol A] [--range-tol T] [--timeout-s S] [--provider P] [--level L] [--markdown FILE] [--verbose]\n"
               "  --skip-list may be given more than once; --markdown writes a per-suite and per-operator report.\n",
               args->has("--help") ? stdout : stderr);
    return args->has("--help") ? 0 : 2;
  }
  Tolerance tol;
  auto rtol = args->get_double("--rtol", 1e-3);
  auto atol = args->get_double("--atol", 1e-7);
  auto range_tol = args->get_double("--range-tol", 0);
  auto timeout = args->get_int("--timeout-s", 120);
  for (const Status& st : {rtol.status(), atol.status(), range_tol.status(), timeout.status()}) {
    if (!st.is_ok()) return fail("conformance", st.message(), 2);
  }
  tol = Tolerance{*rtol, *atol, *range_tol};
  RunOptions opts;
  opts.timeout_s = static_cast<int>(*timeout);
  for (const char* flag : {"--provider", "--level"}) {
    if (args->has(flag)) opts.run_args.insert(opts.run_args.end(), {flag, args->get(flag)});
  }
  auto cases = collect_cases(*args);
  if (!cases.is_ok()) return fail("conformance", cases.status().message(), 2);
  std::map<std::string, std::string> skip_map;
  for (const std::string& list : args->all("--skip-list")) {
    auto one = read_skip_list(list);
    if (!one.is_ok()) return fail("conformance", one.status().message(), 2);
    skip_map.insert(one->begin(), one->end());
  }
  const auto* skips = &skip_map;

  int passed = 0, failed = 0, skipped = 0;
  const bool verbose = args->has("--verbose");
  const std::string markdown = args->get("--markdown");
  std::vector<CaseResult> results;
  for (const Case& c : *cases) {
    CaseResult r = run_case(c, *skips, tol, opts, !markdown.empty());
    if (r.outcome == CaseOutcome::kSkip) {
      ++skipped;
      if (verbose) std::printf("SKIP %s: %s\n", c.name.c_str(), r.reason.c_str());
    } else if (r.outcome == CaseOutcome::kPass) {
      ++passed;
      if (verbose) std::printf("PASS %s\n", c.name.c_str());
    } else {
      ++failed;
      std::printf("FAIL %s: %s\n", c.name.c_str(), r.reason.c_str());
    }
    std::fflush(stdout);
    if (!markdown.empty()) results.push_back(std::move(r));
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  if (!markdown.empty()) {
    Status st = write_conformance_report(markdown, command_line(argc, argv), results);
    if (!st.is_ok()) return fail("conformance", st.message());
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace edgeserve::cli

// `edgeserve run`: bind tensor files to model inputs, run, write outputs as TensorProto files.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/commands.h"
#include "common/strings.h"
#include "edgeserve/session.h"
#include "edgeserve/tensor_io.h"

namespace edgeserve::cli {

int fail(const char* cmd, const std::string& message, int code) {
  std::string one_line = message;
  for (char& c : one_line) {
    if (c == '\n') c = ' ';
  }
  std::fprintf(stderr, "edgeserve %s: %s\n", cmd, one_line.c_str());
  return code;
}

namespace {

constexpr const char* kRunHelp =
    "usage: edgeserve run MODEL --input FILE [--input FILE ...] --output-dir DIR [--provider cpu|reference] "
    "[--threads N] [--level 0|1|2]\n"
    "  An input FILE is a serialized ONNX TensorProto (.pb) or a NumPy .npy file. It binds to the model input\n"
    "  named by the TensorProto, else to the next unbound input in declaration order. Outputs are written as\n"
    "  DIR/output_<i>.pb (TensorProto with name, dims, data_type, raw_data) in graph-output order.\n"
    "  Inputs and outputs declared as sequences or optionals use ONNX's SequenceProto and OptionalProto.\n";

// Reads `file` as the value of `decl`, keeping the name stored in the file.
Result<NamedTensor> read_for(const std::string& file, const TensorInfo& decl) { return read_value_file(file, decl.type); }

// The declared input whose name the file carries, or decl.size(). A file that is a tensor is
// read once; sequence and optional files are recognised by parsing them as such.
size_t named_input(const std::string& file, const std::vector<TensorInfo>& decl, std::optional<NamedTensor>& read) {
  auto tensor = read_tensor_file(file);
  for (size_t i = 0; tensor.is_ok() && i < decl.size(); ++i) {
    if (decl[i].name == tensor->name && decl[i].type.kind == ValueKind::kTensor) {
      read = std::move(tensor).value();
      return i;
    }
  }
  for (size_t i = 0; i < decl.size(); ++i) {
    if (decl[i].type.kind == ValueKind::kTensor) continue;
    auto value = read_for(file, decl[i]);
    if (value.is_ok() && value->name == decl[i].name) {
      read = std::move(value).value();
      return i;
    }
  }
  return decl.size();
}

// Binds each file to a model input: by the name stored in it, else to the next unbound input
// in declaration order, read as that input's declared type (tensor, sequence or optional).
Result<std::vector<NamedTensor>> bind_files(const Session& session, const std::vector<std::string>& files) {
  const auto& decl = session.inputs();
  std::vector<std::optional<NamedTensor>> loaded(files.size());
  std::vector<size_t> target(files.size(), decl.size());
  std::vector<bool> taken(decl.size(), false);
  for (size_t k = 0; k < files.size(); ++k) {
    target[k] = named_input(files[k], decl, loaded[k]);
    if (target[k] < decl.size()) taken[target[k]] = true;
  }
  size_t next = 0;
  std::vector<NamedTensor> bound;
  for (size_t k = 0; k < files.size(); ++k) {
    if (target[k] == decl.size()) {
      while (next < decl.size() && taken[next]) ++next;
      if (next == decl.size()) {
        return invalid_argument(str_cat(files[k], ": more input files than model inputs (", decl.size(), ")"));
      }
      EDGE_ASSIGN_OR_RETURN(NamedTensor value, read_for(files[k], decl[next]));
      loaded[k] = std::move(value);
      target[k] = next;
      taken[next] = true;
    }
    loaded[k]->name = decl[target[k]].name;
    bound.push_back(std::move(*loaded[k]));
  }
  return bound;
}

}  // namespace

int cmd_run(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, {{"--input", "--output-dir", "--provider", "--threads", "--level"}, {"--help"}});
  if (!args.is_ok()) return fail("run", args.status().message(), 2);
  if (args->has("--help")) {
    std::fputs(kRunHelp, stdout);
    return 0;
  }
  if (args->positional.size() != 1 || !args->has("--output-dir")) {
    std::fputs(kRunHelp, stderr);
    return 2;
  }
  SessionOptions options;
  if (!parse_provider(args->get("--provider", "cpu"), &options.provider)) {
    return fail("run", str_cat("unknown provider '", args->get("--provider"), "' (available: cpu, reference)"), 2);
  }
  auto threads = args->get_int("--threads", 0);
  if (!threads.is_ok() || *threads < 0) return fail("run", "--threads expects a non-negative integer", 2);
  options.threads = static_cast<int>(*threads);
  auto level = args->get_int("--level", 2);
  if (!level.is_ok() || *level < 0 || *level > 2) return fail("run", "--level expects 0, 1 or 2", 2);
  options.optimization_level = static_cast<int>(*level);

  auto session = Session::load(args->positional[0], options);
  if (!session.is_ok()) return fail("run", session.status().message());
  auto inputs = bind_files(**session, args->all("--input"));
  if (!inputs.is_ok()) return fail("run", inputs.status().message());
  auto outputs = (*session)->run(*inputs);
  if (!outputs.is_ok()) return fail("run", str_cat(args->positional[0], ": ", outputs.status().message()));

  const std::string dir = args->get("--output-dir");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("run", str_cat(dir, ": ", ec.message()));
  const auto& decl = (*session)->outputs();
  for (size_t i = 0; i < outputs->size(); ++i) {
    const std::string path = str_cat(dir, "/output_", i, ".pb");
    Status st = write_value_file(path, decl[i].name, (*outputs)[i], decl[i].type);
    if (!st.is_ok()) return fail("run", st.message());
  }
  return 0;
}

}  // namespace edgeserve::cli

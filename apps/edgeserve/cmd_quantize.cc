// `edgeserve quantize`: post-training static quantization with calibration, writing a standard
// QDQ ONNX model (engine/quantize; images are decoded here, with OpenCV).
#include <cstdio>
#include <filesystem>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/calibration_images.h"
#include "apps/edgeserve/commands.h"
#include "apps/edgeserve/progress_bar.h"
#include "common/strings.h"
#include "edgeserve/session.h"
#include "engine/quantize/quantizer.h"
#include "engine/quantize/tensor_samples.h"

namespace edgeserve::cli {

namespace {

constexpr const char* kQuantizeHelp =
    "usage: edgeserve quantize MODEL -o OUT.onnx --calibration PATH [--method minmax|percentile|entropy]\n"
    "         [--percentile P] [--per-channel] [--samples N] [--exclude NODE ...] [--max-drop X]\n"
    "         [--preprocess SPEC] [--threads T] [--provider cpu|reference] [--speed-check]\n"
    "  Post-training static quantization: runs the FP32 model on calibration samples, then writes a\n"
    "  QDQ model (QuantizeLinear/DequantizeLinear, opset 13): activations uint8 asymmetric, weights\n"
    "  int8 symmetric (per output channel with --per-channel), biases int32.\n"
    "  --calibration PATH  a folder of images (jpg, png, bmp, ...; made into the input by --preprocess)\n"
    "                      or of .pb/.npy tensors used as they are (several inputs: one subfolder per\n"
    "                      sample holding <input name>.pb|.npy). Sorted by name, the first N used.\n"
    "  --method            minmax (default), percentile (|x| clipped at --percentile, default 99.99),\n"
    "                      entropy (TensorRT's KL-divergence threshold on a 2048-bin histogram)\n"
    "  --samples N         at most N samples (default 100)\n"
    "  --exclude NODE      keep a node FP32 (repeatable, or a comma list); an unnamed node is\n"
    "                      <op_type>_<position in the file>, as `edgeserve quantize` reports it\n"
    "  --max-drop X        after writing, compare with FP32 on the calibration samples (top-1 agreement\n"
    "                      when output 0 is [N, C] scores, else mean cosine similarity); while\n"
    "                      1 - agreement > X keep the node adding the most noise FP32 and retry\n"
    "  --preprocess SPEC   comma list: imagenet | yolox presets, size=WxH, nchw|nhwc, rgb|bgr,\n"
    "                      scale=1/255 | 0..255 | 0..1, mean=a:b:c, std=a:b:c, stretch | crop[=S] |\n"
    "                      letterbox, pad=V, align=topleft|center (see apps/edgeserve/preprocess_spec.h)\n"
    "  --provider          engine provider for calibration and evaluation runs (default cpu)\n"
    "  --threads T         threads for those runs and for the speed check (default: all cores)\n"
    "  --speed-check       never slower: time INT8 against FP32 on this machine (cpu provider, --threads);\n"
    "                      nodes INT8 slows down stay FP32 when that makes the model faster, and if\n"
    "                      no INT8 variant is faster than FP32 the FP32 model is written unchanged\n";

struct QuantizeArgs {
  std::string model, output, calibration, preprocess;
  int samples = 100;
  quant::QuantizeOptions options;
};

Status parse_exclude(const Args& args, std::vector<std::string>* out) {
  for (const std::string& v : args.all("--exclude")) {
    size_t start = 0;
    for (size_t i = 0; i <= v.size(); ++i) {
      if (i < v.size() && v[i] != ',') continue;
      if (i > start) out->push_back(v.substr(start, i - start));
      start = i + 1;
    }
  }
  return Status::ok();
}

Result<QuantizeArgs> parse_quantize_args(const Args& args) {
  QuantizeArgs q;
  q.output = args.has("-o") ? args.get("-o") : args.get("--output");
  q.calibration = args.get("--calibration");
  if (args.positional.size() != 1 || q.output.empty() || q.calibration.empty()) {
    return invalid_argument("expected MODEL, -o OUT.onnx and --calibration PATH");
  }
  q.model = args.positional[0];
  q.preprocess = args.get("--preprocess");
  auto& cal = q.options.calibration;
  if (!quant::parse_calibration_method(args.get("--method", "minmax"), &cal.method)) {
    return invalid_argument("--method expects minmax, percentile or entropy");
  }
  EDGE_ASSIGN_OR_RETURN(cal.percentile, args.get_double("--percentile", 99.99));
  if (!(cal.percentile > 0 && cal.percentile <= 100)) return invalid_argument("--percentile expects 0 < P <= 100");
  EDGE_ASSIGN_OR_RETURN(int64_t samples, args.get_int("--samples", 100));
  if (samples < 1) return invalid_argument("--samples expects N >= 1");
  q.samples = static_cast<int>(std::min<int64_t>(samples, 1 << 20));
  EDGE_ASSIGN_OR_RETURN(int64_t threads, args.get_int("--threads", 0));
  if (threads < 0 || threads > 1024) return invalid_argument("--threads expects 0..1024");
  cal.runner.threads = static_cast<int>(threads);
  q.options.speed.threads = static_cast<int>(threads);
  q.options.check_speed = args.has("--speed-check");
  if (!parse_provider(args.get("--provider", "cpu"), &cal.runner.provider)) {
    return invalid_argument("--provider expects cpu or reference");
  }
  EDGE_ASSIGN_OR_RETURN(q.options.max_drop, args.get_double("--max-drop", -1));
  if (args.has("--max-drop") && !(q.options.max_drop >= 0 && q.options.max_drop <= 1)) {
    return invalid_argument("--max-drop expects 0 <= X <= 1");
  }
  q.options.per_channel = args.has("--per-channel");
  EDGE_RETURN_IF_ERROR(parse_exclude(args, &q.options.exclude));
  return q;
}

// Images when the folder holds any, else tensor files.
Result<std::unique_ptr<quant::SampleSource>> open_samples(const QuantizeArgs& q, const std::vector<TensorInfo>& inputs,
                                                          int* images) {
  EDGE_ASSIGN_OR_RETURN(std::vector<std::string> paths, quant::list_files(q.calibration, image_extensions()));
  *images = static_cast<int>(paths.size());
  if (paths.empty()) {
    if (!q.preprocess.empty()) return invalid_argument(str_cat(q.calibration, ": --preprocess given but no images found"));
    return quant::open_tensor_samples(q.calibration, inputs, q.samples);
  }
  if (inputs.size() != 1) {
    return invalid_argument(str_cat("calibration images need a single-input model; this one has ", inputs.size(),
                                    " (use a folder of tensor files)"));
  }
  EDGE_ASSIGN_OR_RETURN(PreprocessSpec spec, parse_preprocess_spec(q.preprocess));
  EDGE_ASSIGN_OR_RETURN(spec, resolve_spec(spec, inputs[0]));
  if (static_cast<int>(paths.size()) > q.samples) paths.resize(static_cast<size_t>(q.samples));
  return image_samples(std::move(paths), spec, inputs[0].name);
}

void print_report(const QuantizeArgs& q, const quant::QuantizeReport& r, int samples) {
  std::printf("quantized %d nodes: %d activation Q/DQ pairs, %d int8 weights (%s), method %s, %d samples\n",
              r.quantized_nodes, r.activation_pairs, r.quantized_weights,
              q.options.per_channel ? "per channel" : "per tensor",
              quant::calibration_method_name(q.options.calibration.method), samples);
  std::error_code ec;
  const auto fp32 = std::filesystem::file_size(q.model, ec);
  const auto int8 = std::filesystem::file_size(q.output, ec);
  if (!ec && int8 > 0) {
    std::printf("size: FP32 %llu bytes -> INT8 %llu bytes (%.2fx smaller)\n", static_cast<unsigned long long>(fp32),
                static_cast<unsigned long long>(int8), static_cast<double>(fp32) / static_cast<double>(int8));
  }
  if (r.evaluated) {
    std::printf("accuracy: %s %.4f on the calibration samples (drop %.4f, max %.4f) after %d attempt%s%s\n",
                r.agreement.metric.c_str(), r.agreement.agreement, r.agreement.drop(), q.options.max_drop, r.attempts,
                r.attempts == 1 ? "" : "s", r.within_max_drop ? "" : "; NOT within --max-drop");
  }
  if (r.speed_checked) {
    std::printf("speed: FP32 p50 %.3f ms, INT8 p50 %.3f ms (%.2fx) on this machine%s\n", r.fp32_ms, r.int8_ms,
                r.int8_ms > 0 ? r.fp32_ms / r.int8_ms : 0.0,
                r.wrote_fp32 ? "; INT8 is not faster: wrote the FP32 model unchanged" : "");
  }
  if (!r.weight_only.empty()) {
    std::string names;
    for (const std::string& n : r.weight_only) names += (names.empty() ? "" : ", ") + n;
    std::printf("int8 weights, float compute (output read in FP32): %s\n", names.c_str());
  }
  if (r.kept_fp32.empty()) std::printf("FP32 nodes: none\n");
  for (const auto& [node, reason] : r.kept_fp32) {
    auto e = r.accuracy_error.find(node);
    auto t = r.speed_ms.find(node);
    if (e != r.accuracy_error.end()) {
      std::printf("FP32 node: %s (%s: added noise/signal %.3g)\n", node.c_str(), quant::keep_reason_name(reason), e->second);
    } else if (reason == quant::KeepReason::kCoarseInput && !r.coarse_inputs.count(node)) {
      std::printf("FP32 node: %s (%s: the SiLU producing a coarse depthwise input)\n", node.c_str(),
                  quant::keep_reason_name(reason));
    } else if (auto c = r.coarse_inputs.find(node); reason == quant::KeepReason::kCoarseInput && c != r.coarse_inputs.end()) {
      std::printf("FP32 node: %s (%s: %d of %d channels of '%s' span < %g steps)\n", node.c_str(),
                  quant::keep_reason_name(reason), c->second.narrow, c->second.channels, c->second.tensor.c_str(),
                  quant::kNarrowChannelSteps);
    } else if (t != r.speed_ms.end()) {
      std::printf("FP32 node: %s (%s: %.3f ms INT8 vs %.3f ms FP32)\n", node.c_str(), quant::keep_reason_name(reason),
                  t->second.first, t->second.second);
    } else {
      std::printf("FP32 node: %s (%s)\n", node.c_str(), quant::keep_reason_name(reason));
    }
  }
}

}  // namespace

int cmd_quantize(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2,
                         {{"-o", "--output", "--calibration", "--method", "--percentile", "--samples", "--exclude",
                           "--max-drop", "--preprocess", "--threads", "--provider"},
                          {"--per-channel", "--speed-check", "--help"}});
  if (!args.is_ok()) return fail("quantize", args.status().message(), 2);
  if (args->has("--help")) {
    std::fputs(kQuantizeHelp, stdout);
    return 0;
  }
  auto q = parse_quantize_args(*args);
  if (!q.is_ok()) return fail("quantize", q.status().message(), 2);
  auto info = inspect_model(q->model);
  if (!info.is_ok()) return fail("quantize", info.status().message());
  int images = 0;
  auto source = open_samples(*q, info->inputs, &images);
  if (!source.is_ok()) return fail("quantize", source.status().message());
  ProgressBar bar("calibrating", stderr);
  q->options.calibration.progress = [&bar](int done, int total) { bar.update(done, total); };
  q->options.log = [](const std::string& line) { std::fprintf(stderr, "guard: %s\n", line.c_str()); };
  auto report = quant::quantize_model(q->model, q->output, **source, q->options);
  if (!report.is_ok()) return fail("quantize", report.status().message());
  print_report(*q, *report, (*source)->size());
  return 0;
}

}  // namespace edgeserve::cli

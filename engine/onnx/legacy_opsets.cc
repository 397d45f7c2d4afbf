// Opset < 7 -> opset 7 through onnx::version_conversion, plus the one change the converter
// treats as compatible but is not: PRelu's channel-wise slope.
#include "engine/onnx/legacy_opsets.h"

#include <exception>
#include <string>

#include "common/strings.h"
#include "engine/ir/tensor.h"
#include "onnx/onnx_pb.h"
#include "onnx/version_converter/convert.h"

namespace edgeserve {

namespace {

constexpr int kTargetOpset = 7;

int onnx_opset(const onnx::ModelProto& mp) {
  for (const auto& os : mp.opset_import()) {
    if (os.domain().empty() || os.domain() == "ai.onnx") return static_cast<int>(os.version());
  }
  return 0;
}

int rank_of(const onnx::GraphProto& g, const std::string& name) {
  auto rank_in = [&](const auto& infos) {
    for (const auto& vi : infos) {
      if (vi.name() == name && vi.type().tensor_type().has_shape()) return vi.type().tensor_type().shape().dim_size();
    }
    return -1;
  };
  const int r = rank_in(g.input());
  return r >= 0 ? r : rank_in(g.value_info());
}

int uses_of(const onnx::GraphProto& g, const std::string& name) {
  int n = 0;
  for (const auto& node : g.node()) {
    for (const auto& in : node.input()) n += in == name ? 1 : 0;
  }
  return n;
}

// PRelu before opset 7 applied a 1-D slope of C values per channel (dim 1), where numpy
// broadcasting aligns it with the last dim instead. A constant slope used only here is
// reshaped to [C, 1, ..., 1]; other slopes keep the opset-7 meaning.
void reshape_channel_slopes(onnx::GraphProto& g) {
  for (const auto& node : g.node()) {
    if (node.op_type() != "PRelu" || node.input_size() < 2) continue;
    const int rank = rank_of(g, node.input(0));
    if (rank <= 2 || uses_of(g, node.input(1)) != 1) continue;
    for (auto& init : *g.mutable_initializer()) {
      if (init.name() != node.input(1) || init.dims_size() != 1 || init.dims(0) <= 1) continue;
      for (int i = 2; i < rank; ++i) init.add_dims(1);
    }
  }
}

}  // namespace

Status upgrade_legacy_opsets(onnx::ModelProto& mp) {
  const int opset = onnx_opset(mp);
  if (opset <= 0 || opset >= kTargetOpset) return Status::ok();
  reshape_channel_slopes(*mp.mutable_graph());
  try {
    mp = onnx::version_conversion::ConvertVersion(mp, kTargetOpset);
  } catch (const std::exception& e) {
    return unimplemented(str_cat("converting the model from ai.onnx opset ", opset, " to ", kTargetOpset,
                                 " failed: ", e.what()));
  }
  return Status::ok();
}

}  // namespace edgeserve

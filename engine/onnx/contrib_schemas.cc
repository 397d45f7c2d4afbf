// Schemas (types and shape inference only) of the com.microsoft QLinear* operators and QGemm.
#include "engine/onnx/contrib_schemas.h"

#include <mutex>
#include <string>

#include "onnx/defs/schema.h"
#include "onnx/defs/shape_inference.h"

namespace edgeserve {

namespace {

using onnx::InferenceContext;
using onnx::OpSchema;
using onnx::OpSchemaRegistry;

constexpr const char* kDomain = "com.microsoft";
const std::vector<std::string> kQuantTypes = {"tensor(uint8)", "tensor(int8)"};

// Elementwise with broadcasting of inputs 0 and 3 (QLinearAdd, QLinearMul).
void infer_binary(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (onnx::hasNInputShapes(ctx, 4)) {
    onnx::bidirectionalBroadcastShapeInference(ctx.getInputType(0)->tensor_type().shape(),
                                               ctx.getInputType(3)->tensor_type().shape(),
                                               *onnx::getOutputShape(ctx, 0));
  }
}

void infer_unary(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (onnx::hasInputShape(ctx, 0)) onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
}

// [N, C, 1, ...] (or [N, 1, ..., C] when channels_last).
void infer_global_pool(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!onnx::hasInputShape(ctx, 0)) return;
  const auto& in = onnx::getInputShape(ctx, 0);
  if (in.dim_size() < 3) return;
  const bool last = onnx::getAttribute(ctx, "channels_last", 0) != 0;
  auto* out = onnx::getOutputShape(ctx, 0);
  *out->add_dim() = in.dim(0);
  if (!last) *out->add_dim() = in.dim(1);
  for (int i = 2; i < in.dim_size(); ++i) out->add_dim()->set_dim_value(1);
  if (last) *out->add_dim() = in.dim(in.dim_size() - 1);
}

// Local pooling: the rank and the batch and channel dims (the window arithmetic stays with the
// kernels, which check it on real shapes).
void infer_pool(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!onnx::hasInputShape(ctx, 0)) return;
  const auto& in = onnx::getInputShape(ctx, 0);
  const bool last = onnx::getAttribute(ctx, "channels_last", 0) != 0;
  auto* out = onnx::getOutputShape(ctx, 0);
  for (int i = 0; i < in.dim_size(); ++i) {
    auto* d = out->add_dim();
    if (i == 0 || (!last && i == 1) || (last && i == in.dim_size() - 1)) *d = in.dim(i);
  }
}

// Inputs: y_scale, y_zero_point, then (x, x_scale, x_zero_point) per operand.
void infer_concat(InferenceContext& ctx) {
  if (ctx.getNumInputs() < 5) return;
  onnx::propagateElemTypeFromInputToOutput(ctx, 2, 0);
  const int64_t axis_attr = onnx::getAttribute(ctx, "axis", 0);
  onnx::TensorShapeProto result;
  for (size_t i = 2; i < ctx.getNumInputs(); i += 3) {
    if (!onnx::hasInputShape(ctx, i)) return;
    const auto& s = onnx::getInputShape(ctx, i);
    const int64_t rank = s.dim_size();
    const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
    if (axis < 0 || axis >= rank) return;
    if (i == 2) {
      result = s;
      continue;
    }
    if (s.dim_size() != result.dim_size()) return;
    auto* d = result.mutable_dim(static_cast<int>(axis));
    const auto& add = s.dim(static_cast<int>(axis));
    if (d->has_dim_value() && add.has_dim_value()) {
      d->set_dim_value(d->dim_value() + add.dim_value());
    } else {
      d->clear_dim_value();
      d->clear_dim_param();
    }
  }
  *onnx::getOutputShape(ctx, 0) = result;
}

// QGemm(A, a_scale, a_zp, B, b_scale, b_zp, [C], [y_scale], [y_zp]): y_zero_point's type, or
// float32 without it (as ONNX Runtime infers it); shape [M, N] from 2-D A and B and transA/transB.
void infer_qgemm(InferenceContext& ctx) {
  if (ctx.getNumInputs() > 8 && ctx.getInputType(8) != nullptr) {
    onnx::propagateElemTypeFromInputToOutput(ctx, 8, 0);
  } else {
    onnx::updateOutputElemType(ctx, 0, onnx::TensorProto::FLOAT);
  }
  if (!onnx::hasInputShape(ctx, 0) || !onnx::hasInputShape(ctx, 3)) return;
  const auto& a = onnx::getInputShape(ctx, 0);
  const auto& b = onnx::getInputShape(ctx, 3);
  if (a.dim_size() != 2 || b.dim_size() != 2) fail_shape_inference("QGemm: inputs A and B must have rank 2");
  const bool trans_a = onnx::getAttribute(ctx, "transA", 0) != 0;
  const bool trans_b = onnx::getAttribute(ctx, "transB", 0) != 0;
  onnx::updateOutputShape(ctx, 0, {a.dim(trans_a ? 1 : 0), b.dim(trans_b ? 0 : 1)});
}

// A, a_scale, a_zero_point, B, b_scale, b_zero_point required; C, y_scale, y_zero_point optional.
OpSchema qgemm_schema() {
  OpSchema s;
  s.SetName("QGemm").SetDomain(kDomain).SinceVersion(1);
  const char* names[] = {"A", "a_scale", "a_zero_point", "B", "b_scale", "b_zero_point", "C", "y_scale", "y_zero_point"};
  const char* types[] = {"TA", "T", "TA", "TB", "T", "TB", "TC", "T", "TYZ"};
  for (int i = 0; i < 9; ++i) s.Input(i, names[i], "", types[i], i < 6 ? OpSchema::Single : OpSchema::Optional);
  s.Output(0, "Y", "", "TY");
  s.Attr("alpha", "", onnx::AttributeProto::FLOAT, 1.0f);
  s.Attr("transA", "", onnx::AttributeProto::INT, int64_t{0});
  s.Attr("transB", "", onnx::AttributeProto::INT, int64_t{0});
  s.TypeConstraint("T", {"tensor(float)"}, "");
  s.TypeConstraint("TA", kQuantTypes, "");
  s.TypeConstraint("TB", kQuantTypes, "");
  s.TypeConstraint("TC", {"tensor(int32)"}, "");
  s.TypeConstraint("TYZ", kQuantTypes, "");
  s.TypeConstraint("TY", {"tensor(float)", "tensor(uint8)", "tensor(int8)"}, "");
  s.TypeAndShapeInferenceFunction(infer_qgemm);
  return s;
}

OpSchema base(const char* name, int inputs, void (*infer)(InferenceContext&)) {
  OpSchema s;
  s.SetName(name).SetDomain(kDomain).SinceVersion(1);
  s.Input(0, "X", "", "T", OpSchema::Variadic, /*is_homogeneous=*/false, inputs);
  s.Output(0, "Y", "", "T");
  s.TypeConstraint("T", {"tensor(uint8)", "tensor(int8)", "tensor(float)", "tensor(int32)"}, "");
  s.TypeAndShapeInferenceFunction(infer);
  s.AllowUncheckedAttributes();
  return s;
}

void register_all() {
  auto& versions = OpSchemaRegistry::DomainToVersionRange::Instance();
  if (versions.Map().count(kDomain) == 0) versions.AddDomainToVersion(kDomain, 1, 1);
  const struct {
    const char* name;
    int min_inputs;
    void (*infer)(InferenceContext&);
  } ops[] = {
      {"QLinearAdd", 7, infer_binary},          {"QLinearMul", 7, infer_binary},
      {"QLinearSigmoid", 4, infer_unary},       {"QLinearLeakyRelu", 4, infer_unary},
      {"QLinearGlobalAveragePool", 5, infer_global_pool}, {"QLinearAveragePool", 4, infer_pool},
      {"QLinearConcat", 5, infer_concat},
  };
  for (const auto& op : ops) {
    if (OpSchemaRegistry::Schema(op.name, 1, kDomain) != nullptr) continue;
    onnx::RegisterSchema(base(op.name, op.min_inputs, op.infer));
  }
  if (OpSchemaRegistry::Schema("QGemm", 1, kDomain) == nullptr) onnx::RegisterSchema(qgemm_schema());
}

}  // namespace

void register_contrib_schemas() {
  static std::once_flag once;
  std::call_once(once, register_all);
}

}  // namespace edgeserve

// Sequence and optional ops: SequenceEmpty/Construct/At/Insert/Erase/Length, SplitToSequence,
// ConcatFromSequence, Optional, OptionalHasElement, OptionalGetElement. Sequences and optionals
// are Tensor values (see Tensor::sequence); their elements are shared, never written.
#include <algorithm>
#include <cstring>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

Result<const std::vector<Tensor>*> sequence_input(const KernelContext& ctx, size_t i) {
  if (!ctx.has_input(i) || !ctx.input(i).is_sequence()) return invalid_argument(str_cat("input ", i, " must be a sequence"));
  return &ctx.input(i).items();
}

// A position input (int32/int64 scalar) normalized against a sequence of `n` elements;
// `allow_end` admits n itself (insertion at the back).
Result<size_t> read_position(const Tensor& t, size_t n, bool allow_end) {
  if (t.is_container() || t.num_elements() != 1 || (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)) {
    return invalid_argument("'position' must be one int32 or int64 value");
  }
  int64_t p = t.dtype() == DType::kInt64 ? t.data<int64_t>()[0] : t.data<int32_t>()[0];
  const int64_t size = static_cast<int64_t>(n);
  const int64_t hi = allow_end ? size : size - 1;
  if (p < -size || p > hi) {
    return invalid_argument(str_cat("'position' ", p, " is out of range [", -size, ", ", hi, "]"));
  }
  return static_cast<size_t>(p < 0 ? p + size : p);
}

Status check_element(const Tensor& t, DType dtype, const char* what) {
  if (t.is_container()) return invalid_argument(str_cat(what, " must be a tensor"));
  if (dtype != DType::kUndefined && t.dtype() != dtype) {
    return invalid_argument(str_cat(what, " is ", dtype_name(t.dtype()), ", the sequence holds ", dtype_name(dtype)));
  }
  return Status::ok();
}

Status run_construct(KernelContext& ctx) {
  std::vector<Tensor> items;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    EDGE_RETURN_IF_ERROR(check_element(ctx.input(i), ctx.input(0).dtype(), "every input"));
    items.push_back(ctx.input(i));
  }
  ctx.set_output(0, Tensor::sequence(ctx.input(0).dtype(), std::move(items)));
  return Status::ok();
}

Status run_at(KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(const std::vector<Tensor>* seq, sequence_input(ctx, 0));
  EDGE_ASSIGN_OR_RETURN(size_t pos, read_position(ctx.input(1), seq->size(), false));
  ctx.set_output(0, (*seq)[pos]);
  return Status::ok();
}

Status run_insert(KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(const std::vector<Tensor>* seq, sequence_input(ctx, 0));
  std::vector<Tensor> items = *seq;
  EDGE_RETURN_IF_ERROR(check_element(ctx.input(1), ctx.input(0).dtype(), "input 'tensor'"));
  size_t pos = items.size();
  if (ctx.has_input(2)) {
    EDGE_ASSIGN_OR_RETURN(pos, read_position(ctx.input(2), items.size(), true));
  }
  items.insert(items.begin() + static_cast<std::ptrdiff_t>(pos), ctx.input(1));
  ctx.set_output(0, Tensor::sequence(ctx.input(0).dtype(), std::move(items)));
  return Status::ok();
}

Status run_erase(KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(const std::vector<Tensor>* seq, sequence_input(ctx, 0));
  if (seq->empty()) return invalid_argument("cannot erase from an empty sequence");
  std::vector<Tensor> items = *seq;
  size_t pos = items.size() - 1;
  if (ctx.has_input(1)) {
    EDGE_ASSIGN_OR_RETURN(pos, read_position(ctx.input(1), items.size(), false));
  }
  items.erase(items.begin() + static_cast<std::ptrdiff_t>(pos));
  ctx.set_output(0, Tensor::sequence(ctx.input(0).dtype(), std::move(items)));
  return Status::ok();
}

Status run_length(KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(const std::vector<Tensor>* seq, sequence_input(ctx, 0));
  ctx.set_output(0, Tensor::scalar<int64_t>(static_cast<int64_t>(seq->size())));
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_empty(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(int64_t code, node.attr_int("dtype", 1));
  const DType dtype = dtype_from_onnx(static_cast<int32_t>(code));
  if (dtype == DType::kUndefined) return invalid_argument(str_cat(node.describe(), ": unsupported dtype ", code));
  return make_kernel(dtype, [](const DType& d, KernelContext& ctx) -> Status {
    ctx.set_output(0, Tensor::sequence(d, {}));
    return Status::ok();
  });
}

// ---- optionals ----

Status run_has_element(KernelContext& ctx) {
  const bool has = ctx.has_input(0) && !ctx.input(0).is_none();
  ctx.set_output(0, Tensor::scalar<bool>(has));
  return Status::ok();
}

Status run_get_element(KernelContext& ctx) {
  if (ctx.input(0).is_none()) return invalid_argument("the optional input is empty");
  ctx.set_output(0, ctx.input(0));
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_optional(const Node& node) {
  // Without an input the result is an empty optional; the `type` attribute (a TypeProto) only
  // matters to type inference, so the element type is left open.
  return make_kernel([](KernelContext& ctx) -> Status {
    ctx.set_output(0, ctx.has_input(0) ? ctx.input(0) : Tensor::none(DType::kUndefined));
    return Status::ok();
  });
}

}  // namespace

// SplitToSequence and ConcatFromSequence live in sequence_split.cc.
Result<std::unique_ptr<Kernel>> make_split_to_sequence(const Node& node);
Result<std::unique_ptr<Kernel>> make_concat_from_sequence(const Node& node);

std::vector<KernelEntry> sequence_kernels() {
  return {
      {"SequenceEmpty", make_empty, HalfMode::kNative},
      {"SequenceConstruct", EDGE_FACTORY {
         // Every input is an element: none may be omitted.
         EDGE_RETURN_IF_ERROR(check_arity(node, std::max<size_t>(1, node.inputs.size()), SIZE_MAX));
         return make_kernel(run_construct);
       }, HalfMode::kNative},
      {"SequenceAt", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return make_kernel(run_at);
       }, HalfMode::kNative},
      {"SequenceInsert", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 3));
         return make_kernel(run_insert);
       }, HalfMode::kNative},
      {"SequenceErase", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 2));
         return make_kernel(run_erase);
       }, HalfMode::kNative},
      {"SequenceLength", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return make_kernel(run_length);
       }, HalfMode::kNative},
      {"SplitToSequence", make_split_to_sequence, HalfMode::kNative},
      {"ConcatFromSequence", make_concat_from_sequence, HalfMode::kNative},
      {"Optional", make_optional, HalfMode::kNative},
      {"OptionalHasElement", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 0, 1));
         return make_kernel(run_has_element);
       }, HalfMode::kNative},
      {"OptionalGetElement", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return make_kernel(run_get_element);
       }, HalfMode::kNative},
  };
}

}  // namespace edgeserve::ref

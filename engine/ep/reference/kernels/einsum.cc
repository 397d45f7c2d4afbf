// Einsum: a parsed equation evaluated by one nested loop over every distinct index.
#include <algorithm>
#include <string>
#include <type_traits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// Labels: 'A'-'Z' -> 0..25, 'a'-'z' -> 26..51 (ASCII order, which the implicit output sorts
// by); kEllipsis marks "..." in a term; ellipsis dimensions get labels from kFirstEllipsis on.
constexpr int kEllipsis = -1;
constexpr int kLetters = 52;
constexpr int kFirstEllipsis = kLetters;

struct EinsumAttrs {
  std::string equation;
  std::vector<std::vector<int>> inputs;  // labels per input term
  std::vector<int> output;               // output labels (explicit or implicit)
};

Status bad_equation(const std::string& eq, const std::string& why) {
  return invalid_argument(str_cat("malformed einsum equation '", eq, "': ", why));
}

Result<std::vector<int>> parse_term(const std::string& eq, const std::string& term) {
  std::vector<int> labels;
  for (size_t i = 0; i < term.size(); ++i) {
    const char ch = term[i];
    if (ch >= 'A' && ch <= 'Z') {
      labels.push_back(ch - 'A');
    } else if (ch >= 'a' && ch <= 'z') {
      labels.push_back(26 + (ch - 'a'));
    } else if (ch == '.' && term.compare(i, 3, "...") == 0) {
      if (std::count(labels.begin(), labels.end(), kEllipsis) != 0) return bad_equation(eq, "more than one '...' in a term");
      labels.push_back(kEllipsis);
      i += 2;
    } else {
      return bad_equation(eq, str_cat("unexpected character '", ch, "'"));
    }
  }
  return labels;
}

// numpy's implicit output: "..." (if any input has it), then the letters used exactly once,
// in ASCII order.
std::vector<int> implicit_output(const std::vector<std::vector<int>>& inputs) {
  int count[kLetters] = {};
  bool ellipsis = false;
  for (const auto& term : inputs) {
    for (int l : term) {
      if (l == kEllipsis) ellipsis = true;
      else ++count[l];
    }
  }
  std::vector<int> out;
  if (ellipsis) out.push_back(kEllipsis);
  for (int l = 0; l < kLetters; ++l) {
    if (count[l] == 1) out.push_back(l);
  }
  return out;
}

Status check_explicit_output(const EinsumAttrs& a) {
  bool seen[kLetters] = {};
  bool ellipsis_seen = false;
  for (int l : a.output) {
    bool in_inputs = false;
    for (const auto& term : a.inputs) in_inputs = in_inputs || std::count(term.begin(), term.end(), l) != 0;
    if (!in_inputs) return bad_equation(a.equation, "an output label does not appear in any input");
    bool& dup = l == kEllipsis ? ellipsis_seen : seen[l];
    if (dup) return bad_equation(a.equation, "an output label is repeated");
    dup = true;
  }
  return Status::ok();
}

Result<EinsumAttrs> parse_equation(const std::string& raw) {
  EinsumAttrs a;
  a.equation = raw;
  std::string eq;
  for (char ch : raw) {
    if (ch != ' ') eq.push_back(ch);
  }
  const size_t arrow = eq.find("->");
  if (arrow != std::string::npos && eq.find("->", arrow + 1) != std::string::npos) return bad_equation(raw, "more than one '->'");
  const std::string lhs = eq.substr(0, arrow);
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    EDGE_ASSIGN_OR_RETURN(std::vector<int> term, parse_term(raw, lhs.substr(start, comma - start)));
    a.inputs.push_back(std::move(term));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (arrow == std::string::npos) {
    a.output = implicit_output(a.inputs);
    return a;
  }
  EDGE_ASSIGN_OR_RETURN(a.output, parse_term(raw, eq.substr(arrow + 2)));
  EDGE_RETURN_IF_ERROR(check_explicit_output(a));
  return a;
}

// The run-time loop nest: every label's size, each input's and the output's stride per label.
struct EinsumPlan {
  std::vector<int64_t> size;                 // per label; -1 = unused
  std::vector<std::vector<int64_t>> stride;  // per input, per label
  std::vector<int64_t> out_stride;           // per label; 0 for summed labels
  std::vector<int> order;                    // labels looped over, output labels first
  Dims out_dims;
};

// Labels of each axis of a tensor of `rank` under `term`, the ellipsis expanded right-aligned
// into the last `ell_rank` ellipsis labels.
std::vector<int> axis_labels(const std::vector<int>& term, size_t rank, size_t nlabels, size_t ell_rank) {
  std::vector<int> out;
  for (int l : term) {
    if (l != kEllipsis) {
      out.push_back(l);
      continue;
    }
    const size_t here = rank - nlabels;
    for (size_t j = 0; j < here; ++j) out.push_back(static_cast<int>(kFirstEllipsis + ell_rank - here + j));
  }
  return out;
}

size_t count_letters(const std::vector<int>& term) {
  return term.size() - static_cast<size_t>(std::count(term.begin(), term.end(), kEllipsis));
}

// Binds every label's size (letters must agree; ellipsis dims broadcast numpy-style), then
// each input's stride per label. A repeated label (a diagonal) sums its axes' strides; a
// broadcast size-1 ellipsis axis keeps stride 0.
Status bind_sizes(const EinsumAttrs& a, const KernelContext& ctx, size_t ell_rank, EinsumPlan& p) {
  p.size.assign(kFirstEllipsis + ell_rank, -1);
  p.stride.assign(a.inputs.size(), std::vector<int64_t>(p.size.size(), 0));
  std::vector<std::vector<int>> labels(a.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const Tensor& t = ctx.input(i);
    labels[i] = axis_labels(a.inputs[i], t.rank(), count_letters(a.inputs[i]), ell_rank);
    for (size_t d = 0; d < labels[i].size(); ++d) {
      int64_t& size = p.size[static_cast<size_t>(labels[i][d])];
      const bool ellipsis_dim = labels[i][d] >= kFirstEllipsis;
      if (size == -1 || (ellipsis_dim && size == 1)) {
        size = t.dim(d);
      } else if (size != t.dim(d) && !(ellipsis_dim && t.dim(d) == 1)) {
        return invalid_argument(str_cat("einsum equation '", a.equation, "': input ", i, " of shape ",
                                        dims_to_string(t.dims()), " has size ", t.dim(d), " where another input has ", size));
      }
    }
  }
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const Tensor& t = ctx.input(i);
    const std::vector<int64_t> strides = contiguous_strides(t.dims());
    for (size_t d = 0; d < labels[i].size(); ++d) {
      const size_t l = static_cast<size_t>(labels[i][d]);
      if (t.dim(d) == p.size[l]) p.stride[i][l] += strides[d];
    }
  }
  return Status::ok();
}

Result<EinsumPlan> plan_einsum(const EinsumAttrs& a, const KernelContext& ctx) {
  size_t ell_rank = 0;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const auto& term = a.inputs[i];
    const size_t rank = ctx.input(i).rank();
    const size_t nlabels = count_letters(term);
    const bool has_ell = nlabels != term.size();
    if (rank < nlabels || (!has_ell && rank != nlabels)) {
      return invalid_argument(str_cat("einsum equation '", a.equation, "': input ", i, " has rank ", rank,
                                      " but its term names ", nlabels, " dimensions"));
    }
    if (has_ell) ell_rank = std::max(ell_rank, rank - nlabels);
  }
  EinsumPlan p;
  EDGE_RETURN_IF_ERROR(bind_sizes(a, ctx, ell_rank, p));
  // The output's "..." stands for all ell_rank broadcast dims; without it they are summed.
  const size_t out_letters = count_letters(a.output);
  const size_t out_rank = out_letters + (out_letters == a.output.size() ? 0 : ell_rank);
  const std::vector<int> labels = axis_labels(a.output, out_rank, out_letters, ell_rank);
  for (int l : labels) p.out_dims.push_back(p.size[static_cast<size_t>(l)]);
  const std::vector<int64_t> out_strides = contiguous_strides(p.out_dims);
  p.out_stride.assign(p.size.size(), 0);
  for (size_t d = 0; d < labels.size(); ++d) p.out_stride[static_cast<size_t>(labels[d])] = out_strides[d];
  p.order = labels;
  for (size_t l = 0; l < p.size.size(); ++l) {
    if (p.size[l] >= 0 && std::count(labels.begin(), labels.end(), static_cast<int>(l)) == 0) p.order.push_back(static_cast<int>(l));
  }
  return p;
}

// Integer arithmetic wraps through the unsigned type: no signed-overflow UB on untrusted data.
template <typename T>
using Arith = typename std::conditional_t<std::is_integral_v<T>, std::make_unsigned<T>, std::type_identity<T>>::type;

template <typename T>
Status evaluate(const EinsumPlan& p, const KernelContext& ctx, T* out) {
  int64_t total = 1;
  for (int l : p.order) {
    if (__builtin_mul_overflow(total, p.size[static_cast<size_t>(l)], &total)) {
      return resource_exhausted("einsum loop nest has too many iterations");
    }
  }
  const size_t n_in = p.stride.size();
  std::vector<const T*> in(n_in);
  for (size_t i = 0; i < n_in; ++i) in[i] = ctx.input(i).data<T>();
  std::vector<int64_t> off(n_in, 0);
  std::vector<int64_t> idx(p.order.size(), 0);
  int64_t out_off = 0;
  for (int64_t it = 0; it < total; ++it) {
    Arith<T> prod = 1;
    for (size_t i = 0; i < n_in; ++i) prod *= static_cast<Arith<T>>(in[i][off[i]]);
    out[out_off] = static_cast<T>(static_cast<Arith<T>>(out[out_off]) + prod);
    for (size_t d = p.order.size(); d-- > 0;) {  // odometer step, innermost label last
      const size_t l = static_cast<size_t>(p.order[d]);
      ++idx[d];
      for (size_t i = 0; i < n_in; ++i) off[i] += p.stride[i][l];
      out_off += p.out_stride[l];
      if (idx[d] < p.size[l]) break;
      for (size_t i = 0; i < n_in; ++i) off[i] -= p.stride[i][l] * p.size[l];
      out_off -= p.out_stride[l] * p.size[l];
      idx[d] = 0;
    }
  }
  return Status::ok();
}

Status run_einsum(const EinsumAttrs& a, KernelContext& ctx) {
  if (ctx.num_inputs() != a.inputs.size()) {
    return invalid_argument(str_cat("einsum equation '", a.equation, "' has ", a.inputs.size(), " input terms but ",
                                    ctx.num_inputs(), " inputs were given"));
  }
  for (size_t i = 1; i < ctx.num_inputs(); ++i) EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
  EDGE_ASSIGN_OR_RETURN(EinsumPlan p, plan_einsum(a, ctx));
  return dispatch<float, double, int32_t, int64_t, uint32_t, uint64_t>(ctx.input(0).dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, ctx.input(0).dtype(), p.out_dims));
    return evaluate<T>(p, ctx, y->mutable_data<T>());
  });
}

Result<std::unique_ptr<Kernel>> make_einsum(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, SIZE_MAX));
  EDGE_ASSIGN_OR_RETURN(std::string equation, node.attr_string("equation"));
  EDGE_ASSIGN_OR_RETURN(EinsumAttrs a, parse_equation(equation));
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!node.has_input(i)) return invalid_argument(str_cat(node.describe(), ": einsum input ", i, " is missing"));
  }
  if (node.inputs.size() != a.inputs.size()) {
    return invalid_argument(str_cat(node.describe(), ": einsum equation '", equation, "' has ", a.inputs.size(),
                                    " input terms but the node has ", node.inputs.size(), " inputs"));
  }
  return make_kernel(std::move(a), run_einsum);
}

}  // namespace

std::vector<KernelEntry> einsum_kernels() {
  return {{"Einsum", make_einsum}};
}

}  // namespace edgeserve::ref

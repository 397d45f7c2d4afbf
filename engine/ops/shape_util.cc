// Broadcasting and axis helpers.
#include "engine/ops/shape_util.h"

#include <algorithm>
#include <set>

#include "common/strings.h"

namespace edgeserve {

Result<Dims> broadcast_dims(const Dims& a, const Dims& b) {
  const size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return invalid_argument(str_cat("shapes ", dims_to_string(a), " and ", dims_to_string(b),
                                      " cannot be broadcast (axis ", i, ": ", da, " vs ", db, ")"));
    }
  }
  return out;
}

Result<Dims> broadcast_all(const std::vector<Dims>& shapes) {
  Dims out;
  for (const Dims& s : shapes) {
    EDGE_ASSIGN_OR_RETURN(out, broadcast_dims(out, s));
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out) {
  std::vector<int64_t> strides(out.size(), 0);
  const size_t lead = out.size() - in.size();
  int64_t stride = 1;
  for (size_t i = in.size(); i-- > 0;) {
    strides[lead + i] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

std::vector<int64_t> contiguous_strides(const Dims& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

Result<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return invalid_argument(str_cat("axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

Result<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    EDGE_ASSIGN_OR_RETURN(int64_t n, normalize_axis(a, rank));
    if (!seen.insert(n).second) return invalid_argument(str_cat("axis ", a, " is repeated"));
    out.push_back(n);
  }
  return out;
}

Result<std::vector<int64_t>> read_int_values(const Tensor& t) {
  std::vector<int64_t> v(static_cast<size_t>(t.num_elements()));
  if (t.dtype() == DType::kInt64) {
    std::copy_n(t.data<int64_t>(), v.size(), v.begin());
  } else if (t.dtype() == DType::kInt32) {
    std::copy_n(t.data<int32_t>(), v.size(), v.begin());
  } else {
    return invalid_argument(str_cat("expected an int32 or int64 tensor, got ", dtype_name(t.dtype())));
  }
  return v;
}

Result<double> read_scalar_as_double(const Tensor& t) {
  if (t.num_elements() != 1) {
    return invalid_argument(str_cat("expected a single value, got shape ", dims_to_string(t.dims())));
  }
  double v = 0;
  const bool ok = visit_dtype<float, double, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t,
                              uint64_t, bool>(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    v = static_cast<double>(t.data<T>()[0]);
  });
  if (!ok) {
    if (t.dtype() == DType::kFloat16) return static_cast<double>(static_cast<float>(t.data<Float16>()[0]));
    if (t.dtype() == DType::kBFloat16) return static_cast<double>(static_cast<float>(t.data<BFloat16>()[0]));
    return invalid_argument(str_cat("expected a numeric scalar, got ", dtype_name(t.dtype())));
  }
  return v;
}

// Resolves a Reshape target: 0 copies the input dim (unless allowzero), one -1 is inferred.
Result<Dims> reshape_dims(const Dims& in, std::vector<int64_t> shape, bool allow_zero) {
  int64_t infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) return invalid_argument("shape (input 1) has more than one -1");
      infer = static_cast<int64_t>(i);
    } else if (shape[i] < -1) {
      return invalid_argument(str_cat("shape (input 1) has invalid dimension ", shape[i]));
    } else if (shape[i] == 0 && !allow_zero) {
      if (i >= in.size()) return invalid_argument(str_cat("shape (input 1) copies dim ", i, " beyond the input rank"));
      shape[i] = in[i];
    }
  }
  if (allow_zero && infer >= 0 && std::count(shape.begin(), shape.end(), 0) > 0) {
    return invalid_argument("shape (input 1) mixes 0 and -1 with allowzero set");
  }
  EDGE_ASSIGN_OR_RETURN(int64_t total, checked_num_elements(in));
  Dims known = shape;
  if (infer >= 0) known[static_cast<size_t>(infer)] = 1;
  EDGE_ASSIGN_OR_RETURN(int64_t product, checked_num_elements(known));
  if (infer >= 0) {
    if (product == 0 || total % product != 0) {
      return invalid_argument(str_cat("cannot reshape ", dims_to_string(in), " to ", dims_to_string(shape)));
    }
    known[static_cast<size_t>(infer)] = total / product;
  } else if (product != total) {
    return invalid_argument(str_cat("cannot reshape ", dims_to_string(in), " (", total, " elements) to ",
                                    dims_to_string(shape), " (", product, " elements)"));
  }
  return known;
}

// Clamps one axis of a slice per the ONNX rules; returns {start, count}.
std::pair<int64_t, int64_t> clamp_slice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (dim == 0) return {0, 0};
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return {start, end > start ? (end - start - 1) / step + 1 : 0};
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  // -step cannot overflow: a step below -dim behaves like -dim (one element at most).
  const int64_t back = std::min(-std::max(step, -dim), dim);
  return {start, start > end ? (start - end - 1) / back + 1 : 0};
}

}  // namespace edgeserve

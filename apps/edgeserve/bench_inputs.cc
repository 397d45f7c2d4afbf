// Shape resolution and random inputs for `edgeserve bench`.
#include "apps/edgeserve/bench_inputs.h"

#include <random>

#include "common/strings.h"

namespace edgeserve::cli {

namespace {

Result<int64_t> parse_dim(std::string_view text, std::string_view whole) {
  int64_t v = 0;
  if (text.empty() || text.size() > 12) return invalid_argument(str_cat("--shape '", whole, "': bad dim '", text, "'"));
  for (char c : text) {
    if (c < '0' || c > '9') return invalid_argument(str_cat("--shape '", whole, "': bad dim '", text, "'"));
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string dim_label(const Dim& d) { return d.symbol.empty() ? "?" : str_cat("'", d.symbol, "'"); }

// Dims for one input without an override.
Result<Dims> declared_dims(const TensorInfo& info, int64_t batch, bool* used_batch) {
  if (!info.type.dims) {
    return invalid_argument(str_cat("input '", info.name, "' has no declared rank: give its shape with --shape ",
                                    info.name, "=DIMS"));
  }
  Dims dims;
  bool batch_taken = false;
  for (size_t axis = 0; axis < info.type.dims->size(); ++axis) {
    const Dim& d = (*info.type.dims)[axis];
    if (d.is_known()) {
      dims.push_back(d.value);
    } else if (!batch_taken) {
      dims.push_back(batch);
      batch_taken = *used_batch = true;
    } else {
      return invalid_argument(str_cat("input '", info.name, "' dim ", axis, " (", dim_label(d),
                                      ") is symbolic and is not the batch dim: give the shape with --shape ", info.name,
                                      "=DIMS"));
    }
  }
  return dims;
}

template <typename T>
void fill_random(Tensor& t, std::mt19937_64& rng) {
  T* data = t.mutable_data<T>();
  if constexpr (std::is_same_v<T, bool>) {
    std::uniform_int_distribution<int> dist(0, 1);
    for (int64_t i = 0; i < t.num_elements(); ++i) data[i] = dist(rng) != 0;
  } else if constexpr (std::is_integral_v<T>) {
    std::uniform_int_distribution<int> dist(0, 9);
    for (int64_t i = 0; i < t.num_elements(); ++i) data[i] = static_cast<T>(dist(rng));
  } else {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int64_t i = 0; i < t.num_elements(); ++i) data[i] = T(dist(rng));
  }
}

}  // namespace

Result<ShapeOverride> parse_shape_override(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return invalid_argument(str_cat("--shape expects NAME=DIMS (e.g. images=1x3x416x416), got '", text, "'"));
  }
  ShapeOverride o{std::string(text.substr(0, eq)), {}};
  std::string_view rest = text.substr(eq + 1);
  while (!rest.empty()) {
    const size_t x = rest.find('x');
    EDGE_ASSIGN_OR_RETURN(int64_t d, parse_dim(rest.substr(0, x), text));
    o.dims.push_back(d);
    if (x == std::string_view::npos) break;
    rest = rest.substr(x + 1);
    if (rest.empty()) return invalid_argument(str_cat("--shape '", text, "': trailing 'x'"));
  }
  return o;
}

Result<std::vector<InputShape>> resolve_input_shapes(const std::vector<TensorInfo>& inputs, int64_t batch,
                                                     const std::vector<ShapeOverride>& overrides) {
  for (const ShapeOverride& o : overrides) {
    bool found = false;
    for (const TensorInfo& in : inputs) found = found || in.name == o.input;
    if (!found) return invalid_argument(str_cat("--shape: the model has no input '", o.input, "'"));
  }
  std::vector<InputShape> shapes;
  bool used_batch = false;
  for (const TensorInfo& in : inputs) {
    InputShape s{in.name, in.type.dtype, {}};
    const ShapeOverride* given = nullptr;
    for (const ShapeOverride& o : overrides) given = o.input == in.name ? &o : given;  // last one wins
    if (given != nullptr) {
      s.dims = given->dims;
    } else {
      EDGE_ASSIGN_OR_RETURN(s.dims, declared_dims(in, batch, &used_batch));
    }
    shapes.push_back(std::move(s));
  }
  if (batch != 1 && !used_batch) {
    return invalid_argument(str_cat("--batch ", batch, ": no input has a symbolic dim left to take it (set shapes with --shape)"));
  }
  return shapes;
}

Result<std::vector<NamedTensor>> random_inputs(const std::vector<InputShape>& shapes, uint64_t seed,
                                               int64_t max_tensor_bytes) {
  std::mt19937_64 rng(seed);
  std::vector<NamedTensor> out;
  for (const InputShape& s : shapes) {
    auto t = Tensor::allocate(s.dtype, s.dims, max_tensor_bytes);
    if (!t.is_ok()) return t.status().with_context(str_cat("input '", s.name, "'"));
    const bool filled = visit_dtype<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                                    uint16_t, uint32_t, uint64_t, bool>(
        s.dtype, [&](auto tag) { fill_random<decltype(tag)>(*t, rng); });
    if (!filled) {
      return unimplemented(str_cat("input '", s.name, "' is ", dtype_name(s.dtype), ": bench makes no random ",
                                   dtype_name(s.dtype), " inputs"));
    }
    out.push_back({s.name, std::move(t).value()});
  }
  return out;
}

}  // namespace edgeserve::cli

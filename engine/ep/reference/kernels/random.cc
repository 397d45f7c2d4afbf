// Random generators: RandomUniform(Like), RandomNormal(Like), Bernoulli, Multinomial. Values are
// explicit transforms of std::mt19937_64, whose output the standard fixes, so a seeded node gives
// the same tensor with every standard library (std::*_distribution is implementation-defined).
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <random>
#include <type_traits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// A key that differs between kernels, for unseeded streams.
uint64_t fresh_key() {
  static std::atomic<uint64_t> kernels{0};
  const uint64_t serial = kernels.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15ull;
  try {
    std::random_device rd;
    return ((uint64_t{rd()} << 32) ^ rd()) ^ serial;
  } catch (const std::exception&) {
    // No entropy source on this platform: the clock and the serial still tell kernels apart.
    return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^ serial;
  }
}

// Where a kernel's random bits come from. Seeded: every run restarts the stream from the seed, so
// the node gives identical outputs on every run and every thread. Unseeded: each run seeds its
// own stream from the kernel's random key and an atomic run counter, so successive runs differ
// and concurrent runs (run() may be called from several threads) share no generator and take no
// lock. Copies of a source share its counter; the kernel owns the only copy.
class RandomSource {
 public:
  static Result<RandomSource> from_node(const Node& node) {
    RandomSource s;
    if (node.has_attr("seed")) {
      EDGE_ASSIGN_OR_RETURN(float seed, node.attr_float("seed"));
      s.seed_ = std::bit_cast<uint32_t>(seed);
    } else {
      s.key_ = fresh_key();
      s.runs_ = std::make_shared<std::atomic<uint64_t>>(0);
    }
    return s;
  }

  std::mt19937_64 stream() const {
    if (seed_) return std::mt19937_64(*seed_);
    const uint64_t run = runs_->fetch_add(1, std::memory_order_relaxed);
    std::seed_seq seq{static_cast<uint32_t>(key_), static_cast<uint32_t>(key_ >> 32), static_cast<uint32_t>(run),
                      static_cast<uint32_t>(run >> 32)};
    return std::mt19937_64(seq);
  }

 private:
  std::optional<uint64_t> seed_;
  uint64_t key_ = 0;
  std::shared_ptr<std::atomic<uint64_t>> runs_;
};

// A double uniform on [0, 1): the top 53 bits of one draw, so every value is equally likely.
double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// Standard normal draws by Box-Muller: two uniforms give two independent normals. u1 is taken in
// (0, 1] so that log(u1) is finite.
class NormalDraws {
 public:
  double next(std::mt19937_64& g) {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(1.0 - uniform01(g)));
    const double theta = 2.0 * std::numbers::pi * uniform01(g);
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  double spare_ = 0;
  bool has_spare_ = false;
};

template <typename T>
constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

template <typename T>
T from_double(double v) {
  if constexpr (kIsHalf<T>) return T(static_cast<float>(v));
  else return static_cast<T>(v);
}

template <typename T>
double to_double(T v) {
  if constexpr (kIsHalf<T>) return static_cast<double>(static_cast<float>(v));
  else return static_cast<double>(v);
}

// The next representable T below x, for a finite x.
template <typename T>
T next_below(T x) {
  if constexpr (kIsHalf<T>) {
    // Sign-magnitude bits: a positive value steps down, a negative one steps away from zero.
    uint16_t b = x.bits;
    if ((b & 0x7fff) == 0) b = 0x8001;
    else if (b & 0x8000) ++b;
    else --b;
    T r;
    r.bits = b;
    return r;
  } else {
    return std::nextafter(x, -std::numeric_limits<T>::infinity());
  }
}

// low + (high - low) * u can round up to high once narrowed to T; such values become the largest
// T below high, so every output stays in [low, high).
template <typename T>
void fill_uniform(T* out, int64_t n, double low, double high, std::mt19937_64& g) {
  const T top = from_double<T>(high);
  const T ceiling = to_double(top) < high ? top : next_below(top);
  for (int64_t i = 0; i < n; ++i) {
    T v = from_double<T>(low + (high - low) * uniform01(g));
    if (low < high && !(to_double(v) < high)) v = ceiling;
    out[i] = v;
  }
}

template <typename T>
void fill_normal(T* out, int64_t n, double mean, double scale, std::mt19937_64& g) {
  NormalDraws normal;
  for (int64_t i = 0; i < n; ++i) out[i] = from_double<T>(mean + scale * normal.next(g));
}

bool is_generated_float(DType t) { return t == DType::kFloat16 || t == DType::kFloat32 || t == DType::kFloat64; }

// The 'dtype' attribute, `fallback` when absent (kUndefined: none).
Result<DType> dtype_attr(const Node& node, DType fallback) {
  if (!node.has_attr("dtype")) return fallback;
  EDGE_ASSIGN_OR_RETURN(int64_t code, node.attr_int("dtype"));
  const DType t = (code <= 0 || code > 64) ? DType::kUndefined : dtype_from_onnx(static_cast<int32_t>(code));
  if (t == DType::kUndefined) return unimplemented(str_cat(node.describe(), ": unsupported 'dtype' ", code));
  return t;
}

enum class Distribution { kUniform, kNormal };

struct GeneratorAttrs {
  Distribution dist = Distribution::kUniform;
  bool like = false;                // the shape (and by default the dtype) come from input 0
  Dims shape;                       // RandomUniform/RandomNormal only
  DType dtype = DType::kUndefined;  // undefined: the input's type (Like ops)
  double a = 0, b = 1;              // uniform: low, high; normal: mean, scale
  RandomSource source;
};

Status generate(const GeneratorAttrs& a, KernelContext& ctx) {
  const Dims& dims = a.like ? ctx.input(0).dims() : a.shape;
  const DType t = a.dtype == DType::kUndefined ? ctx.input(0).dtype() : a.dtype;
  if (!is_generated_float(t)) {
    return invalid_argument(str_cat("without a 'dtype' attribute the output takes the input's type, ", dtype_name(t),
                                    ", which is not float16, float32 or float64"));
  }
  return dispatch<float, double, Float16>(t, "output", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, t, dims));
    std::mt19937_64 g = a.source.stream();
    if (a.dist == Distribution::kUniform) fill_uniform(y->mutable_data<T>(), y->num_elements(), a.a, a.b, g);
    else fill_normal(y->mutable_data<T>(), y->num_elements(), a.a, a.b, g);
    return Status::ok();
  });
}

// Reads the distribution's two parameters and checks they describe a distribution.
Status parse_distribution(const Node& node, GeneratorAttrs& a) {
  if (a.dist == Distribution::kUniform) {
    EDGE_ASSIGN_OR_RETURN(float low, node.attr_float("low", 0.0f));
    EDGE_ASSIGN_OR_RETURN(float high, node.attr_float("high", 1.0f));
    if (!std::isfinite(low) || !std::isfinite(high) || low > high) {
      return invalid_argument(str_cat(node.describe(), ": 'low' and 'high' must be finite with low <= high, got ",
                                      low, " and ", high));
    }
    a.a = low;
    a.b = high;
  } else {
    EDGE_ASSIGN_OR_RETURN(float mean, node.attr_float("mean", 0.0f));
    EDGE_ASSIGN_OR_RETURN(float scale, node.attr_float("scale", 1.0f));
    if (!std::isfinite(mean) || !std::isfinite(scale) || scale < 0) {
      return invalid_argument(str_cat(node.describe(), ": 'mean' must be finite and 'scale' finite and >= 0, got ",
                                      mean, " and ", scale));
    }
    a.a = mean;
    a.b = scale;
  }
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_generator(const Node& node, Distribution dist, bool like) {
  EDGE_RETURN_IF_ERROR(check_arity(node, like ? 1 : 0, like ? 1 : 0));
  GeneratorAttrs a;
  a.dist = dist;
  a.like = like;
  EDGE_RETURN_IF_ERROR(parse_distribution(node, a));
  EDGE_ASSIGN_OR_RETURN(a.dtype, dtype_attr(node, like ? DType::kUndefined : DType::kFloat32));
  if (a.dtype != DType::kUndefined && !is_generated_float(a.dtype)) {
    return invalid_argument(
        str_cat(node.describe(), ": 'dtype' must be float16, float32 or float64, got ", dtype_name(a.dtype)));
  }
  if (!like) {
    EDGE_ASSIGN_OR_RETURN(a.shape, node.attr_ints("shape"));
    for (int64_t d : a.shape) {
      if (d < 0) return invalid_argument(str_cat(node.describe(), ": 'shape' has negative dimension ", d));
    }
  }
  EDGE_ASSIGN_OR_RETURN(a.source, RandomSource::from_node(node));
  return make_kernel(std::move(a), generate);
}

struct BernoulliAttrs {
  DType dtype = DType::kUndefined;  // undefined: the input's type
  RandomSource source;
};

// out[i] = 1 when a uniform draw on [0, 1) falls below p[i]: p = 0 never fires, p = 1 always.
Status bernoulli(const BernoulliAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const DType t = a.dtype == DType::kUndefined ? x.dtype() : a.dtype;
  return dispatch<float, double, Float16, BFloat16>(x.dtype(), "input", [&](auto in_tag) -> Status {
    using P = decltype(in_tag);
    return dispatch<EDGE_NUMBER_TYPES, bool, Float16, BFloat16>(t, "output", [&](auto out_tag) -> Status {
      using T = decltype(out_tag);
      EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, t, x.dims()));
      std::mt19937_64 g = a.source.stream();
      const P* p = x.data<P>();
      T* out = y->mutable_data<T>();
      for (int64_t i = 0; i < x.num_elements(); ++i) {
        const double pi = to_double(p[i]);
        if (!(pi >= 0.0 && pi <= 1.0)) {
          return invalid_argument(str_cat("probability ", pi, " at index ", i, " of input 0 is not in [0, 1]"));
        }
        out[i] = from_double<T>(uniform01(g) < pi ? 1.0 : 0.0);
      }
      return Status::ok();
    });
  });
}

Result<std::unique_ptr<Kernel>> make_bernoulli(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  BernoulliAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.dtype, dtype_attr(node, DType::kUndefined));
  if (a.dtype == DType::kString) {
    return invalid_argument(str_cat(node.describe(), ": 'dtype' must be a numeric or bool type, got string"));
  }
  EDGE_ASSIGN_OR_RETURN(a.source, RandomSource::from_node(node));
  return make_kernel(std::move(a), bernoulli);
}

struct MultinomialAttrs {
  DType dtype = DType::kInt32;
  int64_t sample_size = 1;
  RandomSource source;
};

// Turns one row of unnormalized log-probabilities into running sums of exp(x - max), so that a
// uniform draw on [0, total) lands in class i with probability exp(x_i) / sum_j exp(x_j).
Status row_cdf(const double* x, std::vector<double>& cdf) {
  double max = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < cdf.size(); ++i) {
    if (std::isnan(x[i]) || x[i] == std::numeric_limits<double>::infinity()) {
      return invalid_argument(str_cat("log-probability ", x[i], " of class ", i, " must be finite or -inf"));
    }
    max = std::max(max, x[i]);
  }
  if (std::isinf(max)) return invalid_argument("a row of input 0 has no class with a finite log-probability");
  double sum = 0;
  for (size_t i = 0; i < cdf.size(); ++i) cdf[i] = sum += std::exp(x[i] - max);
  return Status::ok();
}

// The class whose interval [cdf[i-1], cdf[i]) holds u * total. Rounding can push the product to
// the total itself: that picks the last class with a positive weight, never a zero-weight one.
size_t pick_class(const std::vector<double>& cdf, double u) {
  const auto it = std::upper_bound(cdf.begin(), cdf.end(), u * cdf.back());
  if (it != cdf.end()) return static_cast<size_t>(it - cdf.begin());
  size_t i = cdf.size() - 1;
  while (i > 0 && cdf[i - 1] == cdf[i]) --i;
  return i;
}

// Widens input 0 (float16, bfloat16, float32 or float64) to doubles.
Result<std::vector<double>> read_logits(const Tensor& x) {
  std::vector<double> out(static_cast<size_t>(x.num_elements()));
  Status st = dispatch<float, double, Float16, BFloat16>(x.dtype(), "input 0", [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < out.size(); ++i) out[i] = to_double(x.data<T>()[i]);
  });
  EDGE_RETURN_IF_ERROR(st);
  return out;
}

Status multinomial(const MultinomialAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 2) return invalid_argument(str_cat("input 0 must be [batch_size, class_size], got rank ", x.rank()));
  if (x.dim(0) > 0 && x.dim(1) < 1) return invalid_argument("input 0 must have at least one class");
  EDGE_ASSIGN_OR_RETURN(std::vector<double> logits, read_logits(x));
  return dispatch<int32_t, int64_t>(a.dtype, "output", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, a.dtype, {x.dim(0), a.sample_size}));
    std::mt19937_64 g = a.source.stream();
    std::vector<double> cdf(static_cast<size_t>(x.dim(1)));
    T* out = y->mutable_data<T>();
    for (int64_t r = 0; r < x.dim(0); ++r) {
      EDGE_RETURN_IF_ERROR(row_cdf(logits.data() + r * x.dim(1), cdf));
      for (int64_t s = 0; s < a.sample_size; ++s) *out++ = static_cast<T>(pick_class(cdf, uniform01(g)));
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_multinomial(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  MultinomialAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.dtype, dtype_attr(node, DType::kInt32));
  if (a.dtype != DType::kInt32 && a.dtype != DType::kInt64) {
    return invalid_argument(str_cat(node.describe(), ": 'dtype' must be int32 or int64, got ", dtype_name(a.dtype)));
  }
  EDGE_ASSIGN_OR_RETURN(a.sample_size, node.attr_int("sample_size", 1));
  if (a.sample_size < 1) {
    return invalid_argument(str_cat(node.describe(), ": 'sample_size' must be at least 1, got ", a.sample_size));
  }
  EDGE_ASSIGN_OR_RETURN(a.source, RandomSource::from_node(node));
  return make_kernel(std::move(a), multinomial);
}

}  // namespace

std::vector<KernelEntry> random_kernels() {
  return {
      {"RandomUniform", EDGE_FACTORY { return make_generator(node, Distribution::kUniform, false); },
       HalfMode::kNative},
      {"RandomNormal", EDGE_FACTORY { return make_generator(node, Distribution::kNormal, false); }, HalfMode::kNative},
      {"RandomUniformLike", EDGE_FACTORY { return make_generator(node, Distribution::kUniform, true); },
       HalfMode::kNative},
      {"RandomNormalLike", EDGE_FACTORY { return make_generator(node, Distribution::kNormal, true); },
       HalfMode::kNative},
      {"Bernoulli", make_bernoulli, HalfMode::kNative, "", 15},
      {"Multinomial", make_multinomial, HalfMode::kNative, "", 7},
  };
}

}  // namespace edgeserve::ref

// com.microsoft.QLinearAdd and QLinearMul as host steps with ONNX Runtime's exact arithmetic
// (engine/ops/qlinear_math.h): eight lanes at a time with AVX2+FMA where the CPU has them, else
// the scalar formula (std::fma rounds identically). Both operands share one layout, so the step
// runs over the buffers flat, in place over A when nothing later reads A; a B that broadcasts
// over trailing dims ([C] into [N, C], a scalar) is applied span by span on plain layouts, and a
// constant B that broadcasts otherwise is expanded to A's shape at compile time.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/ops/quant_params.h"
#include "engine/ops/qlinear_math.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

enum BinaryInput : size_t { kA = 0, kAScale, kAZero, kB, kBScale, kBZero, kCScale, kCZero };

template <typename T>
__attribute__((target("avx2,fma"))) __m256i widen8_int(const T* x) {
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x));
  if constexpr (std::is_same_v<T, uint8_t>) return _mm256_cvtepu8_epi32(bytes);
  return _mm256_cvtepi8_epi32(bytes);
}

// cvtps rounding (half to even; NaN and overflow to INT32_MIN), then the saturating packs that
// give the scalar clamp.
template <typename T>
__attribute__((target("avx2,fma"))) void store8(__m256 v, T* c) {
  const __m256i q = _mm256_cvtps_epi32(v);
  const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  const __m128i q8 = std::is_same_v<T, uint8_t> ? _mm_packus_epi16(q16, q16) : _mm_packs_epi16(q16, q16);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(c), q8);
}

bool has_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

// QLinearAdd: the same operations in the same order as the scalar formula, eight at a time.
template <typename T>
struct AddMath {
  QLinearAddParams p;

  __attribute__((target("avx2,fma"))) void avx2(const T* a, const T* b, T* c, int64_t n) const {
    const __m256 ra = _mm256_set1_ps(p.ratio_a);
    const __m256 rb = _mm256_set1_ps(p.ratio_b);
    const __m256 fixed = _mm256_set1_ps(p.fixed);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 vb = _mm256_cvtepi32_ps(widen8_int(b + i));
      const __m256 va = _mm256_cvtepi32_ps(widen8_int(a + i));
      store8(_mm256_fmadd_ps(va, ra, _mm256_fmadd_ps(vb, rb, fixed)), c + i);
    }
    for (; i < n; ++i) c[i] = qlinear_add(a[i], b[i], p);
  }
  void scalar(const T* a, const T* b, T* c, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) c[i] = qlinear_add(a[i], b[i], p);
  }
  // B one value: the general formula (ORT's build fuses its scalar-B kernel into the same steps).
  // When A is one value too, ORT's broadcast treats A as the scalar: the steps swap.
  void scalar_b(const T* a, T b, T* c, int64_t n) const {
    if (n == 1) {
      c[0] = qlinear_add_scalar_a(a[0], b, p);
      return;
    }
    for (int64_t i = 0; i < n; ++i) c[i] = qlinear_add(a[i], b, p);
  }
};

// QLinearMul: float((a - za) * (b - zb)) * ratio + zc, eight at a time.
template <typename T>
struct MulMath {
  QLinearMulParams p;

  __attribute__((target("avx2,fma"))) void avx2(const T* a, const T* b, T* c, int64_t n) const {
    const __m256i za = _mm256_set1_epi32(p.a_zero);
    const __m256i zb = _mm256_set1_epi32(p.b_zero);
    const __m256 ratio = _mm256_set1_ps(p.ratio);
    const __m256 zc = _mm256_set1_ps(p.c_zero);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256i prod = _mm256_mullo_epi32(_mm256_sub_epi32(widen8_int(a + i), za), _mm256_sub_epi32(widen8_int(b + i), zb));
      // Multiply, then add: two roundings, as the scalar formula (no fused multiply-add here).
      store8(_mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(prod), ratio), zc), c + i);
    }
    for (; i < n; ++i) c[i] = qlinear_mul<T>(a[i], b[i], p);
  }
  void scalar(const T* a, const T* b, T* c, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) c[i] = qlinear_mul<T>(a[i], b[i], p);
  }
  void scalar_b(const T* a, T b, T* c, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) c[i] = qlinear_mul<T>(a[i], b, p);
  }
};

template <typename T, typename Math>
class QLinearBinaryOp : public HostOp {
 public:
  // `span` elements of B repeat over A's `count` elements (span == count: same shape).
  QLinearBinaryOp(Math math, int64_t count, int64_t span, bool scalar_b)
      : math_(math), count_(count), span_(span), scalar_b_(scalar_b) {}

  void run(const StepArgs& args) const override {
    const T* a = static_cast<const T*>(args.at(DNNL_ARG_SRC_0).get_data_handle());
    const T* b = static_cast<const T*>(args.at(DNNL_ARG_SRC_1).get_data_handle());
    T* c = static_cast<T*>(args.at(DNNL_ARG_DST).get_data_handle());
    if (scalar_b_) {
      math_.scalar_b(a, b[0], c, count_);
      return;
    }
    // Chunks of whole B spans (or of 4096 elements when B is full size) across the team.
    const int64_t chunk = span_ == count_ ? 4096 : span_;
    const int64_t chunks = (count_ + chunk - 1) / chunk;
    const bool vector = has_avx2_fma();
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < chunks; ++k) {
      const int64_t begin = k * chunk;
      const int64_t n = std::min(chunk, count_ - begin);
      const T* bk = b + (span_ == count_ ? begin : 0);
      if (vector) {
        math_.avx2(a + begin, bk, c + begin, n);
      } else {
        math_.scalar(a + begin, bk, c + begin, n);
      }
    }
  }

 private:
  Math math_;
  int64_t count_, span_;
  bool scalar_b_;
};

template <typename T>
std::shared_ptr<const HostOp> make_binary_op(const Node& node, DType t, int64_t count, int64_t span) {
  const float sa = *constant_scale(node, kAScale), sb = *constant_scale(node, kBScale), sc = *constant_scale(node, kCScale);
  const int32_t za = *constant_zero_point(node, kAZero, t), zb = *constant_zero_point(node, kBZero, t),
                zc = *constant_zero_point(node, kCZero, t);
  const bool scalar_b = span == 1;
  if (node.op_type == "QLinearAdd") {
    return std::make_shared<QLinearBinaryOp<T, AddMath<T>>>(AddMath<T>{qlinear_add_params(sa, za, sb, zb, sc, zc)},
                                                            count, span, scalar_b);
  }
  return std::make_shared<QLinearBinaryOp<T, MulMath<T>>>(MulMath<T>{qlinear_mul_params(sa, za, sb, zb, sc, zc)},
                                                          count, span, scalar_b);
}

std::optional<std::vector<Dim>> known_dims(const Value* v) {
  if (v->constant) {
    std::vector<Dim> dims;
    for (int64_t d : v->constant->dims()) dims.push_back(Dim{d, ""});
    return dims;
  }
  return v->type.dims;
}

// B equals A's shape, is one value, or equals A's trailing dims (leading ones dropped).
bool b_broadcasts_as_span(const std::vector<Dim>& a, std::vector<Dim> b) {
  while (!b.empty() && b.front().is_known() && b.front().value == 1) b.erase(b.begin());
  if (b.size() > a.size()) return false;
  for (size_t i = 0; i < b.size(); ++i) {
    if (!a[a.size() - b.size() + i].same_as(b[i])) return false;
  }
  return true;
}

// B (static dims known) broadcasts into A's static dims without making any dim of A larger.
bool broadcasts_without_growing(const std::vector<Dim>& a, const std::vector<Dim>& b) {
  if (b.size() > a.size()) return false;
  for (size_t i = 0; i < b.size(); ++i) {
    const Dim& da = a[a.size() - b.size() + i];
    if (!(b[i].is_known() && b[i].value == 1) && !da.same_as(b[i])) return false;
  }
  return true;
}

// A constant B may broadcast any way into A's static dims that does not grow them (it is expanded
// at compile time when it is not a span), or be a single value; a computed B must be A's shape or
// its trailing dims. The static types must show it: C is never larger than A.
bool claims_qlinear_binary(const Node& node) {
  const DType t = value_type(node.inputs[kA]);
  if (!is_quantized_type(t) || value_type(node.inputs[kB]) != t) return false;
  if (node.inputs[kA]->constant) return false;
  auto a = known_dims(node.inputs[kA]);
  auto b = known_dims(node.inputs[kB]);
  if (!node.inputs[kB]->constant) {
    if (!a || !b || a->empty() || !b_broadcasts_as_span(*a, *b)) return false;
  } else if (node.inputs[kB]->constant->num_elements() != 1 && !(a && broadcasts_without_growing(*a, *b))) {
    return false;  // C would be larger than A (or A's shape is unknown)
  }
  return constant_scale(node, kAScale) && constant_zero_point(node, kAZero, t) && constant_scale(node, kBScale) &&
         constant_zero_point(node, kBZero, t) && constant_scale(node, kCScale) && constant_zero_point(node, kCZero, t);
}

// B's trailing dims (leading ones dropped) equal A's: a span that repeats.
bool is_span(const memory::dims& a, memory::dims b) {
  while (!b.empty() && b.front() == 1) b.erase(b.begin());
  return b.size() <= a.size() && std::equal(b.begin(), b.end(), a.end() - static_cast<std::ptrdiff_t>(b.size()));
}

// Constant `b` (one byte per element) broadcast to `a` dims, numpy rules; an error when it
// does not broadcast without growing A.
Result<Tensor> expand_constant(const Node& node, const Tensor& b, const memory::dims& a) {
  const size_t rank = a.size();
  if (b.rank() > rank) return invalid_argument(str_cat(node.describe(), ": B has more dims than A"));
  std::vector<int64_t> b_dims(rank - b.rank(), 1);
  b_dims.insert(b_dims.end(), b.dims().begin(), b.dims().end());
  std::vector<int64_t> stride(rank, 0);
  int64_t s = 1;
  for (size_t i = rank; i-- > 0;) {
    if (b_dims[i] != 1 && b_dims[i] != a[i]) {
      return invalid_argument(str_cat(node.describe(), ": B ", dims_to_string(b.dims()), " does not broadcast to A"));
    }
    stride[i] = b_dims[i] == 1 ? 0 : s;
    s *= b_dims[i];
  }
  EDGE_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(b.dtype(), Dims(a.begin(), a.end())));
  const auto* src = static_cast<const uint8_t*>(b.raw_data());
  auto* dst = static_cast<uint8_t*>(out.mutable_raw_data());
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    int64_t from = 0;
    for (size_t d = 0; d < rank; ++d) from += index[d] * stride[d];
    dst[i] = src[from];
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < a[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

int64_t elements(const memory::dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

Status build_qlinear_binary(const Node& node, ProgramBuilder& b) {
  const DType t = value_type(node.inputs[kA]);
  const memory::dims a_dims = b.dims_of(node.inputs[kA]);
  memory::dims b_dims = b.dims_of(node.inputs[kB]);
  const int64_t count = elements(a_dims);
  std::optional<Tensor> b_constant = node.inputs[kB]->constant;
  if (b_constant && !is_span(a_dims, b_dims) && elements(b_dims) != 1) {
    // Per-channel and other broadcasts of a constant: B at A's full shape.
    EDGE_ASSIGN_OR_RETURN(b_constant, expand_constant(node, *b_constant, a_dims));
    b_dims = a_dims;
  }
  if (!is_span(a_dims, b_dims) && elements(b_dims) != 1) {
    return invalid_argument(str_cat(node.describe(), ": B does not broadcast over A's trailing dims"));
  }
  const int64_t span = elements(b_dims);
  const bool same = span == count;
  EDGE_ASSIGN_OR_RETURN(int a, b.slot_of(node.inputs[kA]));
  // Same shape: any shared dense layout. Broadcast: plain layouts, spans of B repeat over A.
  if (!same || b.md(a).data.offset0 != 0 || b.md(a).get_size() != static_cast<size_t>(count)) {
    EDGE_ASSIGN_OR_RETURN(a, b.plain_slot(node.inputs[kA], node));
  }
  // B plain (a constant as given, or expanded), viewed with A's dims when it covers all of A
  // (dims may differ by leading ones) and then in A's layout.
  int operand = -1;
  if (b_constant) {
    auto holder = std::make_shared<Tensor>(*b_constant);
    operand = b.raw_constant_slot(std::shared_ptr<void>(holder, const_cast<void*>(holder->raw_data())),
                                  plain_md(b_dims, dnnl_dtype(t)));
  } else if (same && b_dims == a_dims) {
    EDGE_ASSIGN_OR_RETURN(operand, b.slot_as(node.inputs[kB], b.md(a), node));
  } else {
    EDGE_ASSIGN_OR_RETURN(operand, b.plain_slot(node.inputs[kB], node));
  }
  if (same && b.md(operand) != b.md(a)) {
    const int full = b.view_slot(operand, plain_md(a_dims, dnnl_dtype(t)));
    EDGE_ASSIGN_OR_RETURN(operand, b.reordered(full, b.md(a), node));
  }
  // In place over A's own slot (not over a converted copy that other readers may share).
  EDGE_ASSIGN_OR_RETURN(int own, b.slot_of(node.inputs[kA]));
  int dst = a;
  if (own != a || !b.can_overwrite(node.inputs[kA], node)) {
    EDGE_ASSIGN_OR_RETURN(dst, b.new_slot(b.md(a), node));
  }
  std::shared_ptr<const HostOp> op =
      t == DType::kUint8 ? make_binary_op<uint8_t>(node, t, count, span) : make_binary_op<int8_t>(node, t, count, span);
  b.add_host_step(std::move(op), {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, operand}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> qlinear_binary_ops() {
  return {CpuOp{"QLinearAdd", claims_qlinear_binary, build_qlinear_binary, "com.microsoft", 1},
          CpuOp{"QLinearMul", claims_qlinear_binary, build_qlinear_binary, "com.microsoft", 1}};
}

}  // namespace edgeserve::cpu

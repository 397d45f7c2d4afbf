// DFT, STFT, window functions, MelWeightMatrix. Transforms run in double through an O(n log n)
// FFT (radix-2, or Bluestein's chirp-z for other lengths) so that a long dft_length neither hangs
// nor loses accuracy; the semantics follow the ONNX reference implementation (onnx/reference).
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "engine/ep/reference/half_adapter.h"
#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

using Complex = std::complex<double>;

// ---------------------------------------------------------------------------------------------
// FFT

// In-place forward FFT of a power-of-two length m; roots[k] = exp(-2*pi*i*k/m) for k < m/2.
void fft_radix2(Complex* a, int64_t m, const std::vector<Complex>& roots) {
  for (int64_t i = 1, j = 0; i < m; ++i) {  // bit-reversal permutation
    int64_t bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (int64_t len = 2; len <= m; len <<= 1) {
    const int64_t half = len / 2;
    const int64_t step = m / len;
    for (int64_t s = 0; s < m; s += len) {
      for (int64_t k = 0; k < half; ++k) {
        const Complex t = a[s + k + half] * roots[static_cast<size_t>(k * step)];
        a[s + k + half] = a[s + k] - t;
        a[s + k] += t;
      }
    }
  }
}

std::vector<Complex> unit_roots(int64_t m) {
  std::vector<Complex> roots(static_cast<size_t>(m / 2));
  // Each root straight from polar() rather than by repeated multiplication, which drifts.
  for (int64_t k = 0; k < m / 2; ++k) {
    roots[static_cast<size_t>(k)] = std::polar(1.0, -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(m));
  }
  return roots;
}

// Tables for forward DFTs of one length n. Owned by one run() call: run() uses a mutable work
// buffer, so a plan is never shared between threads.
class FftPlan {
 public:
  static Result<FftPlan> create(int64_t n, int64_t max_bytes) {
    FftPlan p;
    p.n_ = n;
    p.m_ = 1;
    const bool pow2 = (n & (n - 1)) == 0;
    // Bluestein convolves two length-n sequences: a power of two >= 2n - 1 avoids wrap-around.
    while (p.m_ < (pow2 ? n : 2 * n - 1)) p.m_ <<= 1;
    // Scratch is bounded like a tensor: roots (m/2) plus, for Bluestein, chirp (n), its FFT (m)
    // and a work buffer (m), all complex doubles.
    const int64_t elems = pow2 ? p.m_ / 2 : p.m_ / 2 + n + 2 * p.m_;
    if (elems > max_bytes / static_cast<int64_t>(sizeof(Complex))) {
      return resource_exhausted(str_cat("an FFT of length ", n, " needs more scratch than the ", max_bytes,
                                        "-byte limit per tensor"));
    }
    p.roots_ = unit_roots(p.m_);
    if (!pow2) p.init_bluestein();
    return p;
  }

  // data[0, n) <- its unnormalised forward DFT.
  void forward(Complex* data) const {
    if (chirp_.empty()) {
      fft_radix2(data, m_, roots_);
      return;
    }
    // X_k = w_k * sum_j (x_j w_j) conj(w_{k-j}) with w_k = exp(-i*pi*k^2/n): a convolution.
    std::fill(work_.begin(), work_.end(), Complex{});
    for (int64_t j = 0; j < n_; ++j) work_[static_cast<size_t>(j)] = data[j] * chirp_[static_cast<size_t>(j)];
    fft_radix2(work_.data(), m_, roots_);
    for (int64_t j = 0; j < m_; ++j) work_[static_cast<size_t>(j)] *= chirp_fft_[static_cast<size_t>(j)];
    // Inverse FFT by conjugation; the 1/m is folded into the final scale.
    for (Complex& v : work_) v = std::conj(v);
    fft_radix2(work_.data(), m_, roots_);
    const double scale = 1.0 / static_cast<double>(m_);
    for (int64_t k = 0; k < n_; ++k) {
      data[k] = std::conj(work_[static_cast<size_t>(k)]) * scale * chirp_[static_cast<size_t>(k)];
    }
  }

  // data[0, n) <- its unnormalised inverse DFT (conj(DFT(conj(x)))).
  void inverse(Complex* data) const {
    for (int64_t k = 0; k < n_; ++k) data[k] = std::conj(data[k]);
    forward(data);
    for (int64_t k = 0; k < n_; ++k) data[k] = std::conj(data[k]);
  }

 private:
  void init_bluestein() {
    chirp_.resize(static_cast<size_t>(n_));
    // k^2 mod 2n keeps the angle small (exp(-i*pi*k^2/n) has period 2n in k^2), so it stays
    // accurate for large k; updated incrementally since k^2 itself could overflow.
    int64_t k2 = 0;
    for (int64_t k = 0; k < n_; ++k) {
      chirp_[static_cast<size_t>(k)] = std::polar(1.0, -std::numbers::pi * static_cast<double>(k2) / static_cast<double>(n_));
      k2 = (k2 + 2 * k + 1) % (2 * n_);
    }
    chirp_fft_.assign(static_cast<size_t>(m_), Complex{});
    chirp_fft_[0] = std::conj(chirp_[0]);
    for (int64_t j = 1; j < n_; ++j) {
      chirp_fft_[static_cast<size_t>(j)] = std::conj(chirp_[static_cast<size_t>(j)]);
      chirp_fft_[static_cast<size_t>(m_ - j)] = std::conj(chirp_[static_cast<size_t>(j)]);
    }
    fft_radix2(chirp_fft_.data(), m_, roots_);
    work_.resize(static_cast<size_t>(m_));
  }

  int64_t n_ = 0;
  int64_t m_ = 0;
  std::vector<Complex> roots_;
  std::vector<Complex> chirp_;      // empty for power-of-two n
  std::vector<Complex> chirp_fft_;  // FFT of the conjugated chirp, laid out circularly
  mutable std::vector<Complex> work_;
};

// One complex line transform of `line` (length n) in place; inverse transforms scale by 1/n.
void transform_line(const FftPlan& plan, std::vector<Complex>& line, bool inverse) {
  if (!inverse) {
    plan.forward(line.data());
    return;
  }
  plan.inverse(line.data());
  const double scale = 1.0 / static_cast<double>(line.size());
  for (Complex& v : line) v *= scale;
}

Result<int64_t> read_int_scalar(const Tensor& t, const char* what) {
  if (t.num_elements() != 1) {
    return invalid_argument(str_cat(what, " must hold exactly one value, got shape ", dims_to_string(t.dims())));
  }
  auto v = read_int_values(t);
  if (!v.is_ok()) return invalid_argument(str_cat(what, ": ", v.status().message()));
  return (*v)[0];
}

// ---------------------------------------------------------------------------------------------
// DFT

struct DftAttrs {
  int64_t axis = 1;
  bool inverse = false;
  bool onesided = false;
  bool axis_is_input = false;  // opset 20 moved axis to input 2 (default -2)
};

// Input [.., n_in (at axis), .., channels] viewed as [outer, n_in, inner, channels].
struct DftGeometry {
  int64_t outer = 1, n_in = 1, inner = 1, channels = 1;
  int64_t length = 1;  // transform length (dft_length)
  int64_t n_out = 1;   // values kept along the axis
  int64_t axis = 0;
};

Result<int64_t> dft_axis(const DftAttrs& a, const KernelContext& ctx, int64_t rank) {
  int64_t axis = a.axis;
  if (a.axis_is_input && ctx.has_input(2)) {
    EDGE_ASSIGN_OR_RETURN(axis, read_int_scalar(ctx.input(2), "axis"));
  }
  // Accepted: [-rank, -2] and [0, rank - 2]; the last dim holds the real/imaginary parts.
  if (axis < -rank || axis > rank - 2 || axis == -1) {
    return invalid_argument(str_cat("axis ", axis, " is outside [", -rank, ", -2] and [0, ", rank - 2, "] for input of rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

Result<DftGeometry> dft_geometry(const DftAttrs& a, const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  if (rank < 2 || (x.dims().back() != 1 && x.dims().back() != 2)) {
    return invalid_argument(str_cat("input 0 must have rank >= 2 and a last dim of 1 (real) or 2 (complex), got ",
                                    dims_to_string(x.dims())));
  }
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input 0"));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, dft_axis(a, ctx, rank));
  DftGeometry g;
  g.axis = axis;
  g.channels = x.dims().back();
  for (int64_t d = 0; d < rank - 1; ++d) (d < axis ? g.outer : d == axis ? g.n_in : g.inner) *= x.dim(static_cast<size_t>(d));
  g.length = g.n_in;
  if (ctx.has_input(1)) {
    EDGE_ASSIGN_OR_RETURN(g.length, read_int_scalar(ctx.input(1), "dft_length"));
    if (g.length < 1) return invalid_argument(str_cat("dft_length must be >= 1, got ", g.length));
  } else if (g.length < 1) {
    return invalid_argument(str_cat("the DFT axis ", axis, " has length 0 and no dft_length is given"));
  }
  g.n_out = a.onesided ? g.length / 2 + 1 : g.length;
  return g;
}

Dims dft_output_dims(const Dims& in, const DftGeometry& g) {
  Dims out = in;
  out[static_cast<size_t>(g.axis)] = g.n_out;
  out.back() = 2;
  return out;
}

template <typename T>
void dft_lines(const DftGeometry& g, const FftPlan& plan, bool inverse, const T* in, T* out) {
  std::vector<Complex> line(static_cast<size_t>(g.length));
  const int64_t n_load = std::min(g.n_in, g.length);  // truncate, or zero-pad to dft_length
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t i = 0; i < g.inner; ++i) {
      std::fill(line.begin(), line.end(), Complex{});
      for (int64_t k = 0; k < n_load; ++k) {
        const T* v = in + ((o * g.n_in + k) * g.inner + i) * g.channels;
        line[static_cast<size_t>(k)] = Complex(static_cast<double>(v[0]), g.channels == 2 ? static_cast<double>(v[1]) : 0.0);
      }
      transform_line(plan, line, inverse);
      for (int64_t k = 0; k < g.n_out; ++k) {
        T* y = out + ((o * g.n_out + k) * g.inner + i) * 2;
        y[0] = static_cast<T>(line[static_cast<size_t>(k)].real());
        y[1] = static_cast<T>(line[static_cast<size_t>(k)].imag());
      }
    }
  }
}

Status run_dft(const DftAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(DftGeometry g, dft_geometry(a, ctx));
  return dispatch<EDGE_FLOAT_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    // The output is allocated first so that a huge dft_length fails on the tensor limit.
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dft_output_dims(x.dims(), g)));
    if (y->num_elements() == 0) return Status::ok();
    EDGE_ASSIGN_OR_RETURN(FftPlan plan, FftPlan::create(g.length, ctx.max_tensor_bytes()));
    dft_lines<T>(g, plan, a.inverse, x.data<T>(), y->mutable_data<T>());
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_dft(const Node& node) {
  DftAttrs a;
  a.axis_is_input = node.opset >= 20;
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, a.axis_is_input ? 3 : 2));
  // Opset 20's default axis -2 is the last signal dim; opset 17 defaulted to 1.
  EDGE_ASSIGN_OR_RETURN(a.axis, a.axis_is_input ? Result<int64_t>(int64_t{-2}) : node.attr_int("axis", 1));
  EDGE_ASSIGN_OR_RETURN(int64_t inverse, node.attr_int("inverse", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t onesided, node.attr_int("onesided", 0));
  if ((inverse != 0 && inverse != 1) || (onesided != 0 && onesided != 1)) {
    return invalid_argument(str_cat(node.describe(), ": inverse and onesided must be 0 or 1, got ", inverse, " and ", onesided));
  }
  a.inverse = inverse == 1;
  a.onesided = onesided == 1;
  // From opset 20 an inverse onesided DFT is a complex-to-real transform of a half spectrum; the
  // opset-17 reference only truncated the output, which is what this kernel does.
  if (a.axis_is_input && a.inverse && a.onesided) {
    return unimplemented(str_cat(node.describe(), ": inverse onesided DFT (complex-to-real) is not supported"));
  }
  return make_kernel(a, run_dft);
}

// ---------------------------------------------------------------------------------------------
// STFT

struct StftAttrs {
  bool onesided = true;
};

// Signal [batch, length, channels]; frames of `frame_length` samples, `step` apart, each multiplied
// by a window of `window_length` samples (zero past its end) and transformed at frame_length.
struct StftGeometry {
  int64_t batch = 0, length = 0, channels = 1;
  int64_t step = 1, frame_length = 1, window_length = 0, frames = 0, bins = 0;
};

Status check_stft_window(const KernelContext& ctx, const Tensor& x) {
  const Tensor& w = ctx.input(2);
  if (w.rank() != 1) return invalid_argument(str_cat("window must be 1-D, got shape ", dims_to_string(w.dims())));
  if (w.dtype() != x.dtype()) {
    return invalid_argument(str_cat("window type ", dtype_name(w.dtype()), " differs from the signal's ", dtype_name(x.dtype())));
  }
  return Status::ok();
}

Result<StftGeometry> stft_geometry(const StftAttrs& a, const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 3 || (x.dim(2) != 1 && x.dim(2) != 2)) {
    return invalid_argument(str_cat("signal must be [batch, length, 1 or 2], got ", dims_to_string(x.dims())));
  }
  StftGeometry g;
  g.batch = x.dim(0);
  g.length = x.dim(1);
  g.channels = x.dim(2);
  EDGE_ASSIGN_OR_RETURN(g.step, read_int_scalar(ctx.input(1), "frame_step"));
  if (g.step < 1) return invalid_argument(str_cat("frame_step must be >= 1, got ", g.step));
  if (ctx.has_input(2)) {
    EDGE_RETURN_IF_ERROR(check_stft_window(ctx, x));
    g.window_length = ctx.input(2).dim(0);
  }
  // As in the ONNX reference: frame_length, else the window's length, else the whole signal.
  g.frame_length = ctx.has_input(2) ? g.window_length : g.length;
  if (ctx.has_input(3)) {
    EDGE_ASSIGN_OR_RETURN(g.frame_length, read_int_scalar(ctx.input(3), "frame_length"));
  }
  if (g.frame_length < 1 || g.frame_length > g.length) {
    return invalid_argument(str_cat("frame_length ", g.frame_length, " must be in [1, signal length ", g.length, "]"));
  }
  if (!ctx.has_input(2)) g.window_length = g.frame_length;
  g.frames = (g.length - g.frame_length) / g.step + 1;
  g.bins = a.onesided ? g.frame_length / 2 + 1 : g.frame_length;
  return g;
}

template <typename T>
void stft_frames(const StftGeometry& g, const FftPlan& plan, const T* x, const T* window, T* out) {
  std::vector<Complex> line(static_cast<size_t>(g.frame_length));
  const int64_t n_load = std::min(g.window_length, g.frame_length);
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t f = 0; f < g.frames; ++f) {
      std::fill(line.begin(), line.end(), Complex{});
      for (int64_t t = 0; t < n_load; ++t) {
        const int64_t s = f * g.step + t;
        if (s >= g.length) break;  // a longer window runs past the signal: zeros there
        const T* v = x + (b * g.length + s) * g.channels;
        const double w = window ? static_cast<double>(window[t]) : 1.0;
        line[static_cast<size_t>(t)] = w * Complex(static_cast<double>(v[0]), g.channels == 2 ? static_cast<double>(v[1]) : 0.0);
      }
      plan.forward(line.data());
      T* y = out + (b * g.frames + f) * g.bins * 2;
      for (int64_t k = 0; k < g.bins; ++k) {
        y[2 * k] = static_cast<T>(line[static_cast<size_t>(k)].real());
        y[2 * k + 1] = static_cast<T>(line[static_cast<size_t>(k)].imag());
      }
    }
  }
}

Status run_stft(const StftAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(StftGeometry g, stft_geometry(a, ctx));
  return dispatch<EDGE_FLOAT_TYPES>(x.dtype(), "signal", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), {g.batch, g.frames, g.bins, 2}));
    if (y->num_elements() == 0) return Status::ok();
    EDGE_ASSIGN_OR_RETURN(FftPlan plan, FftPlan::create(g.frame_length, ctx.max_tensor_bytes()));
    const T* window = ctx.has_input(2) ? ctx.input(2).data<T>() : nullptr;
    stft_frames<T>(g, plan, x.data<T>(), window, y->mutable_data<T>());
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_stft(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 4));
  EDGE_ASSIGN_OR_RETURN(int64_t onesided, node.attr_int("onesided", 1));
  if (onesided != 0 && onesided != 1) return invalid_argument(str_cat(node.describe(), ": onesided must be 0 or 1, got ", onesided));
  // Like the ONNX reference, onesided keeps the first frame_length/2 + 1 bins even for complex
  // signals, where they are not the whole spectrum.
  return make_kernel(StftAttrs{onesided == 1}, run_stft);
}

// ---------------------------------------------------------------------------------------------
// Window functions and MelWeightMatrix: generated tensors of a requested output_datatype.

Result<DType> output_datatype(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(int64_t code, node.attr_int("output_datatype", 1));
  const DType t = (code < 0 || code > 64) ? DType::kUndefined : dtype_from_onnx(static_cast<int32_t>(code));
  if (t == DType::kUndefined || t == DType::kString || t == DType::kBool) {
    return unimplemented(str_cat(node.describe(), ": output_datatype ", code, " is not a supported numeric type"));
  }
  return t;
}

// Allocates output 0 as `dtype` and fills it from fill(double*) with Cast's conversion rules.
// The output is allocated before the double scratch, so a huge size fails on the tensor limit.
template <typename Fill>
Status emit_generated(KernelContext& ctx, DType dtype, const Dims& dims, Fill&& fill) {
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, dtype, dims));
  if (dtype == DType::kFloat64) return fill(y->mutable_data<double>());
  EDGE_ASSIGN_OR_RETURN(Tensor tmp, Tensor::allocate(DType::kFloat64, dims, ctx.max_tensor_bytes()));
  EDGE_RETURN_IF_ERROR(fill(tmp.mutable_data<double>()));
  return convert_tensor(tmp, y);
}

// Generalised cosine window a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N).
struct WindowAttrs {
  double a0 = 0, a1 = 0, a2 = 0;
  bool periodic = true;
  DType dtype = DType::kFloat32;
};

Status run_window(const WindowAttrs& a, KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(int64_t size, read_int_scalar(ctx.input(0), "size"));
  if (size < 0) return invalid_argument(str_cat("size must be >= 0, got ", size));
  // Periodic windows are the first `size` points of a symmetric window of size + 1.
  const double period = static_cast<double>(a.periodic ? size : size - 1);
  return emit_generated(ctx, a.dtype, {size}, [&](double* y) {
    for (int64_t n = 0; n < size; ++n) {
      // A one-point symmetric window has period 0; its only point is the peak, 1.
      const double phase = period > 0 ? 2.0 * std::numbers::pi * static_cast<double>(n) / period : 0.0;
      y[n] = period > 0 ? a.a0 - a.a1 * std::cos(phase) + a.a2 * std::cos(2.0 * phase) : 1.0;
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_window(const Node& node, double a0, double a1, double a2) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  WindowAttrs a{a0, a1, a2};
  EDGE_ASSIGN_OR_RETURN(int64_t periodic, node.attr_int("periodic", 1));
  if (periodic != 0 && periodic != 1) return invalid_argument(str_cat(node.describe(), ": periodic must be 0 or 1, got ", periodic));
  a.periodic = periodic == 1;
  EDGE_ASSIGN_OR_RETURN(a.dtype, output_datatype(node));
  return make_kernel(a, run_window);
}

struct MelParams {
  int64_t num_mel_bins = 0, dft_length = 0, sample_rate = 0;
  double lower_hz = 0, upper_hz = 0;
};

Result<MelParams> mel_params(const KernelContext& ctx) {
  MelParams p;
  EDGE_ASSIGN_OR_RETURN(p.num_mel_bins, read_int_scalar(ctx.input(0), "num_mel_bins"));
  EDGE_ASSIGN_OR_RETURN(p.dft_length, read_int_scalar(ctx.input(1), "dft_length"));
  EDGE_ASSIGN_OR_RETURN(p.sample_rate, read_int_scalar(ctx.input(2), "sample_rate"));
  EDGE_ASSIGN_OR_RETURN(p.lower_hz, read_scalar_as_double(ctx.input(3)));
  EDGE_ASSIGN_OR_RETURN(p.upper_hz, read_scalar_as_double(ctx.input(4)));
  if (p.num_mel_bins < 0) return invalid_argument(str_cat("num_mel_bins must be >= 0, got ", p.num_mel_bins));
  if (p.dft_length < 1) return invalid_argument(str_cat("dft_length must be >= 1, got ", p.dft_length));
  if (p.sample_rate < 1) return invalid_argument(str_cat("sample_rate must be >= 1, got ", p.sample_rate));
  if (!(p.lower_hz >= 0 && p.lower_hz <= p.upper_hz && std::isfinite(p.upper_hz))) {
    return invalid_argument(str_cat("need 0 <= lower_edge_hertz <= upper_edge_hertz (finite), got ", p.lower_hz, " and ", p.upper_hz));
  }
  return p;
}

// Spectrogram bin of each of the num_mel_bins + 2 triangle edges, evenly spaced in mel. The
// ONNX reference divides the mel range into num_mel_bins + 2 steps and maps f to
// floor((dft_length + 1) * f / sample_rate); both are kept so results match it.
// Bins past the spectrogram are clamped to `rows` (so the cast is defined) and then rejected.
std::vector<int64_t> mel_edge_bins(const MelParams& p, int64_t rows) {
  auto to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  const double low_mel = to_mel(p.lower_hz);
  const double step = (to_mel(p.upper_hz) - low_mel) / static_cast<double>(p.num_mel_bins + 2);
  std::vector<int64_t> bins(static_cast<size_t>(p.num_mel_bins + 2));
  for (size_t i = 0; i < bins.size(); ++i) {
    const double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * step + low_mel) / 2595.0) - 1.0);
    const double bin = std::floor(static_cast<double>(p.dft_length + 1) * hz / static_cast<double>(p.sample_rate));
    bins[i] = static_cast<int64_t>(std::clamp(bin, -1.0, static_cast<double>(rows)));
  }
  return bins;
}

// Writes the triangle of mel band `m` (edges left <= center <= right) into column m.
void mel_triangle(double* y, int64_t num_mel_bins, int64_t m, int64_t left, int64_t center, int64_t right) {
  auto at = [&](int64_t row) -> double& { return y[row * num_mel_bins + m]; };
  if (center == left) {
    at(center) = 1.0;
  } else {
    for (int64_t j = left; j <= center; ++j) at(j) = static_cast<double>(j - left) / static_cast<double>(center - left);
  }
  for (int64_t j = center; j < right; ++j) at(j) = static_cast<double>(right - j) / static_cast<double>(right - center);
}

Status run_mel(const DType& dtype, KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(MelParams p, mel_params(ctx));
  const int64_t rows = p.dft_length / 2 + 1;
  // The edge table is built inside fill(), after the output allocation has bounded num_mel_bins.
  return emit_generated(ctx, dtype, {rows, p.num_mel_bins}, [&](double* y) -> Status {
    const std::vector<int64_t> bins = mel_edge_bins(p, rows);
    if (bins.front() < 0 || bins.back() >= rows || !std::is_sorted(bins.begin(), bins.end())) {
      return invalid_argument(str_cat("the mel bands cover spectrogram bins [", bins.front(), ", ", bins.back(),
                                      "], outside the ", rows, " bins of dft_length ", p.dft_length,
                                      "; upper_edge_hertz should not exceed sample_rate / 2"));
    }
    for (int64_t m = 0; m < p.num_mel_bins; ++m) {
      const size_t i = static_cast<size_t>(m);
      mel_triangle(y, p.num_mel_bins, m, bins[i], bins[i + 1], bins[i + 2]);
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_mel(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 5, 5));
  EDGE_ASSIGN_OR_RETURN(DType dtype, output_datatype(node));
  return make_kernel(dtype, run_mel);
}

}  // namespace

std::vector<KernelEntry> signal_kernels() {
  return {
      {"DFT", make_dft, HalfMode::kAsFloat, "", 17},
      {"STFT", make_stft, HalfMode::kAsFloat, "", 17},
      // The generators take integer sizes and write output_datatype themselves (half included);
      // widening a float16 edge frequency must not narrow a float32 output.
      {"HannWindow", EDGE_FACTORY { return make_window(node, 0.5, 0.5, 0.0); }, HalfMode::kNative, "", 17},
      {"HammingWindow", EDGE_FACTORY { return make_window(node, 25.0 / 46.0, 21.0 / 46.0, 0.0); }, HalfMode::kNative, "", 17},
      {"BlackmanWindow", EDGE_FACTORY { return make_window(node, 0.42, 0.5, 0.08); }, HalfMode::kNative, "", 17},
      {"MelWeightMatrix", make_mel, HalfMode::kNative, "", 17},
  };
}

}  // namespace edgeserve::ref

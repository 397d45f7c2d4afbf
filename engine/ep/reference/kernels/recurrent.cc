// RNN, GRU and LSTM (opsets 7 and 14). One loop walks directions, batch entries and time steps and
// calls a per-op cell step; each batch entry's state is independent, and arithmetic is in double.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

enum class CellKind { kRnn, kGru, kLstm };

// Weight-matrix row blocks per cell: RNN [i], GRU [z, r, h], LSTM [i, o, f, c].
int64_t num_gates(CellKind cell) { return cell == CellKind::kRnn ? 1 : cell == CellKind::kGru ? 3 : 4; }
// Activations per direction: RNN [f], GRU [f, g], LSTM [f, g, h].
size_t acts_per_direction(CellKind cell) { return cell == CellKind::kRnn ? 1 : cell == CellKind::kGru ? 2 : 3; }
size_t max_inputs(CellKind cell) { return cell == CellKind::kLstm ? 8 : 6; }
size_t max_outputs(CellKind cell) { return cell == CellKind::kLstm ? 3 : 2; }

// Input slots shared by the three ops (initial_c and P exist for LSTM only).
enum Slot : size_t { kX, kW, kR, kB, kSeqLens, kInitialH, kInitialC, kP };
// hidden_size bound: keeps every gate-count product far from int64 overflow.
constexpr int64_t kMaxHidden = int64_t{1} << 31;

// ---- Activations ----

enum class ActKind {
  kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu, kSoftsign,
  kSoftplus,
};

struct Activation {
  ActKind kind = ActKind::kTanh;
  double alpha = 0;
  double beta = 0;
};

// The ONNX activation list: how many alpha/beta values each takes from activation_alpha/_beta,
// and the defaults (those of the matching standalone ops) when the lists run out.
struct ActSpec {
  const char* name;  // lower case; names match case-insensitively
  ActKind kind;
  bool takes_alpha;
  bool takes_beta;
  double alpha;
  double beta;
};

constexpr std::array<ActSpec, 11> kActSpecs = {{
    {"relu", ActKind::kRelu, false, false, 0, 0},
    {"tanh", ActKind::kTanh, false, false, 0, 0},
    {"sigmoid", ActKind::kSigmoid, false, false, 0, 0},
    {"affine", ActKind::kAffine, true, true, 1.0, 0.0},
    {"leakyrelu", ActKind::kLeakyRelu, true, false, 0.01, 0},
    {"thresholdedrelu", ActKind::kThresholdedRelu, true, false, 1.0, 0},
    {"scaledtanh", ActKind::kScaledTanh, true, true, 1.0, 1.0},
    {"hardsigmoid", ActKind::kHardSigmoid, true, true, 0.2, 0.5},
    {"elu", ActKind::kElu, true, false, 1.0, 0},
    {"softsign", ActKind::kSoftsign, false, false, 0, 0},
    {"softplus", ActKind::kSoftplus, false, false, 0, 0},
}};

double sigmoid(double x) {
  // Split by sign so exp() never overflows.
  if (x >= 0) return 1 / (1 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1 + e);
}

double activate(const Activation& a, double x) {
  switch (a.kind) {
    case ActKind::kRelu: return std::max(x, 0.0);
    case ActKind::kTanh: return std::tanh(x);
    case ActKind::kSigmoid: return sigmoid(x);
    case ActKind::kAffine: return a.alpha * x + a.beta;
    case ActKind::kLeakyRelu: return x >= 0 ? x : a.alpha * x;
    case ActKind::kThresholdedRelu: return x > a.alpha ? x : 0.0;
    case ActKind::kScaledTanh: return a.alpha * std::tanh(a.beta * x);
    case ActKind::kHardSigmoid: return std::clamp(a.alpha * x + a.beta, 0.0, 1.0);
    case ActKind::kElu: return x >= 0 ? x : a.alpha * std::expm1(x);
    case ActKind::kSoftsign: return x / (1 + std::abs(x));
    case ActKind::kSoftplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
  return x;
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::vector<std::string> default_activations(CellKind cell) {
  switch (cell) {
    case CellKind::kRnn: return {"Tanh"};
    case CellKind::kGru: return {"Sigmoid", "Tanh"};
    case CellKind::kLstm: return {"Sigmoid", "Tanh", "Tanh"};
  }
  return {};
}

// Parses activations with their alpha/beta. The alpha and beta lists are consumed in order by the
// activations that take them (as onnxruntime does). A bidirectional node may list one direction's
// activations only; the reverse direction then reuses them.
Result<std::vector<Activation>> parse_activations(const Node& node, CellKind cell, int64_t dirs) {
  EDGE_ASSIGN_OR_RETURN(auto names, node.attr_strings("activations", default_activations(cell)));
  EDGE_ASSIGN_OR_RETURN(auto alphas, node.attr_floats("activation_alpha", std::vector<float>{}));
  EDGE_ASSIGN_OR_RETURN(auto betas, node.attr_floats("activation_beta", std::vector<float>{}));
  const size_t k = acts_per_direction(cell);
  if (names.size() != k && names.size() != k * static_cast<size_t>(dirs)) {
    return invalid_argument(str_cat("attribute activations has ", names.size(), " entries, expected ", k,
                                    dirs == 2 ? str_cat(" or ", 2 * k) : std::string()));
  }
  std::vector<Activation> acts;
  size_t next_alpha = 0;
  size_t next_beta = 0;
  for (const std::string& name : names) {
    const std::string key = lower(name);
    auto spec = std::find_if(kActSpecs.begin(), kActSpecs.end(), [&](const ActSpec& s) { return key == s.name; });
    if (spec == kActSpecs.end()) {
      return invalid_argument(str_cat("attribute activations: unknown activation '", name,
                                      "' (expected Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, "
                                      "ScaledTanh, HardSigmoid, Elu, Softsign or Softplus)"));
    }
    Activation a{spec->kind, spec->alpha, spec->beta};
    if (spec->takes_alpha && next_alpha < alphas.size()) a.alpha = alphas[next_alpha++];
    if (spec->takes_beta && next_beta < betas.size()) a.beta = betas[next_beta++];
    acts.push_back(a);
  }
  if (acts.size() == k && dirs == 2) acts.insert(acts.end(), acts.begin(), acts.end());
  return acts;
}

// ---- Attributes ----

struct RecurrentAttrs {
  CellKind cell = CellKind::kRnn;
  int64_t hidden_size = -1;  // -1: taken from R's last dim
  int64_t num_directions = 1;
  bool reverse_only = false;  // direction == "reverse"
  bool batch_major = false;   // layout == 1 (opset 14): X [batch, seq, input], Y [batch, seq, dirs, hidden]
  bool linear_before_reset = false;  // GRU: apply the reset gate after the recurrent matmul
  bool input_forget = false;         // LSTM: couple the forget gate to the input gate, f = 1 - i
  double clip = std::numeric_limits<double>::infinity();
  std::vector<Activation> acts;  // acts_per_direction(cell) per direction, forward first
};

Status parse_direction(const Node& node, RecurrentAttrs& a) {
  EDGE_ASSIGN_OR_RETURN(std::string direction, node.attr_string("direction", std::string("forward")));
  if (direction == "bidirectional") a.num_directions = 2;
  else if (direction == "reverse") a.reverse_only = true;
  else if (direction != "forward") {
    return invalid_argument(str_cat("attribute direction is '", direction, "', expected forward, reverse or bidirectional"));
  }
  return Status::ok();
}

Status parse_flags(const Node& node, RecurrentAttrs& a) {
  if (node.opset >= 14) {
    EDGE_ASSIGN_OR_RETURN(int64_t layout, node.attr_int("layout", 0));
    if (layout != 0 && layout != 1) return invalid_argument(str_cat("attribute layout is ", layout, ", expected 0 or 1"));
    a.batch_major = layout == 1;
  }
  if (a.cell == CellKind::kGru) {
    EDGE_ASSIGN_OR_RETURN(int64_t lbr, node.attr_int("linear_before_reset", 0));
    a.linear_before_reset = lbr != 0;
  }
  if (a.cell == CellKind::kLstm) {
    EDGE_ASSIGN_OR_RETURN(int64_t coupled, node.attr_int("input_forget", 0));
    a.input_forget = coupled != 0;
  }
  return Status::ok();
}

Result<RecurrentAttrs> parse_attrs(const Node& node, CellKind cell) {
  RecurrentAttrs a;
  a.cell = cell;
  EDGE_RETURN_IF_ERROR(parse_direction(node, a));
  EDGE_RETURN_IF_ERROR(parse_flags(node, a));
  if (node.has_attr("hidden_size")) {
    EDGE_ASSIGN_OR_RETURN(a.hidden_size, node.attr_int("hidden_size"));
    if (a.hidden_size < 1 || a.hidden_size >= kMaxHidden) {
      return invalid_argument(str_cat("attribute hidden_size is ", a.hidden_size, ", expected a positive size below 2^31"));
    }
  }
  if (node.has_attr("clip")) {
    EDGE_ASSIGN_OR_RETURN(float clip, node.attr_float("clip"));
    if (!(clip > 0)) return invalid_argument(str_cat("attribute clip is ", clip, ", expected a positive threshold"));
    a.clip = clip;
  }
  EDGE_ASSIGN_OR_RETURN(a.acts, parse_activations(node, cell, a.num_directions));
  return a;
}

// ---- Shapes ----

// Sizes of one run and the element offsets of its tensors in either layout.
struct Geometry {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
  bool batch_major = false;

  int64_t x_at(int64_t t, int64_t b) const { return (batch_major ? b * seq + t : t * batch + b) * input; }
  int64_t y_at(int64_t t, int64_t d, int64_t b) const {
    return (batch_major ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden;
  }
  int64_t state_at(int64_t d, int64_t b) const { return (batch_major ? b * dirs + d : d * batch + b) * hidden; }
  Dims y_dims() const { return batch_major ? Dims{batch, seq, dirs, hidden} : Dims{seq, dirs, batch, hidden}; }
  Dims state_dims() const { return batch_major ? Dims{batch, dirs, hidden} : Dims{dirs, batch, hidden}; }
};

const char* slot_name(size_t slot) {
  static constexpr const char* kNames[] = {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"};
  return kNames[slot];
}

Status expect_dims(const KernelContext& ctx, size_t slot, const Dims& want) {
  const Tensor& t = ctx.input(slot);
  if (t.dims() != want) {
    return invalid_argument(str_cat("input ", slot_name(slot), " has shape ", dims_to_string(t.dims()), ", expected ",
                                    dims_to_string(want)));
  }
  if (slot != kSeqLens && t.dtype() != ctx.input(kX).dtype()) {
    return invalid_argument(str_cat("input ", slot_name(slot), " is ", dtype_name(t.dtype()), " but X is ",
                                    dtype_name(ctx.input(kX).dtype())));
  }
  return Status::ok();
}

Result<Geometry> read_geometry(const RecurrentAttrs& a, const KernelContext& ctx) {
  const Tensor& x = ctx.input(kX);
  const Tensor& r = ctx.input(kR);
  if (x.rank() != 3) return invalid_argument(str_cat("input X must have rank 3, got shape ", dims_to_string(x.dims())));
  if (r.rank() != 3) return invalid_argument(str_cat("input R must have rank 3, got shape ", dims_to_string(r.dims())));
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input X"));
  Geometry g;
  g.batch_major = a.batch_major;
  g.seq = x.dim(a.batch_major ? 1 : 0);
  g.batch = x.dim(a.batch_major ? 0 : 1);
  g.input = x.dim(2);
  g.hidden = a.hidden_size >= 0 ? a.hidden_size : r.dim(2);
  g.dirs = a.num_directions;
  if (g.hidden >= kMaxHidden) return invalid_argument(str_cat("input R implies hidden_size ", g.hidden, ", over 2^31"));
  return g;
}

// Checks every present input against the geometry, and that Y's shape fits the per-tensor limit
// even when Y is not requested: that bounds both the offsets and the work of one run (an empty X
// with input_size 0 could otherwise ask for 2^40 steps).
Status check_inputs(const RecurrentAttrs& a, const Geometry& g, const KernelContext& ctx) {
  const int64_t rows = num_gates(a.cell) * g.hidden;
  EDGE_RETURN_IF_ERROR(expect_dims(ctx, kW, {g.dirs, rows, g.input}));
  EDGE_RETURN_IF_ERROR(expect_dims(ctx, kR, {g.dirs, rows, g.hidden}));
  if (ctx.has_input(kB)) EDGE_RETURN_IF_ERROR(expect_dims(ctx, kB, {g.dirs, 2 * rows}));
  if (ctx.has_input(kSeqLens)) EDGE_RETURN_IF_ERROR(expect_dims(ctx, kSeqLens, {g.batch}));
  if (ctx.has_input(kInitialH)) EDGE_RETURN_IF_ERROR(expect_dims(ctx, kInitialH, g.state_dims()));
  if (ctx.has_input(kInitialC)) EDGE_RETURN_IF_ERROR(expect_dims(ctx, kInitialC, g.state_dims()));
  if (ctx.has_input(kP)) EDGE_RETURN_IF_ERROR(expect_dims(ctx, kP, {g.dirs, 3 * g.hidden}));
  auto y_elements = checked_num_elements(g.y_dims());
  const int64_t elem_bytes = static_cast<int64_t>(dtype_size(ctx.input(kX).dtype()));
  if (!y_elements.is_ok() || *y_elements > ctx.max_tensor_bytes() / elem_bytes) {
    return invalid_argument(str_cat("output Y of shape ", dims_to_string(g.y_dims()), " is over the per-tensor limit"));
  }
  return Status::ok();
}

// Per-batch step counts: sequence_lens, each within [0, seq_length], or seq_length for all.
Result<std::vector<int64_t>> read_seq_lens(const Geometry& g, const KernelContext& ctx) {
  if (!ctx.has_input(kSeqLens)) return std::vector<int64_t>(static_cast<size_t>(g.batch), g.seq);
  const Tensor& t = ctx.input(kSeqLens);
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64) {
    return invalid_argument(str_cat("input sequence_lens must be int32, got ", dtype_name(t.dtype())));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> lens, read_int_values(t));
  for (size_t b = 0; b < lens.size(); ++b) {
    if (lens[b] < 0 || lens[b] > g.seq) {
      return invalid_argument(str_cat("input sequence_lens[", b, "] is ", lens[b], ", expected within [0, ", g.seq, "]"));
    }
  }
  return lens;
}

// ---- Cell steps ----

// One direction's parameters (views into W, R, B, P) and activations.
template <typename T>
struct DirectionParams {
  const T* w = nullptr;   // [gates * hidden, input]
  const T* r = nullptr;   // [gates * hidden, hidden]
  const T* wb = nullptr;  // [gates * hidden] or null
  const T* rb = nullptr;  // [gates * hidden] or null
  const T* p = nullptr;   // LSTM peepholes [i, o, f] x hidden, or null
  const Activation* acts = nullptr;
};

// A batch entry's running state and the step's scratch.
struct CellState {
  std::vector<double> h, c;  // hidden and (LSTM) cell state
  std::vector<double> xw;    // W x + Wb, per gate row
  std::vector<double> hr;    // R h + Rb, per gate row
  std::vector<double> tmp;   // GRU: the gates z, r and r (.) h
};

// out[row] = m[row, :] . v + bias[row], accumulated in double.
template <typename M, typename V>
void matvec(const M* m, int64_t rows, int64_t cols, const V* v, const M* bias, double* out) {
  for (int64_t row = 0; row < rows; ++row) {
    double acc = bias != nullptr ? static_cast<double>(bias[row]) : 0.0;
    const M* weights = m + row * cols;
    for (int64_t k = 0; k < cols; ++k) acc += static_cast<double>(weights[k]) * static_cast<double>(v[k]);
    out[row] = acc;
  }
}

// The activation with the clip threshold applied to its input.
double act(const Activation& a, double clip, double x) { return activate(a, std::clamp(x, -clip, clip)); }

void rnn_step(const RecurrentAttrs& a, int64_t hidden, const Activation* f, CellState& s) {
  for (int64_t j = 0; j < hidden; ++j) s.h[j] = act(f[0], a.clip, s.xw[j] + s.hr[j]);
}

template <typename T>
void gru_step(const RecurrentAttrs& a, int64_t hidden, const DirectionParams<T>& p, CellState& s) {
  const Activation& f = p.acts[0];
  const Activation& g = p.acts[1];
  double* z = s.tmp.data();
  double* r = z + hidden;
  double* rh = r + hidden;
  for (int64_t j = 0; j < hidden; ++j) {
    z[j] = act(f, a.clip, s.xw[j] + s.hr[j]);
    r[j] = act(f, a.clip, s.xw[hidden + j] + s.hr[hidden + j]);
    rh[j] = r[j] * s.h[j];
  }
  double* candidate_in = s.hr.data() + 2 * hidden;  // becomes the candidate gate's recurrent term
  if (!a.linear_before_reset) {
    // Reset before the matmul: (r (.) h) Rh^T + Rbh.
    matvec(p.r + 2 * hidden * hidden, hidden, hidden, rh, p.rb != nullptr ? p.rb + 2 * hidden : nullptr, candidate_in);
  } else {
    for (int64_t j = 0; j < hidden; ++j) candidate_in[j] *= r[j];
  }
  for (int64_t j = 0; j < hidden; ++j) {
    const double candidate = act(g, a.clip, s.xw[2 * hidden + j] + candidate_in[j]);
    s.h[j] = (1 - z[j]) * candidate + z[j] * s.h[j];
  }
}

template <typename T>
void lstm_step(const RecurrentAttrs& a, int64_t hidden, const DirectionParams<T>& p, CellState& s) {
  const Activation& f = p.acts[0];
  const Activation& g = p.acts[1];
  const Activation& h = p.acts[2];
  auto pre = [&](int64_t gate, int64_t j) { return s.xw[gate * hidden + j] + s.hr[gate * hidden + j]; };
  auto peep = [&](int64_t gate, int64_t j) { return p.p != nullptr ? static_cast<double>(p.p[gate * hidden + j]) : 0.0; };
  for (int64_t j = 0; j < hidden; ++j) {
    // Row blocks are [i, o, f, c]; peepholes are [i, o, f].
    const double c_prev = s.c[j];
    const double i_gate = act(f, a.clip, pre(0, j) + peep(0, j) * c_prev);
    const double f_gate = a.input_forget ? 1 - i_gate : act(f, a.clip, pre(2, j) + peep(2, j) * c_prev);
    const double c_cand = act(g, a.clip, pre(3, j));
    s.c[j] = f_gate * c_prev + i_gate * c_cand;
    const double o_gate = act(f, a.clip, pre(1, j) + peep(1, j) * s.c[j]);
    s.h[j] = o_gate * act(h, a.clip, s.c[j]);
  }
}

// ---- The sequence loop ----

template <typename T>
struct RunIo {
  const T* x = nullptr;
  const T* initial_h = nullptr;
  const T* initial_c = nullptr;
  const std::vector<int64_t>* seq_lens = nullptr;
  T* y = nullptr;  // each output null when not requested
  T* y_h = nullptr;
  T* y_c = nullptr;
};

template <typename T>
DirectionParams<T> direction_params(const RecurrentAttrs& a, const Geometry& g, const KernelContext& ctx, int64_t d) {
  const int64_t rows = num_gates(a.cell) * g.hidden;
  DirectionParams<T> p;
  p.w = ctx.input(kW).data<T>() + d * rows * g.input;
  p.r = ctx.input(kR).data<T>() + d * rows * g.hidden;
  if (ctx.has_input(kB)) {
    p.wb = ctx.input(kB).data<T>() + d * 2 * rows;
    p.rb = p.wb + rows;
  }
  if (a.cell == CellKind::kLstm && ctx.has_input(kP)) p.p = ctx.input(kP).data<T>() + d * 3 * g.hidden;
  p.acts = a.acts.data() + static_cast<size_t>(d) * acts_per_direction(a.cell);
  return p;
}

template <typename T>
void load_state(const T* initial, int64_t offset, std::vector<double>& state) {
  for (size_t j = 0; j < state.size(); ++j) state[j] = initial != nullptr ? static_cast<double>(initial[offset + j]) : 0.0;
}

template <typename T>
void store(const std::vector<double>& state, T* out) {
  for (size_t j = 0; j < state.size(); ++j) out[j] = static_cast<T>(state[j]);
}

// Runs one batch entry through one direction. A reverse pass starts at the entry's last valid
// step; steps past the entry's length are left zero in Y, and Y_h / Y_c hold the last valid step
// (zero for an empty sequence, as onnxruntime does).
template <typename T>
void run_entry(const RecurrentAttrs& a, const Geometry& g, const DirectionParams<T>& p, const RunIo<T>& io,
               int64_t d, int64_t b, CellState& s) {
  const int64_t rows = num_gates(a.cell) * g.hidden;
  const bool reverse = d == 1 || a.reverse_only;
  const int64_t len = (*io.seq_lens)[static_cast<size_t>(b)];
  const int64_t state_off = g.state_at(d, b);
  load_state(io.initial_h, state_off, s.h);
  load_state(io.initial_c, state_off, s.c);
  for (int64_t step = 0; step < len; ++step) {
    const int64_t t = reverse ? len - 1 - step : step;
    matvec(p.w, rows, g.input, io.x + g.x_at(t, b), p.wb, s.xw.data());
    matvec(p.r, rows, g.hidden, s.h.data(), p.rb, s.hr.data());
    if (a.cell == CellKind::kRnn) rnn_step(a, g.hidden, p.acts, s);
    else if (a.cell == CellKind::kGru) gru_step(a, g.hidden, p, s);
    else lstm_step(a, g.hidden, p, s);
    if (io.y != nullptr) store(s.h, io.y + g.y_at(t, d, b));
  }
  if (len == 0) return;
  if (io.y_h != nullptr) store(s.h, io.y_h + state_off);
  if (io.y_c != nullptr) store(s.c, io.y_c + state_off);
}

bool wants_output(const KernelContext& ctx, size_t i) {
  return i < ctx.node().outputs.size() && ctx.node().outputs[i] != nullptr && i < ctx.num_outputs();
}

template <typename T>
Status run_typed(const RecurrentAttrs& a, const Geometry& g, const std::vector<int64_t>& lens, KernelContext& ctx) {
  RunIo<T> io;
  io.x = ctx.input(kX).data<T>();
  io.seq_lens = &lens;
  if (ctx.has_input(kInitialH)) io.initial_h = ctx.input(kInitialH).data<T>();
  if (ctx.has_input(kInitialC)) io.initial_c = ctx.input(kInitialC).data<T>();
  const DType dtype = ctx.input(kX).dtype();
  T** outs[] = {&io.y, &io.y_h, &io.y_c};
  for (size_t i = 0; i < max_outputs(a.cell); ++i) {
    if (!wants_output(ctx, i)) continue;
    EDGE_ASSIGN_OR_RETURN(Tensor * out, ctx.allocate_output(i, dtype, i == 0 ? g.y_dims() : g.state_dims()));
    *outs[i] = out->mutable_data<T>();
  }
  const auto n = static_cast<size_t>(g.hidden);
  CellState s{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n * num_gates(a.cell)),
              std::vector<double>(n * num_gates(a.cell)), std::vector<double>(3 * n)};
  for (int64_t d = 0; d < g.dirs; ++d) {
    const DirectionParams<T> p = direction_params<T>(a, g, ctx, d);
    for (int64_t b = 0; b < g.batch; ++b) run_entry(a, g, p, io, d, b, s);
  }
  return Status::ok();
}

Status run_recurrent(const RecurrentAttrs& a, KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(Geometry g, read_geometry(a, ctx));
  EDGE_RETURN_IF_ERROR(check_inputs(a, g, ctx));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> lens, read_seq_lens(g, ctx));
  return dispatch<EDGE_FLOAT_TYPES>(ctx.input(kX).dtype(), "input X", [&](auto tag) -> Status {
    return run_typed<decltype(tag)>(a, g, lens, ctx);
  });
}

Result<std::unique_ptr<Kernel>> make_recurrent(const Node& node, CellKind cell) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 3, max_inputs(cell), 0));
  if (node.outputs.size() > max_outputs(cell)) {
    return invalid_argument(str_cat(node.describe(), ": has ", node.outputs.size(), " outputs, at most ",
                                    max_outputs(cell), " allowed"));
  }
  EDGE_ASSIGN_OR_RETURN(RecurrentAttrs a, parse_attrs(node, cell));
  return make_kernel(std::move(a), run_recurrent);
}

}  // namespace

std::vector<KernelEntry> recurrent_kernels() {
  return {
      {"RNN", EDGE_FACTORY { return make_recurrent(node, CellKind::kRnn); }, HalfMode::kAsFloat, "", 7},
      {"GRU", EDGE_FACTORY { return make_recurrent(node, CellKind::kGru); }, HalfMode::kAsFloat, "", 7},
      {"LSTM", EDGE_FACTORY { return make_recurrent(node, CellKind::kLstm); }, HalfMode::kAsFloat, "", 7},
  };
}

}  // namespace edgeserve::ref

// edgeserve.Attention(Q, Kt, V) = softmax(scale * Q @ Kt) @ V as one host step: each OpenMP task
// takes one batch matrix and a block of query rows, computes the [rows, N] score tile with
// dnnl_sgemm (scale as alpha) into per-thread scratch, softmaxes it in place and multiplies it by V
// straight into the output rows. The score tensor of the unfused graph never reaches memory
// beyond one tile per thread. Batch dims broadcast as in the reference (engine/ops/attention_plan.h);
// the per-batch offsets are fixed at compile time, since a Program serves one input-shape signature.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <vector>

#include "oneapi/dnnl/dnnl.h"

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ops/attention_plan.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

// Query rows per task: small enough to spread 197-row heads over the team, large enough that each
// sgemm call has work.
constexpr int64_t kRowBlock = 32;

struct AttentionShape {
  int64_t m = 0, d = 0, n = 0, dv = 0;
  float scale = 1.f;
  std::vector<std::array<int64_t, 3>> offsets;  // per output batch: Q, Kt, V element offsets
};

// In place: row <- exp(row - max) / sum, in float (the tile is what the output sgemm reads).
void softmax_row(float* row, int64_t n) {
  float max = row[0];
  for (int64_t j = 1; j < n; ++j) max = std::max(max, row[j]);
  float sum = 0.f;
  for (int64_t j = 0; j < n; ++j) {
    row[j] = std::exp(row[j] - max);
    sum += row[j];
  }
  const float inv = 1.f / sum;
  for (int64_t j = 0; j < n; ++j) row[j] *= inv;
}

class AttentionOp : public HostOp {
 public:
  explicit AttentionOp(AttentionShape s) : s_(std::move(s)) {}

  void run(const StepArgs& args) const override {
    const float* q = static_cast<const float*>(args.at(DNNL_ARG_SRC_0).get_data_handle());
    const float* kt = static_cast<const float*>(args.at(DNNL_ARG_SRC_1).get_data_handle());
    const float* v = static_cast<const float*>(args.at(DNNL_ARG_SRC_2).get_data_handle());
    float* out = static_cast<float*>(args.at(DNNL_ARG_DST).get_data_handle());
    const int64_t blocks = (s_.m + kRowBlock - 1) / kRowBlock;
    const int64_t tasks = static_cast<int64_t>(s_.offsets.size()) * blocks;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const auto& [oq, ok, ov] = s_.offsets[static_cast<size_t>(t / blocks)];
      const int64_t row0 = (t % blocks) * kRowBlock;
      const int64_t rows = std::min(kRowBlock, s_.m - row0);
      float* o = out + (t / blocks) * s_.m * s_.dv + row0 * s_.dv;
      tile(q + oq + row0 * s_.d, kt + ok, v + ov, o, rows);
    }
  }

 private:
  void tile(const float* q, const float* kt, const float* v, float* o, int64_t rows) const {
    if (s_.n == 0) {  // softmax over nothing: the product with an empty V is zero
      std::fill(o, o + rows * s_.dv, 0.f);
      return;
    }
    // Grows to the largest tile once, then is reused by every later run on this thread.
    thread_local std::vector<float> scores;
    const size_t need = static_cast<size_t>(rows * s_.n);
    if (scores.size() < need) scores.resize(need);
    float* p = scores.data();
    // The shapes were checked at compile time, so the calls cannot fail (their status is dropped).
    // Leading dims are at least 1 as the BLAS rules require, also for an empty D.
    (void)dnnl_sgemm('N', 'N', rows, s_.n, s_.d, s_.scale, q, std::max<int64_t>(s_.d, 1), kt, s_.n, 0.f, p, s_.n);
    for (int64_t r = 0; r < rows; ++r) softmax_row(p + r * s_.n, s_.n);
    (void)dnnl_sgemm('N', 'N', rows, s_.dv, s_.n, 1.f, p, s_.n, v, s_.dv, 0.f, o, s_.dv);
  }

  AttentionShape s_;
};

bool claims_attention(const Node& node) {
  if (node.inputs.size() != 3 || node.num_present_inputs() != 3 || !float32_io(node)) return false;
  const int rank = static_rank(node.inputs[0]);
  if (rank < 2 || static_rank(node.inputs[1]) != rank || static_rank(node.inputs[2]) != rank) return false;
  auto scale = node.attr_float("scale", 1.f);
  return scale.is_ok() && std::isfinite(scale.value());
}

// A plain float32 slot for input `i`: a constant converted once, a computed value reordered if
// its layout is not row-major.
Result<int> plain_input(const Node& node, size_t i, ProgramBuilder& b) {
  const Value* v = node.inputs[i];
  if (v->constant) return b.constant_slot(v, plain_md(b.dims_of(v)));
  return b.plain_slot(v, node);
}

Status build_attention(const Node& node, ProgramBuilder& b) {
  const memory::dims q = b.dims_of(node.inputs[0]), kt = b.dims_of(node.inputs[1]), v = b.dims_of(node.inputs[2]);
  const Dims qd(q.begin(), q.end()), ktd(kt.begin(), kt.end()), vd(v.begin(), v.end());
  auto plan = plan_attention(qd, ktd, vd);
  if (!plan.is_ok()) return plan.status().with_context(node.describe());
  int slots[3];
  for (size_t i = 0; i < 3; ++i) {
    EDGE_ASSIGN_OR_RETURN(slots[i], plain_input(node, i, b));
  }
  const Dims& od = plan->out_dims;
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(plain_md(memory::dims(od.begin(), od.end())), node));
  AttentionShape s{plan->m, plan->d, plan->n, plan->dv, 1.f, attention_batch_offsets(*plan, qd, ktd, vd)};
  EDGE_ASSIGN_OR_RETURN(s.scale, node.attr_float("scale", 1.f));
  b.add_host_step(std::make_shared<AttentionOp>(std::move(s)),
                  {{DNNL_ARG_SRC_0, slots[0]}, {DNNL_ARG_SRC_1, slots[1]}, {DNNL_ARG_SRC_2, slots[2]}, {DNNL_ARG_DST, dst}},
                  node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> attention_ops() {
  return {CpuOp{"Attention", claims_attention, build_attention, "edgeserve"}};
}

}  // namespace edgeserve::cpu

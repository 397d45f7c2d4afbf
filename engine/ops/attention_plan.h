// Shapes of edgeserve.Attention(Q, Kt, V) = softmax(scale * Q @ Kt) @ V, shared by the reference
// kernel and the cpu provider so both accept and broadcast exactly the same inputs:
// Q [..., M, D], Kt [..., D, N], V [..., N, Dv], batch dims broadcast numpy-style across all three.
// Header-only: pure functions of the dims.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/strings.h"
#include "engine/ops/shape_util.h"

namespace edgeserve {

struct AttentionPlan {
  int64_t m = 0, d = 0, n = 0, dv = 0;
  Dims batch;      // the broadcast batch dims
  Dims out_dims;   // batch + [M, Dv]
  int64_t batch_count = 1;
};

inline Result<AttentionPlan> plan_attention(const Dims& q, const Dims& kt, const Dims& v) {
  const std::string shapes =
      str_cat("Q ", dims_to_string(q), ", Kt ", dims_to_string(kt), ", V ", dims_to_string(v));
  if (q.size() < 2 || kt.size() < 2 || v.size() < 2) {
    return invalid_argument(str_cat("Attention needs inputs of rank >= 2, got ", shapes));
  }
  AttentionPlan p;
  p.m = q[q.size() - 2];
  p.d = q.back();
  p.n = kt.back();
  p.dv = v.back();
  if (kt[kt.size() - 2] != p.d) return invalid_argument(str_cat("Q's last dim differs from Kt's dim -2: ", shapes));
  if (v[v.size() - 2] != p.n) return invalid_argument(str_cat("Kt's last dim differs from V's dim -2: ", shapes));
  auto batch = broadcast_all({Dims(q.begin(), q.end() - 2), Dims(kt.begin(), kt.end() - 2), Dims(v.begin(), v.end() - 2)});
  if (!batch.is_ok()) return invalid_argument(str_cat("batch dims of Q, Kt and V do not broadcast: ", shapes));
  p.batch = *batch;
  p.out_dims = p.batch;
  p.out_dims.push_back(p.m);
  p.out_dims.push_back(p.dv);
  for (int64_t b : p.batch) p.batch_count *= b;  // bounded: the caller allocated out_dims first
  return p;
}

// The element offsets of each output batch's Q, Kt and V matrices, in output batch order. Call only
// after the output (which holds at least one element per batch unless empty) was allocated.
inline std::vector<std::array<int64_t, 3>> attention_batch_offsets(const AttentionPlan& p, const Dims& q,
                                                                   const Dims& kt, const Dims& v) {
  std::vector<std::array<int64_t, 3>> offsets;
  if (p.m == 0 || p.dv == 0) return offsets;  // empty output: nothing to compute
  offsets.reserve(static_cast<size_t>(p.batch_count));
  const std::vector<int64_t> strides[3] = {broadcast_strides(Dims(q.begin(), q.end() - 2), p.batch),
                                           broadcast_strides(Dims(kt.begin(), kt.end() - 2), p.batch),
                                           broadcast_strides(Dims(v.begin(), v.end() - 2), p.batch)};
  for_each_broadcast<3>(p.batch, strides, [&](int64_t iq, int64_t ik, int64_t iv) {
    offsets.push_back({iq * p.m * p.d, ik * p.d * p.n, iv * p.n * p.dv});
  });
  return offsets;
}

}  // namespace edgeserve

// Pass: a convolution of a channel Concat convolves each part with its slice of the weights and
// sums, instead of copying the parts into one tensor first:
//   Conv(Concat(a, b, axis=1), W, B) -> FusedConv(b, W[:, Ca:], sum = Conv(a, W[:, :Ca], B))
// The sum is oneDNN's sum post-op (accumulate into the destination), and an activation fused into
// the original Conv moves to the last part. Worth it when the parts are wide and the Conv narrows
// them (squeezenet's fire modules, CSP blocks): the Concat's copy of every part disappears at the
// cost of re-reading the (smaller) destination once per extra part. Applies only when every
// consumer of the Concat is such a Conv (group 1, constant weights, no residual input, no more
// output than input channels), so the
// Concat itself goes away, and every part has at least kMinSplitChannels channels (thin parts,
// like a space-to-depth stem, make tiny convolutions that lose).
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

inline constexpr int64_t kMinSplitChannels = 16;

Status split_concat_convs(Graph& graph);

}  // namespace edgeserve

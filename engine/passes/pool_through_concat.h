// Pass: a channel-wise pooling of a channel Concat pools each part instead,
//   MaxPool(Concat(a, b, axis=1)) -> Concat(MaxPool(a), MaxPool(b), axis=1)
// (also AveragePool, GlobalAveragePool, GlobalMaxPool), when the Concat feeds only the pool.
// Pooling works per channel, so the result is the same; the Concat now copies the pooled, smaller
// tensor, and when a Conv follows, concat_conv_split can then remove the Concat altogether
// (squeezenet's fire modules).
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status pool_through_concat(Graph& graph);

}  // namespace edgeserve

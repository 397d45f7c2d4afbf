// Public re-export of the engine's tensor types: Tensor, NamedTensor, DType, TensorType.
#pragma once

#include "engine/ir/dtype.h"
#include "engine/ir/graph.h"
#include "engine/ir/tensor.h"

// Internal to edge_serving_api: fills an allocated tensor from a request's tensor data, either a
// JSON `data` array (nested arrays are flattened) or the raw bytes of Triton's binary extension.
// The caller has already allocated `tensor` with the declared shape and checked the limits that
// depend on the shape alone; these functions check every element.
#pragma once

#include <cstdint>
#include <string_view>

#include <simdjson.h>

#include "edgeserve/status.h"
#include "edgeserve/tensor.h"

namespace edgeserve::serving {

// `data` may nest arrays to any depth (the parser's depth limit bounds it; the walk is iterative).
// The number of leaves must equal tensor.num_elements(). For BYTES, the sum of the strings' sizes
// must stay within `max_string_bytes`. Errors name input `name` and the flat element index.
Status fill_tensor_from_json(simdjson::dom::element data, std::string_view name, int64_t max_string_bytes,
                             Tensor& tensor);

// `bytes` is the tensor's slice of the binary section. For fixed-size dtypes its size must already
// equal tensor.byte_size(); BOOL bytes must be 0 or 1. For BYTES it must hold exactly
// num_elements() strings, each a 4-byte little-endian length followed by that many bytes.
Status fill_tensor_from_binary(std::string_view bytes, std::string_view name, Tensor& tensor);

}  // namespace edgeserve::serving

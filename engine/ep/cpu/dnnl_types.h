// The tensor types the cpu provider keeps in oneDNN memory, and their oneDNN names.
#pragma once

#include "oneapi/dnnl/dnnl.hpp"

#include "engine/ir/dtype.h"

namespace edgeserve::cpu {

// oneDNN's type for `t`, or undef for a type the cpu provider does not hold.
inline dnnl::memory::data_type dnnl_dtype(DType t) {
  using dt = dnnl::memory::data_type;
  switch (t) {
    case DType::kFloat32: return dt::f32;
    case DType::kUint8: return dt::u8;
    case DType::kInt8: return dt::s8;
    case DType::kInt32: return dt::s32;
    default: return dt::undef;
  }
}

inline DType edge_dtype(dnnl::memory::data_type t) {
  using dt = dnnl::memory::data_type;
  switch (t) {
    case dt::u8: return DType::kUint8;
    case dt::s8: return DType::kInt8;
    case dt::s32: return DType::kInt32;
    default: return DType::kFloat32;
  }
}

// The same layout (dims, blocking, strides in elements) holding another element type.
inline dnnl::memory::desc with_dtype(const dnnl::memory::desc& md, dnnl::memory::data_type t) {
  dnnl::memory::desc out = md;
  out.data.data_type = static_cast<dnnl_data_type_t>(t);
  return out;
}

}  // namespace edgeserve::cpu

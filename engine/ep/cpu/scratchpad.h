// oneDNN scratchpads owned by us. In oneDNN's default (library) mode a primitive's scratchpad is
// a buffer shared by every primitive made on the same thread and kept in that thread's
// thread_local storage: a primitive run on another thread shares it with whatever runs there (two
// server instances, concurrent Session::run calls), and once the creating thread has exited it
// points at freed memory (a server that loaded resnet50 on a loader thread crashed in Winograd).
// So every primitive is made with a user-managed scratchpad, and each run binds its own.
#pragma once

#include "oneapi/dnnl/dnnl.hpp"

namespace edgeserve::cpu {

// `attr` with the user-managed scratchpad mode: pass it to every primitive_desc.
inline dnnl::primitive_attr user_scratchpad(dnnl::primitive_attr attr = dnnl::primitive_attr()) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// The scratchpad a primitive needs at execution (size 0: none).
inline dnnl::memory::desc scratchpad_md(const dnnl::primitive& primitive) {
  const dnnl_memory_desc_t* md = dnnl_primitive_desc_query_md(primitive.get_primitive_desc(), dnnl_query_scratchpad_md, 0);
  return md != nullptr ? dnnl::memory::desc(*md) : dnnl::memory::desc();
}

// Whether the primitive was made with user_scratchpad() (library mode would share one per thread).
inline bool has_user_scratchpad(const dnnl::primitive& primitive) {
  const_dnnl_primitive_attr_t attr = nullptr;
  dnnl_scratchpad_mode_t mode = dnnl_scratchpad_mode_library;
  return dnnl_primitive_desc_get_attr(primitive.get_primitive_desc(), &attr) == dnnl_success &&
         dnnl_primitive_attr_get_scratchpad_mode(attr, &mode) == dnnl_success && mode == dnnl_scratchpad_mode_user;
}

}  // namespace edgeserve::cpu

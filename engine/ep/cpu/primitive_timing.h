// Timing primitives on scratch memory at compile time, for choices no static rule gets right on
// every machine and shape (e.g. Winograd or direct convolution).
#pragma once

#include <utility>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

namespace edgeserve::cpu {

// Arguments of a primitive to time: (DNNL_ARG_*, descriptor). Scratch memories are zero-filled
// so that no denormal or NaN garbage skews the figure.
using ArgDescs = std::vector<std::pair<int, dnnl::memory::desc>>;

// Best wall time in milliseconds over `repeats` executions after one warm-up. Runs on the
// calling thread's OpenMP team, so set the thread count the program will use first.
double time_primitive(const dnnl::engine& engine, const dnnl::primitive& primitive, const ArgDescs& args,
                      int repeats = 5);

// Time of converting `from` to `to` (0 when they are the same layout).
double time_reorder(const dnnl::engine& engine, const dnnl::memory::desc& from, const dnnl::memory::desc& to,
                    int repeats = 5);

}  // namespace edgeserve::cpu

#include "engine/ep/cpu/primitive_timing.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/aligned_buffer.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

double time_primitive(const dnnl::engine& engine, const dnnl::primitive& primitive, const ArgDescs& given_args,
                      int repeats) {
  ArgDescs args = given_args;
  const dnnl::memory::desc scratchpad = scratchpad_md(primitive);
  if (scratchpad.get_size() > 0) args.emplace_back(DNNL_ARG_SCRATCHPAD, scratchpad);
  std::unordered_map<int, dnnl::memory> bound;
  std::vector<std::shared_ptr<void>> buffers;  // ours, not oneDNN's: huge pages for big ones
  for (const auto& [arg, md] : args) {
    buffers.push_back(aligned_buffer(md.get_size(), /*zero=*/true));
    if (buffers.back() == nullptr) return std::numeric_limits<double>::infinity();  // cannot time: never chosen
    bound.emplace(arg, dnnl::memory(md, engine, buffers.back().get()));
  }
  dnnl::stream stream(engine);
  primitive.execute(stream, bound);  // warm-up: caches, page faults, JIT'd code paths
  stream.wait();
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    primitive.execute(stream, bound);
    stream.wait();
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
  }
  return best;
}

double time_reorder(const dnnl::engine& engine, const dnnl::memory::desc& from, const dnnl::memory::desc& to,
                    int repeats) {
  if (from == to) return 0.0;
  dnnl::reorder::primitive_desc pd(engine, from, engine, to, user_scratchpad());
  return time_primitive(engine, dnnl::reorder(pd), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}, repeats);
}

}  // namespace edgeserve::cpu

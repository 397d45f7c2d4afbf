// PackedConstants: weak cache of prepacked weights keyed by IR value and layouts.
#include "engine/ep/cpu/packed_constants.h"

namespace edgeserve::cpu {

std::shared_ptr<void> PackedConstants::find(const Value* v, const dnnl::memory::desc& want,
                                            const dnnl::memory::desc& src) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [begin, end] = entries_.equal_range(v);
  for (auto it = begin; it != end; ++it) {
    if (it->second.want == want && it->second.src == src) {
      if (std::shared_ptr<void> bytes = it->second.bytes.lock()) return bytes;
    }
  }
  return nullptr;
}

void PackedConstants::add(const Value* v, const dnnl::memory::desc& want, const dnnl::memory::desc& src,
                          std::shared_ptr<void> bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [begin, end] = entries_.equal_range(v);
  for (auto it = begin; it != end;) {
    it = it->second.bytes.expired() ? entries_.erase(it) : std::next(it);
  }
  entries_.emplace(v, Entry{want, src, bytes});
}

}  // namespace edgeserve::cpu

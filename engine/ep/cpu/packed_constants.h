// PackedConstants: the prepacked (reordered) copies of a subgraph's constant weights, shared by
// every Program compiled for it. A model served at batch sizes 1..8 compiles eight Programs;
// their convolutions usually want the same weight layout, and without sharing each would hold
// its own copy of every weight (8x the model's size in memory).
//
// Threading: thread-safe. Ownership: entries are weak; packed bytes live as long as a Program
// that uses them, so a layout that lost its timing contest frees its copies with its Program.
#pragma once

#include "oneapi/dnnl/dnnl.hpp"
#include <memory>
#include <mutex>
#include <unordered_map>

namespace edgeserve {
struct Value;
}

namespace edgeserve::cpu {

class PackedConstants {
 public:
  // The bytes of constant `v` (stored as `src`) already packed into `want`, or null.
  std::shared_ptr<void> find(const Value* v, const dnnl::memory::desc& want, const dnnl::memory::desc& src);
  void add(const Value* v, const dnnl::memory::desc& want, const dnnl::memory::desc& src, std::shared_ptr<void> bytes);

 private:
  struct Entry {
    dnnl::memory::desc want;
    dnnl::memory::desc src;
    std::weak_ptr<void> bytes;
  };
  std::mutex mu_;
  std::unordered_multimap<const Value*, Entry> entries_;
};

}  // namespace edgeserve::cpu

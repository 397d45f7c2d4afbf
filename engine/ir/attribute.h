// Node attributes: a tagged value of one of the ONNX attribute kinds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/ir/tensor.h"

namespace edgeserve {

class Graph;

// kType: a TypeProto attribute (Optional's `type`); only its text is kept, in `s`, since no
// kernel computes with it.
enum class AttrKind { kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings, kTensors, kGraphs, kType };

const char* attr_kind_name(AttrKind k);

struct Attribute {
  AttrKind kind = AttrKind::kInt;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;

  // One-kind attributes, as the passes and the quantizer write them.
  static Attribute of_int(int64_t v) {
    Attribute a;
    a.kind = AttrKind::kInt;
    a.i = v;
    return a;
  }
  static Attribute of_float(float v) {
    Attribute a;
    a.kind = AttrKind::kFloat;
    a.f = v;
    return a;
  }
  static Attribute of_string(std::string v) {
    Attribute a;
    a.kind = AttrKind::kString;
    a.s = std::move(v);
    return a;
  }
  static Attribute of_ints(std::vector<int64_t> v) {
    Attribute a;
    a.kind = AttrKind::kInts;
    a.ints = std::move(v);
    return a;
  }
  static Attribute of_floats(std::vector<float> v) {
    Attribute a;
    a.kind = AttrKind::kFloats;
    a.floats = std::move(v);
    return a;
  }
};

}  // namespace edgeserve

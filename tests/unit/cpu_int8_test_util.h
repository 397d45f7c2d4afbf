// Helpers for test_cpu_int8.cc: ONNX models with uint8/int8/int32 tensors (onnx_model_builder.h
// holds float and int64 only), seeded random quantized tensors, and a run of one model through
// the reference provider (the oracle, level 0) and the cpu provider that compares every output
// bit for bit and says how many elements differ and where the first one is.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/strings.h"
#include "edgeserve/session.h"
#include "onnx/onnx_pb.h"

namespace edgeserve::testing {

inline int onnx_elem_type(DType t) {
  switch (t) {
    case DType::kUint8: return onnx::TensorProto::UINT8;
    case DType::kInt8: return onnx::TensorProto::INT8;
    case DType::kInt32: return onnx::TensorProto::INT32;
    case DType::kInt64: return onnx::TensorProto::INT64;
    case DType::kFloat32: return onnx::TensorProto::FLOAT;
    default: return onnx::TensorProto::UNDEFINED;
  }
}

// ai.onnx opset 13 and com.microsoft 1; inputs and initializers of any dtype the int8 ops use.
class QuantModelBuilder {
 public:
  QuantModelBuilder() {
    model_.set_ir_version(8);
    model_.add_opset_import()->set_version(13);
    auto* ms = model_.add_opset_import();
    ms->set_domain("com.microsoft");
    ms->set_version(1);
  }

  QuantModelBuilder& opset(const std::string& domain, int64_t version) {
    auto* o = model_.add_opset_import();
    o->set_domain(domain);
    o->set_version(version);
    return *this;
  }

  QuantModelBuilder& input(const std::string& name, DType t, const Dims& dims) {
    set_type(model_.mutable_graph()->add_input(), name, t, dims);
    return *this;
  }

  // A constant with t's dtype, dims and bytes (raw_data, little-endian like the host).
  QuantModelBuilder& constant(const std::string& name, const Tensor& t) {
    auto* p = model_.mutable_graph()->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx_elem_type(t.dtype()));
    for (int64_t d : t.dims()) p->add_dims(d);
    p->set_raw_data(t.raw_data(), static_cast<size_t>(t.num_elements()) * dtype_size(t.dtype()));
    return *this;
  }

  QuantModelBuilder& scale(const std::string& name, float v) { return constant(name, Tensor::scalar<float>(v)); }
  QuantModelBuilder& zero(const std::string& name, DType t, int v) {
    return constant(name, t == DType::kUint8 ? Tensor::scalar<uint8_t>(static_cast<uint8_t>(v))
                                             : Tensor::scalar<int8_t>(static_cast<int8_t>(v)));
  }
  QuantModelBuilder& int64s(const std::string& name, const std::vector<int64_t>& v) {
    return constant(name, Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v));
  }

  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& domain = "") {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(model_.graph().node_size()));
    if (!domain.empty()) n->set_domain(domain);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }

  QuantModelBuilder& output(const std::string& name) {
    model_.mutable_graph()->add_output()->set_name(name);
    return *this;
  }

  // An output with a declared type: what an op without an ONNX schema (edgeserve's) needs.
  QuantModelBuilder& output(const std::string& name, DType t, const Dims& dims) {
    set_type(model_.mutable_graph()->add_output(), name, t, dims);
    return *this;
  }

  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  static void set_type(onnx::ValueInfoProto* vi, const std::string& name, DType t, const Dims& dims) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx_elem_type(t));
    for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }

  onnx::ModelProto model_;
};

// Uniform integers in [lo, hi] as a tensor of type t (uint8, int8 or int32).
inline Tensor random_ints(std::mt19937& rng, DType t, const Dims& dims, int64_t lo, int64_t hi) {
  Tensor out = Tensor::allocate(t, dims).value();
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    const int64_t v = dist(rng);
    if (t == DType::kUint8) out.mutable_data<uint8_t>()[i] = static_cast<uint8_t>(v);
    else if (t == DType::kInt8) out.mutable_data<int8_t>()[i] = static_cast<int8_t>(v);
    else out.mutable_data<int32_t>()[i] = static_cast<int32_t>(v);
  }
  return out;
}

// The whole range of a quantized type.
inline Tensor random_q(std::mt19937& rng, DType t, const Dims& dims) {
  return t == DType::kUint8 ? random_ints(rng, t, dims, 0, 255) : random_ints(rng, t, dims, -128, 127);
}

inline int64_t dims_product(const Dims& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

// Element i as text: the integer for 8/32-bit integer types, the float with its bits otherwise.
inline std::string element_text(const Tensor& t, int64_t i) {
  std::ostringstream s;
  switch (t.dtype()) {
    case DType::kUint8: s << int{t.data<uint8_t>()[i]}; break;
    case DType::kInt8: s << int{t.data<int8_t>()[i]}; break;
    case DType::kInt32: s << t.data<int32_t>()[i]; break;
    case DType::kFloat32: {
      const float v = t.data<float>()[i];
      uint32_t bits = 0;
      std::memcpy(&bits, &v, sizeof bits);
      s << v << " (0x" << std::hex << bits << ")";
      break;
    }
    default: s << "?";
  }
  return s.str();
}

// Index i as [n, c, h, w...] of dims.
inline std::string index_text(const Dims& dims, int64_t i) {
  std::vector<int64_t> idx(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    idx[d] = dims[d] == 0 ? 0 : i % dims[d];
    i = dims[d] == 0 ? 0 : i / dims[d];
  }
  std::ostringstream s;
  s << "[";
  for (size_t d = 0; d < idx.size(); ++d) s << (d ? ", " : "") << idx[d];
  s << "]";
  return s.str();
}

// Empty when `got` equals `want` bit for bit; else the count of differing elements and the first.
inline std::string exact_difference(const Tensor& want, const Tensor& got) {
  if (want.dtype() != got.dtype()) {
    return std::string("dtype ") + dtype_name(got.dtype()) + ", want " + dtype_name(want.dtype());
  }
  if (want.dims() != got.dims()) return "dims " + dims_to_string(got.dims()) + ", want " + dims_to_string(want.dims());
  const size_t size = dtype_size(want.dtype());
  const auto* w = static_cast<const uint8_t*>(want.raw_data());
  const auto* g = static_cast<const uint8_t*>(got.raw_data());
  int64_t differing = 0, first = -1;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    if (std::memcmp(w + i * size, g + i * size, size) != 0) {
      if (first < 0) first = i;
      ++differing;
    }
  }
  if (differing == 0) return "";
  std::ostringstream s;
  s << differing << " of " << want.num_elements() << " elements differ; first at " << first << " "
    << index_text(want.dims(), first) << ": cpu " << element_text(got, first) << ", reference "
    << element_text(want, first);
  return s.str();
}

inline SessionOptions int8_cpu_options(ActivationLayout layout = ActivationLayout::kMeasure) {
  SessionOptions o;
  o.provider = Provider::kCpu;
  o.threads = 2;
  o.layout = layout;
  return o;
}

struct CpuRun {
  std::vector<std::string> steps;  // the cpu session's step providers
  RunProfile profile;              // of the compared cpu run
  std::vector<Tensor> outputs;     // the cpu outputs
};

// Runs `model` on the reference provider (level 0) and the cpu provider and expects every output
// equal bit for bit.
inline CpuRun expect_exact(const std::string& model, const std::vector<NamedTensor>& inputs, const std::string& what,
                           const SessionOptions& cpu_opts = int8_cpu_options()) {
  SessionOptions ref_opts;
  ref_opts.provider = Provider::kReference;
  ref_opts.optimization_level = 0;
  CpuRun run;
  auto ref = Session::load_from_bytes(model, ref_opts);
  auto cpu = Session::load_from_bytes(model, cpu_opts);
  EXPECT_TRUE(ref.is_ok()) << what << ": " << ref.status().to_string();
  EXPECT_TRUE(cpu.is_ok()) << what << ": " << cpu.status().to_string();
  if (!ref.is_ok() || !cpu.is_ok()) return run;
  auto want = (*ref)->run(inputs);
  auto got = (*cpu)->run(inputs, &run.profile);
  EXPECT_TRUE(want.is_ok()) << what << ": " << want.status().to_string();
  EXPECT_TRUE(got.is_ok()) << what << ": " << got.status().to_string();
  run.steps = (*cpu)->step_providers();
  if (!want.is_ok() || !got.is_ok()) return run;
  EXPECT_EQ(want->size(), got->size()) << what;
  for (size_t o = 0; o < std::min(want->size(), got->size()); ++o) {
    EXPECT_EQ(exact_difference((*want)[o], (*got)[o]), "") << what << ", output " << o;
  }
  run.outputs = std::move(*got);
  return run;
}

// Whether the profile shows a cpu-subgraph step of `op_type` run by a oneDNN primitive (`host`
// false) or by a host step (`host` true).
inline bool ran_on_cpu(const RunProfile& profile, const std::string& op_type, bool host) {
  return std::any_of(profile.entries.begin(), profile.entries.end(), [&](const RunProfile::Entry& e) {
    if (e.op_type != op_type || e.parent.empty() || e.kernel.empty()) return false;
    return (e.kernel == "host") == host;
  });
}

inline std::string profile_text(const RunProfile& profile) {
  std::string s;
  for (const auto& e : profile.entries) s += e.op_type + "(" + e.kernel + ") ";
  return s;
}

}  // namespace edgeserve::testing

// Shared by the fusion-pass tests: load an in-memory model at a level on a provider, run it on
// seeded random input "x", and compare the outputs of two sessions.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "edgeserve/session.h"
#include "onnx_model_builder.h"

namespace edgeserve::testing {

struct LoadedModel {
  std::unique_ptr<Session> session;
  std::map<std::string, int> ops;  // op histogram after the passes ("edgeserve.Gelu")
};

inline LoadedModel load_at_level(const std::string& model, Provider provider, int level) {
  SessionOptions opts;
  opts.provider = provider;
  opts.optimization_level = level;
  opts.threads = 1;
  auto s = Session::load_from_bytes(model, opts);
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  if (!s.is_ok()) return {};
  auto ops = (*s)->summary().op_histogram;
  return {std::move(s).value(), ops};
}

// Uniform in [lo, hi), seeded: the same tensor for every session of a test.
inline Tensor random_input(const Dims& dims, unsigned seed, float lo = -2.f, float hi = 3.f) {
  std::mt19937 rng(seed);
  Tensor x = Tensor::allocate(DType::kFloat32, dims).value();
  auto v = random_floats(rng, static_cast<size_t>(x.num_elements()), lo, hi);
  std::copy(v.begin(), v.end(), x.mutable_data<float>());
  return x;
}

inline std::vector<Tensor> run_on(const Session& s, const Tensor& x) {
  auto out = s.run({{"x", x}});
  EXPECT_TRUE(out.is_ok()) << out.status().message();
  return out.is_ok() ? std::move(out).value() : std::vector<Tensor>{};
}

// Every output equal within `rel` relative to max(1, |expected|): the fused kernels reorder the
// same float arithmetic (or accumulate in double), which moves results by a few ulps.
inline void expect_outputs_close(const std::vector<Tensor>& expected, const std::vector<Tensor>& got, float rel,
                                 const std::string& what) {
  ASSERT_EQ(expected.size(), got.size()) << what;
  for (size_t o = 0; o < expected.size(); ++o) {
    const Tensor& e = expected[o];
    const Tensor& g = got[o];
    ASSERT_EQ(e.dims(), g.dims()) << what << " output " << o;
    for (int64_t i = 0; i < e.num_elements(); ++i) {
      const float want = e.data<float>()[i];
      ASSERT_NEAR(want, g.data<float>()[i], rel * std::max(1.f, std::fabs(want)))
          << what << " output " << o << " at " << i;
    }
  }
}

}  // namespace edgeserve::testing

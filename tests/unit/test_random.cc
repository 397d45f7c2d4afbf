// Random generators: shapes and dtypes, seeded reproducibility, fresh draws without a seed,
// distribution statistics over many draws, and malformed attributes/inputs as errors.
#include <cmath>
#include <set>
#include <thread>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

// Every element widened to double, whatever the float dtype.
std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    switch (t.dtype()) {
      case DType::kFloat32: out.push_back(t.data<float>()[i]); break;
      case DType::kFloat64: out.push_back(t.data<double>()[i]); break;
      case DType::kFloat16: out.push_back(static_cast<float>(t.data<Float16>()[i])); break;
      case DType::kInt32: out.push_back(t.data<int32_t>()[i]); break;
      case DType::kInt64: out.push_back(static_cast<double>(t.data<int64_t>()[i])); break;
      default: ADD_FAILURE() << "unexpected dtype " << dtype_name(t.dtype()); return out;
    }
  }
  return out;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double stddev_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

// One prepared RandomUniform kernel, run several times: run_node builds a fresh kernel per call,
// and reproducibility (or freshness) across runs of one kernel is what a session sees.
class PreparedUniform {
 public:
  explicit PreparedUniform(std::map<std::string, Attribute> attrs) {
    node_.name = "test_node";
    node_.op_type = "RandomUniform";
    node_.opset = 17;
    node_.attributes = std::move(attrs);
    node_.outputs.push_back(graph_.value("out0"));
    auto kernel = ReferenceProvider().create_kernel(node_);
    EXPECT_TRUE(kernel.is_ok()) << kernel.status().to_string();
    if (kernel.is_ok()) kernel_ = std::move(*kernel);
  }

  std::vector<float> run() const {
    std::vector<Tensor> out(1);
    KernelContext ctx(node_, {}, &out, kDefaultMaxTensorBytes);
    Status st = kernel_->run(ctx);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return st.is_ok() ? values<float>(out[0]) : std::vector<float>{};
  }

 private:
  Graph graph_;
  Node node_;
  std::unique_ptr<Kernel> kernel_;
};

TEST(RandomUniform, OneKernelSeededRepeatsUnseededDoesNot) {
  PreparedUniform seeded({{"shape", ints_attr({32})}, {"seed", float_attr(1)}});
  EXPECT_EQ(seeded.run(), seeded.run());
  PreparedUniform unseeded({{"shape", ints_attr({32})}});
  EXPECT_NE(unseeded.run(), unseeded.run());
}

TEST(RandomUniform, ConcurrentUnseededRunsAreDistinct) {
  // run() may be called from several threads: each concurrent run must draw its own stream.
  PreparedUniform kernel({{"shape", ints_attr({16})}});
  std::vector<std::vector<float>> results(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) threads.emplace_back([&, t] { results[t] = kernel.run(); });
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(std::set<std::vector<float>>(results.begin(), results.end()).size(), results.size());
}

TEST(RandomUniform, ShapeDtypeAndRange) {
  for (int64_t code : {1, 10, 11}) {
    Tensor y = run_ok(spec("RandomUniform", {},
                           {{"shape", ints_attr({4, 0, 3})}, {"dtype", int_attr(code)}, {"low", float_attr(-2)},
                            {"high", float_attr(3)}}));
    EXPECT_EQ(y.dims(), (Dims{4, 0, 3}));
    EXPECT_EQ(y.dtype(), dtype_from_onnx(static_cast<int32_t>(code)));
    Tensor z = run_ok(spec("RandomUniform", {},
                           {{"shape", ints_attr({1000})}, {"dtype", int_attr(code)}, {"low", float_attr(-2)},
                            {"high", float_attr(3)}}));
    for (double v : as_doubles(z)) {
      EXPECT_GE(v, -2.0);
      EXPECT_LT(v, 3.0);
    }
  }
  EXPECT_EQ(run_ok(spec("RandomUniform", {}, {{"shape", ints_attr({2})}})).dtype(), DType::kFloat32);
}

TEST(RandomUniform, NarrowRangeStaysBelowHigh) {
  // float16 holds only 1.0 and 1.0009765625 here: values that round up to high must not appear.
  Tensor y = run_ok(spec("RandomUniform", {},
                         {{"shape", ints_attr({2000})}, {"dtype", int_attr(10)}, {"low", float_attr(1.0f)},
                          {"high", float_attr(1.0009765625f)}}));
  for (double v : as_doubles(y)) EXPECT_EQ(v, 1.0);
}

TEST(RandomUniform, SeededRunsReproduceUnseededDiffer) {
  auto seeded = spec("RandomUniform", {}, {{"shape", ints_attr({64})}, {"seed", float_attr(3.5f)}});
  EXPECT_EQ(values<float>(run_ok(seeded)), values<float>(run_ok(seeded)));
  auto other_seed = seeded;
  other_seed.attributes["seed"] = float_attr(4.5f);
  EXPECT_NE(values<float>(run_ok(seeded)), values<float>(run_ok(other_seed)));
  auto unseeded = spec("RandomUniform", {}, {{"shape", ints_attr({64})}});
  EXPECT_NE(values<float>(run_ok(unseeded)), values<float>(run_ok(unseeded)));
}

TEST(RandomUniform, MeanOverManyDraws) {
  // 100k draws on [2, 6): the mean's standard error is 4 / sqrt(12 * 1e5) ~ 0.0037; 0.02 is > 5 sigma.
  Tensor y = run_ok(spec("RandomUniform", {},
                         {{"shape", ints_attr({100000})}, {"low", float_attr(2)}, {"high", float_attr(6)},
                          {"seed", float_attr(1)}}));
  EXPECT_NEAR(mean_of(as_doubles(y)), 4.0, 0.02);
}

TEST(RandomNormal, MeanAndStddevOverManyDraws) {
  // 100k draws of N(1.5, 2^2): the mean's standard error is 2 / sqrt(1e5) ~ 0.0063 and the
  // stddev's ~ 2 / sqrt(2e5) ~ 0.0045; tolerances of 0.03 are above 4.5 sigma.
  for (int64_t code : {1, 11}) {
    Tensor y = run_ok(spec("RandomNormal", {},
                           {{"shape", ints_attr({100, 1000})}, {"mean", float_attr(1.5f)}, {"scale", float_attr(2)},
                            {"dtype", int_attr(code)}, {"seed", float_attr(7)}}));
    EXPECT_EQ(y.dims(), (Dims{100, 1000}));
    const std::vector<double> v = as_doubles(y);
    EXPECT_NEAR(mean_of(v), 1.5, 0.03);
    EXPECT_NEAR(stddev_of(v), 2.0, 0.03);
  }
}

TEST(RandomNormal, Float16AndSeeding) {
  auto seeded = spec("RandomNormal", {}, {{"shape", ints_attr({3, 5})}, {"dtype", int_attr(10)}, {"seed", float_attr(0)}});
  Tensor a = run_ok(seeded), b = run_ok(seeded);
  EXPECT_EQ(a.dtype(), DType::kFloat16);
  EXPECT_EQ(as_doubles(a), as_doubles(b));
  auto unseeded = spec("RandomNormal", {}, {{"shape", ints_attr({64})}});
  EXPECT_NE(values<float>(run_ok(unseeded)), values<float>(run_ok(unseeded)));
  // scale 0 is a point mass at the mean.
  Tensor c = run_ok(spec("RandomNormal", {}, {{"shape", ints_attr({4})}, {"mean", float_attr(3)}, {"scale", float_attr(0)}}));
  EXPECT_EQ(values<float>(c), (std::vector<float>{3, 3, 3, 3}));
}

TEST(RandomLike, ShapeFromInputDtypeFromInputOrAttribute) {
  Tensor in = Tensor::from_vector<double>({2, 3}, {0, 0, 0, 0, 0, 0});
  Tensor u = run_ok(spec("RandomUniformLike", {in}));
  EXPECT_EQ(u.dims(), (Dims{2, 3}));
  EXPECT_EQ(u.dtype(), DType::kFloat64);
  Tensor ints = Tensor::from_vector<int32_t>({4}, {1, 2, 3, 4});
  Tensor n = run_ok(spec("RandomNormalLike", {ints}, {{"dtype", int_attr(10)}}));
  EXPECT_EQ(n.dims(), (Dims{4}));
  EXPECT_EQ(n.dtype(), DType::kFloat16);
  auto seeded = spec("RandomUniformLike", {in}, {{"seed", float_attr(2)}, {"low", float_attr(5)}, {"high", float_attr(6)}});
  const std::vector<double> v = values<double>(run_ok(seeded));
  EXPECT_EQ(v, values<double>(run_ok(seeded)));
  for (double x : v) {
    EXPECT_GE(x, 5.0);
    EXPECT_LT(x, 6.0);
  }
  // An integer input without 'dtype' would make an integer output, which the ops do not allow.
  expect_error(spec("RandomUniformLike", {ints}), "int32");
}

TEST(Bernoulli, ExtremesAndMean) {
  Tensor zeros = Tensor::from_vector<float>({1000}, std::vector<float>(1000, 0.0f));
  Tensor ones = Tensor::from_vector<float>({1000}, std::vector<float>(1000, 1.0f));
  for (float v : values<float>(run_ok(spec("Bernoulli", {zeros})))) EXPECT_EQ(v, 0.0f);
  for (float v : values<float>(run_ok(spec("Bernoulli", {ones})))) EXPECT_EQ(v, 1.0f);
  // 100k draws at p = 0.3: standard error sqrt(0.21 / 1e5) ~ 0.0014; 0.01 is > 6 sigma.
  Tensor p = Tensor::from_vector<double>({100000}, std::vector<double>(100000, 0.3));
  Tensor y = run_ok(spec("Bernoulli", {p}));
  EXPECT_EQ(y.dtype(), DType::kFloat64);
  EXPECT_NEAR(mean_of(values<double>(y)), 0.3, 0.01);
}

TEST(Bernoulli, DtypeAttributeAndSeed) {
  Tensor p = Tensor::from_vector<float>({2, 4}, {0, 1, 0.5f, 0.5f, 1, 0, 0.5f, 0.5f});
  Tensor b = run_ok(spec("Bernoulli", {p}, {{"dtype", int_attr(9)}}));
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_EQ(b.dims(), (Dims{2, 4}));
  EXPECT_FALSE(b.data<bool>()[0]);
  EXPECT_TRUE(b.data<bool>()[1]);
  Tensor i = run_ok(spec("Bernoulli", {p}, {{"dtype", int_attr(7)}}));
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_EQ(i.data<int64_t>()[4], 1);
  Tensor half = Tensor::from_vector<Float16>({2}, {Float16(1.0f), Float16(0.0f)});
  Tensor h = run_ok(spec("Bernoulli", {half}));
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_EQ(as_doubles(h), (std::vector<double>{1, 0}));
  Tensor many = Tensor::from_vector<float>({256}, std::vector<float>(256, 0.5f));
  auto seeded = spec("Bernoulli", {many}, {{"seed", float_attr(0)}});
  EXPECT_EQ(values<float>(run_ok(seeded)), values<float>(run_ok(seeded)));
  auto unseeded = spec("Bernoulli", {many});
  EXPECT_NE(values<float>(run_ok(unseeded)), values<float>(run_ok(unseeded)));
}

TEST(Bernoulli, Opset15OnlyAndBadProbabilities) {
  Tensor p = Tensor::from_vector<float>({1}, {0.5f});
  EXPECT_FALSE(run_node(spec("Bernoulli", {p}, {}, 1, 14)).is_ok());
  expect_error(spec("Bernoulli", {Tensor::from_vector<float>({2}, {0.5f, 1.5f})}), "not in [0, 1]");
  expect_error(spec("Bernoulli", {Tensor::from_vector<float>({1}, {-0.1f})}), "not in [0, 1]");
  expect_error(spec("Bernoulli", {Tensor::from_vector<float>({1}, {std::nanf("")})}), "not in [0, 1]");
  expect_error(spec("Bernoulli", {Tensor::from_vector<int32_t>({1}, {1})}), "input", StatusCode::kUnimplemented);
  expect_error(spec("Bernoulli", {p}, {{"dtype", int_attr(8)}}), "dtype");
  expect_error(spec("Bernoulli", {p}, {{"dtype", int_attr(999)}}), "dtype", StatusCode::kUnimplemented);
}

TEST(Multinomial, ShapeDtypeAndOverwhelmingLogit) {
  Tensor logits = Tensor::from_vector<float>({2, 3}, {0, 100, 0, -1e30f, -1e30f, 5});
  Tensor y = run_ok(spec("Multinomial", {logits}, {{"sample_size", int_attr(50)}}));
  EXPECT_EQ(y.dims(), (Dims{2, 50}));
  EXPECT_EQ(y.dtype(), DType::kInt32);
  for (int64_t s = 0; s < 50; ++s) {
    EXPECT_EQ(y.data<int32_t>()[s], 1);
    EXPECT_EQ(y.data<int32_t>()[50 + s], 2);
  }
  Tensor z = run_ok(spec("Multinomial", {logits}, {{"dtype", int_attr(7)}}));
  EXPECT_EQ(z.dtype(), DType::kInt64);
  EXPECT_EQ(z.dims(), (Dims{2, 1}));
  EXPECT_EQ(values<int64_t>(z), (std::vector<int64_t>{1, 2}));
  // -inf is a zero probability and is never drawn.
  const float ninf = -std::numeric_limits<float>::infinity();
  Tensor w = run_ok(spec("Multinomial", {Tensor::from_vector<double>({1, 3}, {ninf, 0, ninf})}, {{"sample_size", int_attr(20)}}));
  for (int32_t c : values<int32_t>(w)) EXPECT_EQ(c, 1);
}

TEST(Multinomial, FrequenciesFollowSoftmax) {
  // log(1), log(3): class 1 has probability 0.75. 100k draws: standard error ~0.0014; 0.01 is > 7 sigma.
  Tensor logits = Tensor::from_vector<float>({1, 2}, {0, std::log(3.0f)});
  auto s = spec("Multinomial", {logits}, {{"sample_size", int_attr(100000)}, {"seed", float_attr(11)}});
  Tensor y = run_ok(s);
  EXPECT_NEAR(mean_of(as_doubles(y)), 0.75, 0.01);
  EXPECT_EQ(values<int32_t>(y), values<int32_t>(run_ok(s)));
  auto unseeded = spec("Multinomial", {Tensor::from_vector<float>({1, 2}, {0, 0})}, {{"sample_size", int_attr(64)}});
  EXPECT_NE(values<int32_t>(run_ok(unseeded)), values<int32_t>(run_ok(unseeded)));
}

TEST(Multinomial, Errors) {
  Tensor logits = Tensor::from_vector<float>({1, 2}, {0, 0});
  expect_error(spec("Multinomial", {logits}, {{"sample_size", int_attr(0)}}), "sample_size");
  expect_error(spec("Multinomial", {logits}, {{"dtype", int_attr(1)}}), "dtype");
  expect_error(spec("Multinomial", {Tensor::from_vector<float>({2}, {0, 0})}), "batch_size, class_size");
  expect_error(spec("Multinomial", {Tensor::from_vector<float>({1, 2}, {0, std::nanf("")})}), "log-probability");
  const float inf = std::numeric_limits<float>::infinity();
  expect_error(spec("Multinomial", {Tensor::from_vector<float>({1, 2}, {0, inf})}), "log-probability");
  expect_error(spec("Multinomial", {Tensor::from_vector<float>({1, 2}, {-inf, -inf})}), "finite log-probability");
  expect_error(spec("Multinomial", {Tensor::allocate(DType::kFloat32, {1, 0}).value()}), "at least one class");
  expect_error(spec("Multinomial", {Tensor::from_vector<int64_t>({1, 2}, {0, 0})}), "input 0",
               StatusCode::kUnimplemented);
  EXPECT_EQ(run_ok(spec("Multinomial", {Tensor::allocate(DType::kFloat32, {0, 4}).value()},
                        {{"sample_size", int_attr(3)}})).dims(),
            (Dims{0, 3}));
}

TEST(RandomGenerators, AttributeErrors) {
  expect_error(spec("RandomUniform", {}, {{"shape", ints_attr({2, -1})}}), "negative dimension");
  expect_error(spec("RandomUniform", {}, {}), "shape");
  expect_error(spec("RandomUniform", {}, {{"shape", ints_attr({2})}, {"dtype", int_attr(6)}}), "dtype");
  expect_error(spec("RandomNormal", {}, {{"shape", ints_attr({2})}, {"dtype", int_attr(999)}}), "dtype",
               StatusCode::kUnimplemented);
  expect_error(spec("RandomUniform", {}, {{"shape", ints_attr({2})}, {"low", float_attr(2)}, {"high", float_attr(1)}}),
               "low <= high");
  expect_error(spec("RandomNormal", {}, {{"shape", ints_attr({2})}, {"scale", float_attr(-1)}}), "scale");
  const float inf = std::numeric_limits<float>::infinity();
  expect_error(spec("RandomNormal", {}, {{"shape", ints_attr({2})}, {"mean", float_attr(inf)}}), "mean");
  expect_error(spec("RandomUniformLike", {Tensor::from_vector<float>({1}, {0})}, {{"dtype", int_attr(7)}}), "dtype");
  // The total size is bounded by the tensor limit: an error, not an allocation attempt.
  auto huge = run_node(spec("RandomUniform", {}, {{"shape", ints_attr({1 << 20, 1 << 20, 1 << 20})}}));
  EXPECT_FALSE(huge.is_ok());
}

}  // namespace
}  // namespace edgeserve::testing

// RNN, GRU and LSTM: hidden_size 1 cases computed by hand (identity-like activations keep the
// arithmetic exact), directions, sequence_lens, layout, activation parameters and error cases.
#include <cmath>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

Tensor f32(const Dims& dims, std::vector<float> v) { return Tensor::from_vector<float>(dims, v); }

std::vector<float> outf(const Result<std::vector<Tensor>>& out, size_t i) {
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return out.is_ok() ? values<float>((*out)[i]) : std::vector<float>{};
}

Attribute strings_attr(std::vector<std::string> v) {
  Attribute a;
  a.kind = AttrKind::kStrings;
  a.strings = std::move(v);
  return a;
}

// X [seq 2, batch 1, input 1] = [1, 2]; W = 0.5, R = 1: h1 = relu(0.5) = 0.5, h2 = relu(1 + 0.5) = 1.5.
NodeSpec relu_rnn(std::map<std::string, Attribute> extra = {}) {
  std::map<std::string, Attribute> attrs = {{"hidden_size", int_attr(1)}, {"activations", strings_attr({"Relu"})}};
  for (auto& [k, v] : extra) attrs[k] = v;
  return spec("RNN", {f32({2, 1, 1}, {1, 2}), f32({1, 1, 1}, {0.5f}), f32({1, 1, 1}, {1})}, attrs, 2, 14);
}

TEST(Rnn, ForwardByHand) {
  auto out = run_node(relu_rnn());
  EXPECT_EQ(outf(out, 0), (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(outf(out, 1), (std::vector<float>{1.5f}));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ((*out)[0].dims(), (Dims{2, 1, 1, 1}));
  EXPECT_EQ((*out)[1].dims(), (Dims{1, 1, 1}));
}

TEST(Rnn, DefaultTanh) {
  NodeSpec s = relu_rnn();
  s.attributes.erase("activations");
  auto out = run_node(s);
  const float h1 = std::tanh(0.5f);
  const float h2 = std::tanh(1.0f + h1);
  EXPECT_NEAR(outf(out, 1)[0], h2, 1e-6);
  EXPECT_NEAR(outf(out, 0)[0], h1, 1e-6);
}

TEST(Rnn, ReverseStartsAtTheLastStep) {
  // t1 first: relu(0.5 * 2) = 1; then t0: relu(0.5 * 1 + 1) = 1.5. Y keeps time order.
  auto out = run_node(relu_rnn({{"direction", string_attr("reverse")}}));
  EXPECT_EQ(outf(out, 0), (std::vector<float>{1.5f, 1.0f}));
  EXPECT_EQ(outf(out, 1), (std::vector<float>{1.5f}));
}

TEST(Rnn, BidirectionalStacksDirections) {
  // Reverse weights W = 1, R = 0: h(t1) = 2, h(t0) = 1.
  NodeSpec s = relu_rnn({{"direction", string_attr("bidirectional")}});
  s.inputs[1] = f32({2, 1, 1}, {0.5f, 1});
  s.inputs[2] = f32({2, 1, 1}, {1, 0});
  auto out = run_node(s);
  EXPECT_EQ(outf(out, 0), (std::vector<float>{0.5f, 1, 1.5f, 2}));  // [seq, dirs, batch, hidden]
  EXPECT_EQ(outf(out, 1), (std::vector<float>{1.5f, 1}));
}

TEST(Rnn, BiasInitialStateAndClip) {
  NodeSpec s = relu_rnn({{"clip", float_attr(2.6f)}});
  s.inputs.push_back(f32({1, 2}, {0.25f, 0.25f}));  // B: Wb + Rb = 0.5
  s.inputs.push_back(Tensor());                      // sequence_lens
  s.inputs.push_back(f32({1, 1, 1}, {1}));           // initial_h
  // h1 = relu(0.5 + 1 + 0.5) = 2; h2 = relu(min(1 + 2 + 0.5, 2.6)) = 2.6.
  auto out = run_node(s);
  EXPECT_EQ(outf(out, 0), (std::vector<float>{2, 2.6f}));
}

TEST(Rnn, SequenceLensZeroPadAndKeepLastValidStep) {
  // batch 2, seq 3, W = R = 1; entry 1 has length 2 (its t2 input is ignored), entry 2 length 0.
  NodeSpec s = relu_rnn();
  s.inputs[0] = f32({3, 3, 1}, {1, 1, 7, 1, 1, 7, 1, 100, 7});
  s.inputs[1] = f32({1, 1, 1}, {1});
  s.inputs.push_back(Tensor());
  s.inputs.push_back(Tensor::from_vector<int32_t>({3}, {3, 2, 0}));
  s.inputs.push_back(f32({1, 3, 1}, {0, 0, 5}));
  auto out = run_node(s);
  EXPECT_EQ(outf(out, 0), (std::vector<float>{1, 1, 0, 2, 2, 0, 3, 0, 0}));
  EXPECT_EQ(outf(out, 1), (std::vector<float>{3, 2, 0}));
  // Reverse: entry 1 starts at t1, its last valid step; Y at t2 stays zero.
  s.attributes["direction"] = string_attr("reverse");
  auto rev = run_node(s);
  EXPECT_EQ(outf(rev, 0), (std::vector<float>{3, 2, 0, 2, 1, 0, 1, 0, 0}));
  EXPECT_EQ(outf(rev, 1), (std::vector<float>{3, 2, 0}));
}

TEST(Rnn, BatchMajorLayout) {
  // layout 1: X [batch 2, seq 2, input 1]; Y [batch, seq, dirs, hidden]; Y_h [batch, dirs, hidden].
  NodeSpec s = relu_rnn({{"layout", int_attr(1)}});
  s.inputs[0] = f32({2, 2, 1}, {1, 2, 2, 4});
  auto out = run_node(s);
  EXPECT_EQ(outf(out, 0), (std::vector<float>{0.5f, 1.5f, 1, 3}));
  EXPECT_EQ(outf(out, 1), (std::vector<float>{1.5f, 3}));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ((*out)[0].dims(), (Dims{2, 2, 1, 1}));
  EXPECT_EQ((*out)[1].dims(), (Dims{2, 1, 1}));
}

TEST(Rnn, ActivationParametersAndDouble) {
  // Affine(alpha 2, beta 1): h1 = 2 * 0.5 + 1 = 2; h2 = 2 * (1 + 2) + 1 = 7.
  NodeSpec s = relu_rnn({{"activations", strings_attr({"affine"})},
                         {"activation_alpha", floats_attr({2})},
                         {"activation_beta", floats_attr({1})}});
  s.inputs[0] = Tensor::from_vector<double>({2, 1, 1}, {1, 2});
  s.inputs[1] = Tensor::from_vector<double>({1, 1, 1}, {0.5});
  s.inputs[2] = Tensor::from_vector<double>({1, 1, 1}, {1});
  auto out = run_node(s);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<double>((*out)[0]), (std::vector<double>{2, 7}));
}

TEST(Rnn, LeakyReluDefaultAlpha) {
  NodeSpec s = relu_rnn({{"activations", strings_attr({"LeakyRelu"})}});
  s.inputs[1] = f32({1, 1, 1}, {-1});
  s.inputs[2] = f32({1, 1, 1}, {0});
  EXPECT_EQ(outf(run_node(s), 0), (std::vector<float>{-0.01f, -0.02f}));
}

// GRU, hidden 1, Wz = Wr = 0 so z = r = sigmoid(0) = 0.5; g = Affine (identity); Wh = 1, Rh = 2,
// Rbh = 1, X = [1, 1].
NodeSpec affine_gru(bool linear_before_reset) {
  std::map<std::string, Attribute> attrs = {{"hidden_size", int_attr(1)},
                                            {"activations", strings_attr({"Sigmoid", "Affine"})},
                                            {"linear_before_reset", int_attr(linear_before_reset ? 1 : 0)}};
  return spec("GRU",
              {f32({2, 1, 1}, {1, 1}), f32({1, 3, 1}, {0, 0, 1}), f32({1, 3, 1}, {0, 0, 2}),
               f32({1, 6}, {0, 0, 0, 0, 0, 1})},
              attrs, 2, 14);
}

TEST(Gru, ResetBeforeMatmul) {
  // h~1 = 1 + (0.5 * 0) * 2 + 1 = 2, H1 = 0.5 * 2 = 1; h~2 = 1 + (0.5 * 1) * 2 + 1 = 3, H2 = 1.5 + 0.5 = 2.
  auto out = run_node(affine_gru(false));
  EXPECT_EQ(outf(out, 0), (std::vector<float>{1, 2}));
  EXPECT_EQ(outf(out, 1), (std::vector<float>{2}));
}

TEST(Gru, LinearBeforeReset) {
  // h~1 = 1 + 0.5 * (0 * 2 + 1) = 1.5, H1 = 0.75; h~2 = 1 + 0.5 * (0.75 * 2 + 1) = 2.25,
  // H2 = 0.5 * 2.25 + 0.5 * 0.75 = 1.5.
  auto out = run_node(affine_gru(true));
  EXPECT_EQ(outf(out, 0), (std::vector<float>{0.75f, 1.5f}));
}

// LSTM, hidden 1, with gate blocks [i, o, f, c].
NodeSpec lstm(std::vector<float> w, std::vector<std::string> acts, std::map<std::string, Attribute> extra = {}) {
  std::map<std::string, Attribute> attrs = {{"hidden_size", int_attr(1)}, {"activations", strings_attr(acts)}};
  for (auto& [k, v] : extra) attrs[k] = v;
  return spec("LSTM", {f32({2, 1, 1}, {2, 2}), f32({1, 4, 1}, w), f32({1, 4, 1}, {0, 0, 0, 0})}, attrs, 3, 14);
}

TEST(Lstm, ConstantGatesFromHardSigmoid) {
  // HardSigmoid(alpha 0, beta 0.5) makes i = o = f = 0.5; g, h identity (Affine takes the next
  // alpha/beta). C1 = 0.5 * 2 = 1, H1 = 0.5; C2 = 0.5 + 1 = 1.5, H2 = 0.75.
  auto out = run_node(lstm({0, 0, 0, 1}, {"HardSigmoid", "Affine", "Affine"},
                           {{"activation_alpha", floats_attr({0, 1, 1})}, {"activation_beta", floats_attr({0.5f, 0, 0})}}));
  EXPECT_EQ(outf(out, 0), (std::vector<float>{0.5f, 0.75f}));
  EXPECT_EQ(outf(out, 1), (std::vector<float>{0.75f}));
  EXPECT_EQ(outf(out, 2), (std::vector<float>{1.5f}));
}

NodeSpec peephole_lstm(std::map<std::string, Attribute> extra) {
  // One step, x = 1, identity activations, W = [i 1, o 1, f 0, c 1], P = [i 1, o 1, f 1], C0 = 1.
  NodeSpec s = lstm({1, 1, 0, 1}, {"Affine", "Affine", "Affine"}, extra);
  s.inputs[0] = f32({1, 1, 1}, {1});
  s.inputs.push_back(Tensor());                   // B
  s.inputs.push_back(Tensor());                   // sequence_lens
  s.inputs.push_back(Tensor());                   // initial_h
  s.inputs.push_back(f32({1, 1, 1}, {1}));        // initial_c
  s.inputs.push_back(f32({1, 3}, {1, 1, 1}));     // P
  return s;
}

TEST(Lstm, Peepholes) {
  // i = 1 + 1 = 2, f = 0 + 1 = 1, c~ = 1, C = 1 + 2 = 3, o = 1 + 3 = 4, H = 4 * 3 = 12.
  auto out = run_node(peephole_lstm({}));
  EXPECT_EQ(outf(out, 1), (std::vector<float>{12}));
  EXPECT_EQ(outf(out, 2), (std::vector<float>{3}));
}

TEST(Lstm, InputForgetCouplesGates) {
  // f = 1 - i = -1: C = -1 + 2 = 1, o = 1 + 1 = 2, H = 2.
  auto out = run_node(peephole_lstm({{"input_forget", int_attr(1)}}));
  EXPECT_EQ(outf(out, 1), (std::vector<float>{2}));
  EXPECT_EQ(outf(out, 2), (std::vector<float>{1}));
}

TEST(Lstm, BidirectionalReusesOneDirectionsActivations) {
  NodeSpec s = lstm({0, 0, 0, 1}, {"HardSigmoid", "Affine", "Affine"},
                    {{"direction", string_attr("bidirectional")},
                     {"activation_alpha", floats_attr({0, 1, 1})},
                     {"activation_beta", floats_attr({0.5f, 0, 0})}});
  s.inputs[1] = f32({2, 4, 1}, {0, 0, 0, 1, 0, 0, 0, 1});
  s.inputs[2] = f32({2, 4, 1}, {0, 0, 0, 0, 0, 0, 0, 0});
  auto out = run_node(s);
  EXPECT_EQ(outf(out, 1), (std::vector<float>{0.75f, 0.75f}));
}

TEST(Recurrent, ErrorsOnBadShapesAndAttributes) {
  NodeSpec bad_w = relu_rnn();
  bad_w.inputs[1] = f32({1, 2, 1}, {1, 1});
  expect_error(bad_w, "input W has shape [1, 2, 1], expected [1, 1, 1]");
  NodeSpec bad_dirs = relu_rnn({{"direction", string_attr("bidirectional")}});
  expect_error(bad_dirs, "input W");
  NodeSpec gru_w = affine_gru(false);
  gru_w.inputs[1] = f32({1, 2, 1}, {0, 0});
  expect_error(gru_w, "input W");
  NodeSpec bad_b = affine_gru(false);
  bad_b.inputs[3] = f32({1, 3}, {0, 0, 0});
  expect_error(bad_b, "input B");
  NodeSpec bad_p = peephole_lstm({});
  bad_p.inputs[7] = f32({1, 2}, {1, 1});
  expect_error(bad_p, "input P");
  NodeSpec bad_x = relu_rnn();
  bad_x.inputs[0] = f32({2, 1}, {1, 2});
  expect_error(bad_x, "rank 3");
  NodeSpec bad_dtype = relu_rnn();
  bad_dtype.inputs[2] = Tensor::from_vector<double>({1, 1, 1}, {1});
  expect_error(bad_dtype, "input R is");
  expect_error(relu_rnn({{"direction", string_attr("sideways")}}), "direction");
  expect_error(relu_rnn({{"activations", strings_attr({"Swish"})}}), "unknown activation 'Swish'");
  expect_error(relu_rnn({{"activations", strings_attr({"Relu", "Tanh"})}}), "activations has 2 entries");
  expect_error(relu_rnn({{"hidden_size", int_attr(-1)}}), "hidden_size");
  expect_error(relu_rnn({{"clip", float_attr(0)}}), "clip");
  expect_error(relu_rnn({{"layout", int_attr(2)}}), "layout");
  NodeSpec three_outputs = relu_rnn();
  three_outputs.num_outputs = 3;
  expect_error(three_outputs, "at most 2");
}

TEST(Recurrent, ErrorsOnBadSequenceLens) {
  NodeSpec s = relu_rnn();
  s.inputs.push_back(Tensor());
  s.inputs.push_back(Tensor::from_vector<int32_t>({1}, {3}));
  expect_error(s, "sequence_lens[0] is 3, expected within [0, 2]");
  s.inputs[4] = Tensor::from_vector<int32_t>({1}, {-1});
  expect_error(s, "sequence_lens[0] is -1");
  s.inputs[4] = Tensor::from_vector<int32_t>({2}, {1, 1});
  expect_error(s, "input sequence_lens has shape [2]");
  s.inputs[4] = f32({1}, {1});
  expect_error(s, "sequence_lens must be int32");
}

TEST(Recurrent, RefusesRunsWhoseOutputWouldBeHuge) {
  // An empty X (input_size 0) of 2^20 steps x 2^20 entries: 2^40 steps with nothing to read.
  NodeSpec s = relu_rnn();
  s.inputs[0] = f32({1 << 20, 1 << 20, 0}, {});
  s.inputs[1] = f32({1, 1, 0}, {});
  expect_error(s, "over the per-tensor limit");
}

}  // namespace
}  // namespace edgeserve::testing

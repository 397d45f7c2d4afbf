// Per-node profiling: Session::run with a RunProfile, and inner entries added by a kernel that
// runs several nodes at once (through KernelContext::profile).
#include <gtest/gtest.h>

#include "edgeserve/session.h"
#include "engine/ep/reference/reference_provider.h"
#include "engine/onnx/model_import.h"
#include "engine/runtime/execution_plan.h"
#include "onnx/onnx_pb.h"

namespace edgeserve {
namespace {

// y = Sigmoid(Relu(x + x)), nodes named add0, relu0, sig0; x is float32[batch, 4].
std::string chain_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  auto* x = g->add_input();
  x->set_name("x");
  auto* tt = x->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("batch");
  tt->mutable_shape()->add_dim()->set_dim_value(4);
  auto node = [&](const char* op, const char* name, std::vector<std::string> in, const char* out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : in) n->add_input(i);
    n->add_output(out);
  };
  node("Add", "add0", {"x", "x"}, "s");
  node("Relu", "relu0", {"s"}, "r");
  node("Sigmoid", "sig0", {"r"}, "y");
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

std::vector<NamedTensor> ones(int64_t batch) {
  Tensor t = Tensor::allocate(DType::kFloat32, {batch, 4}).value();
  for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data<float>()[i] = 1;
  return {{"x", t}};
}

TEST(RunProfile, OneEntryPerNodeInOrder) {
  SessionOptions opts;
  opts.provider = Provider::kReference;  // one step per node (the cpu provider fuses the chain)
  auto s = Session::load_from_bytes(chain_model(), opts);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  RunProfile profile;
  auto out = (*s)->run(ones(2), &profile);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ(profile.entries.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"add0", "Add"}, {"relu0", "Relu"}, {"sig0", "Sigmoid"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(profile.entries[i].node, expected[i].first);
    EXPECT_EQ(profile.entries[i].op_type, expected[i].second);
    EXPECT_GE(profile.entries[i].ms, 0.0);
    EXPECT_TRUE(profile.entries[i].parent.empty());
  }
}

TEST(RunProfile, ResultsAreTheSameWithAndWithoutAProfile) {
  auto s = Session::load_from_bytes(chain_model());
  ASSERT_TRUE(s.is_ok());
  RunProfile profile;
  auto with = (*s)->run(ones(3), &profile);
  auto without = (*s)->run(ones(3));
  ASSERT_TRUE(with.is_ok() && without.is_ok());
  for (int i = 0; i < 12; ++i) EXPECT_EQ((*with)[0].data<float>()[i], (*without)[0].data<float>()[i]);
}

TEST(RunProfile, InputValidationFailuresRecordNothing) {
  auto s = Session::load_from_bytes(chain_model());
  ASSERT_TRUE(s.is_ok());
  RunProfile profile;
  auto out = (*s)->run({{"x", Tensor::allocate(DType::kFloat32, {1, 5}).value()}}, &profile);
  EXPECT_FALSE(out.is_ok());
  EXPECT_TRUE(profile.entries.empty());  // rejected by input validation, before any node ran
}

// Stands in for a fused kernel: claims Relu and reports two inner nodes through the context.
class FusingProvider final : public ExecutionProvider {
 public:
  const char* name() const override { return "fusing-test"; }
  bool supports(const Node& node) const override { return node.op_type == "Relu"; }
  Result<std::unique_ptr<Kernel>> create_kernel(const Node&) const override {
    return make_kernel([](KernelContext& ctx) -> Status {
      if (RunProfile* p = ctx.profile()) {
        p->entries.push_back({"inner_conv", "Conv", 0.25, {}});
        p->entries.push_back({"inner_relu", "Relu", 0.5, {}});
      }
      ctx.set_output(0, ctx.input(0));
      return Status::ok();
    });
  }
};

TEST(RunProfile, KernelsAddInnerEntriesUnderTheirStep) {
  auto model = import_model_bytes(chain_model());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  FusingProvider fusing;
  ReferenceProvider reference;
  auto plan = ExecutionPlan::create(model->graph, {&fusing, &reference}, kDefaultMaxTensorBytes);
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  RunProfile profile;
  ASSERT_TRUE((*plan)->run({ones(1)[0].tensor}, &profile).is_ok());
  ASSERT_EQ(profile.entries.size(), 5u);
  EXPECT_EQ(profile.entries[1].node, "relu0");
  EXPECT_TRUE(profile.entries[1].parent.empty());
  EXPECT_EQ(profile.entries[2].node, "inner_conv");
  EXPECT_EQ(profile.entries[2].parent, "relu0");
  EXPECT_EQ(profile.entries[3].op_type, "Relu");
  EXPECT_EQ(profile.entries[3].parent, "relu0");
  EXPECT_EQ(profile.entries[4].node, "sig0");
  EXPECT_TRUE(profile.entries[4].parent.empty());
  // Without a profile the kernel sees null and adds nothing.
  EXPECT_TRUE((*plan)->run({ones(1)[0].tensor}, nullptr).is_ok());
}

}  // namespace
}  // namespace edgeserve

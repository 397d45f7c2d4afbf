// Pass pipeline per optimisation level.
#include "engine/passes/pipeline.h"

#include "engine/passes/constant_folding.h"
#include "engine/passes/constant_to_initializer.h"
#include "engine/passes/dead_node_elimination.h"
#include "engine/passes/activation_fusion.h"
#include "engine/passes/attention_fusion.h"
#include "engine/passes/batchnorm_folding.h"
#include "engine/passes/channel_scale_fusion.h"
#include "engine/passes/concat_conv_split.h"
#include "engine/passes/pool_through_concat.h"
#include "engine/passes/gelu_fusion.h"
#include "engine/passes/identity_elimination.h"
#include "engine/passes/layernorm_fusion.h"
#include "engine/passes/matmul_add_to_gemm.h"
#include "engine/passes/qdq_fusion.h"
#include "engine/passes/qlinear_table_fusion.h"
#include "engine/passes/reshape_dim_copy.h"
#include "engine/passes/reshape_elimination.h"
#include "engine/passes/shape_folding.h"
#include "engine/passes/transpose_elimination.h"
#include "engine/passes/residual_add_fusion.h"

namespace edgeserve {

namespace {

// Rounds of shape folding, each after a type refresh; a deep transformer needs about one per
// chain of Reshapes that depend on each other, and a round costs one inference over the graph.
constexpr int kMaxShapeRounds = 64;

Status fold_shape_computations(Graph& graph, const ExecutionProvider& evaluator, const TypeRefresh& refresh) {
  for (int round = 0; round < kMaxShapeRounds; ++round) {
    const size_t nodes_before = graph.nodes().size();
    EDGE_RETURN_IF_ERROR(fold_shapes(graph));  // first: what is computed from shapes folds next
    EDGE_RETURN_IF_ERROR(fold_reshape_dim_copies(graph));  // the batch dims shape folding leaves
    EDGE_RETURN_IF_ERROR(fold_constants(graph, evaluator));
    if (!refresh) break;
    EDGE_ASSIGN_OR_RETURN(int gained, refresh(graph));
    // Done when a round neither folded a node nor learned a type.
    if (gained == 0 && graph.nodes().size() == nodes_before) break;
  }
  return Status::ok();
}

}  // namespace

Status run_passes(Graph& graph, int level, const ExecutionProvider& evaluator, const TypeRefresh& refresh) {
  EDGE_RETURN_IF_ERROR(constant_to_initializer(graph));
  if (level >= 1) {
    EDGE_RETURN_IF_ERROR(eliminate_dead_nodes(graph));
    EDGE_RETURN_IF_ERROR(eliminate_identities(graph));
    // A level-2 pass, run before constant folding would turn the DQ of a weight into floats.
    if (level >= 2) {
      EDGE_RETURN_IF_ERROR(fuse_qdq(graph));
      EDGE_RETURN_IF_ERROR(fuse_qlinear_tables(graph));  // the QLinear ops QDQ fusion made
    }
    EDGE_RETURN_IF_ERROR(fold_shape_computations(graph, evaluator, refresh));
    EDGE_RETURN_IF_ERROR(eliminate_transposes(graph));
    EDGE_RETURN_IF_ERROR(eliminate_reshapes(graph));
    EDGE_RETURN_IF_ERROR(eliminate_dead_nodes(graph));
  }
  if (level >= 2) {
    EDGE_RETURN_IF_ERROR(fuse_layernorms(graph));
    EDGE_RETURN_IF_ERROR(fuse_matmul_add(graph));  // first: a BatchNorm after it then folds into the Gemm
    EDGE_RETURN_IF_ERROR(fuse_matmul_bias(graph));  // the same for [..., K] x [K, N]: before activations
    EDGE_RETURN_IF_ERROR(fold_batchnorms(graph));  // before fusion: Conv + BN + Relu fuses whole
    EDGE_RETURN_IF_ERROR(fuse_residual_adds(graph));  // first: Conv + Add + Relu fuses whole
    EDGE_RETURN_IF_ERROR(fuse_activations(graph));
    EDGE_RETURN_IF_ERROR(fuse_gelus(graph));  // after: a Conv/Gemm + GELU fuses whole
    EDGE_RETURN_IF_ERROR(pool_through_concat(graph));  // first: the Conv after the pool can then split
    EDGE_RETURN_IF_ERROR(split_concat_convs(graph));
    EDGE_RETURN_IF_ERROR(fuse_channel_scales(graph));
    EDGE_RETURN_IF_ERROR(fuse_attention(graph));  // MatMul - scale - Softmax - MatMul
  }
  return graph.finalize();
}

}  // namespace edgeserve

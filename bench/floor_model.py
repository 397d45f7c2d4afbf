#!/usr/bin/python3
"""Writes a model with MODEL's inputs and next to no compute (one ReduceMax per input, over all
but the first axis), so that serving it measures what a request of MODEL's size costs in
transport and codec alone. Usage: floor_model.py MODEL OUT"""
import sys

import onnx
from onnx import helper


def main(model_path, out_path):
    model = onnx.load(model_path, load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    nodes, outputs = [], []
    for k, given in enumerate(inputs):
        rank = len(given.type.tensor_type.shape.dim)
        first = given.type.tensor_type.shape.dim[0]
        out = f"floor_{k}"
        nodes.append(helper.make_node("ReduceMax", [given.name], [out], axes=list(range(1, rank)), keepdims=0))
        dim = first.dim_param if first.HasField("dim_param") else first.dim_value
        outputs.append(helper.make_tensor_value_info(out, given.type.tensor_type.elem_type, [dim]))
    graph = helper.make_graph(nodes, "floor", list(inputs), outputs)
    floor = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(floor)
    onnx.save(floor, out_path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

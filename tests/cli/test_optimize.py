#!/usr/bin/python3
"""`edgeserve optimize`: the written model is valid ONNX with the fused nodes in the `edgeserve`
domain (declared in opset_import), edgeserve loads it back, and it computes what the original
computes on both providers. Bad arguments are one-line errors.

Usage: test_optimize.py EDGESERVE
"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EDGESERVE = None
TIME_LIMIT_S = 60


def conv_bn_relu_model():
    """y = Relu(BatchNorm(Conv(x)) + x): BatchNorm folds, the Add and the Relu fuse."""
    rng = np.random.default_rng(0)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 6, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(rng.uniform(-1, 1, (4, 4, 3, 3)).astype(np.float32), "w"),
             numpy_helper.from_array(rng.uniform(0.5, 1.5, 4).astype(np.float32), "gamma"),
             numpy_helper.from_array(rng.uniform(-1, 1, 4).astype(np.float32), "beta"),
             numpy_helper.from_array(rng.uniform(-1, 1, 4).astype(np.float32), "mean"),
             numpy_helper.from_array(rng.uniform(0.5, 2, 4).astype(np.float32), "var")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], name="conv0"),
             helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], name="bn0"),
             helper.make_node("Add", ["n", "x"], ["s"], name="add0"),
             helper.make_node("Relu", ["s"], ["y"], name="relu0")]
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


class Optimize(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "model.onnx")
        onnx.save(conv_bn_relu_model(), cls.model)
        x = np.random.default_rng(1).uniform(-1, 1, (2, 4, 6, 6)).astype(np.float32)
        cls.input = os.path.join(cls.tmp.name, "x.npy")
        np.save(cls.input, x)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def edgeserve(self, *args):
        return subprocess.run([EDGESERVE, *args], capture_output=True, text=True, timeout=TIME_LIMIT_S)

    def run_model(self, model, provider, name):
        out = os.path.join(self.tmp.name, name)
        proc = self.edgeserve("run", model, "--input", self.input, "--output-dir", out, "--provider", provider)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return numpy_helper.to_array(onnx.load_tensor(os.path.join(out, "output_0.pb")))

    def test_writes_fused_nodes_that_load_back_and_match(self):
        out = os.path.join(self.tmp.name, "opt.onnx")
        proc = self.edgeserve("optimize", self.model, "-o", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        m = onnx.load(out)
        self.assertEqual([(n.domain, n.op_type) for n in m.graph.node], [("edgeserve", "FusedConv")])
        attrs = {a.name: helper.get_attribute_value(a) for a in m.graph.node[0].attribute}
        self.assertEqual(attrs["activation"], b"Relu")
        self.assertIn(("edgeserve", 1), [(o.domain, o.version) for o in m.opset_import])
        expected = self.run_model(self.model, "reference", "orig")
        for provider in ("reference", "cpu"):
            got = self.run_model(out, provider, "opt_" + provider)
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)

    def test_level_zero_keeps_the_graph(self):
        out = os.path.join(self.tmp.name, "level0.onnx")
        proc = self.edgeserve("optimize", self.model, "--output", out, "--level", "0")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([n.op_type for n in onnx.load(out).graph.node], ["Conv", "BatchNormalization", "Add", "Relu"])

    def test_errors_are_one_line(self):
        for args, code, fragment in [
                (["optimize", self.model], 2, "usage"),
                (["optimize", self.model, "-o", os.path.join(self.tmp.name, "x.onnx"), "--level", "5"], 2, "--level"),
                (["optimize", os.path.join(self.tmp.name, "missing.onnx"), "-o", "x.onnx"], 1, "missing.onnx"),
                (["optimize", self.model, "-o", "/nonexistent-dir/x.onnx"], 1, "/nonexistent-dir/x.onnx")]:
            proc = self.edgeserve(*args)
            self.assertEqual(proc.returncode, code, args)
            self.assertIn(fragment, proc.stderr)


if __name__ == "__main__":
    EDGESERVE = sys.argv.pop(1)
    unittest.main()

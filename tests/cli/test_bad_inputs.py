#!/usr/bin/python3
"""Bad input never crashes: each malformed model or request makes `edgeserve run`/`info` exit 1
with a one-line message that says what is wrong and where, within seconds and bounded memory.

Usage: test_bad_inputs.py EDGESERVE [--no-memory-limit]   (ASan builds need the flag)
"""
import os
import resource
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EDGESERVE = None
MEMORY_LIMIT = 4 << 30  # address-space cap for the child: a bounded-memory check
LIMIT_MEMORY = True
TIME_LIMIT_S = 10


def relu_model(input_shape=(1, 3), dtype=TensorProto.FLOAT):
    x = helper.make_tensor_value_info("x", dtype, list(input_shape))
    y = helper.make_tensor_value_info("y", dtype, None)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu0")], "g", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def add_const_model(init):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("Add", ["x", init.name], ["y"], name="add0")], "g", [x], [y],
                              initializer=[init])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


class BadInputs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def save_model(self, model, name="model.onnx"):
        return self.write(name, model.SerializeToString())

    def save_tensor(self, array, name, tensor_name=""):
        return self.write(name, numpy_helper.from_array(array, tensor_name).SerializeToString())

    def edgeserve(self, *args):
        def limit():
            if LIMIT_MEMORY:
                resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        start = time.monotonic()
        proc = subprocess.run([EDGESERVE, *args], capture_output=True, text=True, timeout=TIME_LIMIT_S,
                              preexec_fn=limit)
        return proc, time.monotonic() - start

    def expect_error(self, expected_fragments, *args):
        proc, elapsed = self.edgeserve(*args)
        self.assertEqual(proc.returncode, 1, f"exit code {proc.returncode}, stderr: {proc.stderr!r}")
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line, got: {proc.stderr!r}")
        for fragment in expected_fragments:
            self.assertIn(fragment, lines[0])
        self.assertLess(elapsed, TIME_LIMIT_S)
        return lines[0]

    def run_model(self, model_path, *inputs):
        args = ["run", model_path, "--output-dir", self.path("out")]
        for i in inputs:
            args += ["--input", i]
        return args

    # --- model files ---
    def test_missing_file(self):
        self.expect_error(["nope.onnx", "no such model file"], "info", self.path("nope.onnx"))

    def test_empty_file(self):
        self.expect_error(["empty.onnx", "empty"], "info", self.write("empty.onnx", b""))

    def test_random_bytes(self):
        rng = np.random.default_rng(0)
        self.expect_error(["random.onnx"], "info", self.write("random.onnx", rng.bytes(4096)))

    def test_truncated_model(self):
        data = relu_model().SerializeToString()
        self.expect_error(["truncated.onnx"], "info", self.write("truncated.onnx", data[: len(data) // 2]))

    def test_unknown_op(self):
        model = relu_model()
        model.graph.node[0].op_type = "NoSuchOp"
        self.expect_error(["relu0", "NoSuchOp", "ai.onnx", "opset 13", "unknown operator"], "info", self.save_model(model))

    def test_unsupported_custom_op_fails_run_but_info_lists_it(self):
        model = relu_model()
        model.graph.node[0].domain = "com.example"
        model.opset_import.append(helper.make_opsetid("com.example", 1))
        path = self.save_model(model)
        self.expect_error(["relu0", "com.example", "not supported"], *self.run_model(path))
        proc, _ = self.edgeserve("info", path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("com.example.Relu (1 node)", proc.stdout)

    def test_initializer_dims_do_not_match_data(self):
        init = numpy_helper.from_array(np.ones(2, np.float32), "bias")
        init.dims[:] = [3]
        self.expect_error(["initializer 'bias'", "[3]"], "info", self.save_model(add_const_model(init)))

    def test_huge_dimension(self):
        init = numpy_helper.from_array(np.ones(2, np.float32), "bias")
        init.dims[:] = [4_000_000_000]
        self.expect_error(["initializer 'bias'", "4000000000"], "info", self.save_model(add_const_model(init)))

    def external_model(self, location):
        init = numpy_helper.from_array(np.ones(2, np.float32), "bias")
        init.ClearField("raw_data")
        init.data_location = TensorProto.EXTERNAL
        entry = init.external_data.add()
        entry.key, entry.value = "location", location
        return add_const_model(init)

    def test_external_data_escaping_directory(self):
        os.makedirs(self.path("m"))
        self.write("secret.bin", np.ones(2, np.float32).tobytes())
        path = self.save_model(self.external_model("../secret.bin"), "m/model.onnx")
        self.expect_error(["initializer 'bias'", "escapes the model directory"], "info", path)

    def test_external_data_absolute_path(self):
        path = self.save_model(self.external_model("/etc/passwd"))
        self.expect_error(["initializer 'bias'", "relative path"], "info", path)

    def test_external_data_symlink_leaving_directory(self):
        os.makedirs(self.path("m"))
        self.write("secret.bin", np.ones(2, np.float32).tobytes())
        os.symlink(self.path("secret.bin"), self.path("m/link.bin"))
        path = self.save_model(self.external_model("link.bin"), "m/model.onnx")
        self.expect_error(["initializer 'bias'", "outside the model directory"], "info", path)

    def test_external_data_past_end_of_file(self):
        self.write("weights.bin", np.ones(1, np.float32).tobytes())
        path = self.save_model(self.external_model("weights.bin"))
        self.expect_error(["initializer 'bias'", "does not fit"], "info", path)

    # --- run-time inputs ---
    def test_extra_input_file(self):
        # A file whose TensorProto name matches no input binds positionally; once the inputs
        # are used up it is an error naming the file. (Wrong names through the Session API are
        # covered by the unit tests.)
        model = self.save_model(relu_model())
        x = self.save_tensor(np.ones((1, 3), np.float32), "x.pb", "not_x")
        y = self.save_tensor(np.ones((1, 3), np.float32), "y.pb", "x")
        self.expect_error(["x.pb", "more input files than model inputs"], *self.run_model(model, y, x))

    def test_wrong_input_dtype(self):
        model = self.save_model(relu_model())
        x = self.save_tensor(np.ones((1, 3), np.int64), "x.pb", "x")
        self.expect_error(["input 'x'", "int64", "expected float32"], *self.run_model(model, x))

    def test_wrong_input_shape(self):
        model = self.save_model(relu_model())
        x = self.save_tensor(np.ones((1, 4), np.float32), "x.pb", "x")
        self.expect_error(["input 'x'", "[1, 4]", "float32[1, 3]"], *self.run_model(model, x))

    def test_missing_input(self):
        model = self.save_model(relu_model())
        self.expect_error(["input 'x' is missing"], *self.run_model(model))

    def test_bad_tensor_file(self):
        model = self.save_model(relu_model())
        x = self.write("x.pb", b"\xff\xfe garbage")
        self.expect_error(["x.pb"], *self.run_model(model, x))

    def test_npy_input_runs(self):
        model = self.save_model(relu_model())
        np.save(self.path("x.npy"), np.array([[-1, 0, 2]], np.float32))
        proc, _ = self.edgeserve(*self.run_model(model, self.path("x.npy")))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        np.testing.assert_array_equal(numpy_helper.to_array(onnx.load_tensor(self.path("out/output_0.pb"))), [[0, 0, 2]])

    def test_truncated_npy(self):
        model = self.save_model(relu_model())
        np.save(self.path("x.npy"), np.ones((1, 3), np.float32))
        with open(self.path("x.npy"), "rb") as f:
            data = f.read()
        self.expect_error(["x.npy", ".npy data has"], *self.run_model(model, self.write("x.npy", data[:-4])))

    def test_huge_output_is_refused(self):
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
        graph = helper.make_graph([helper.make_node("ConstantOfShape", ["s"], ["y"], name="big")], "g", [], [y],
                                  initializer=[helper.make_tensor("s", TensorProto.INT64, [3], [100000] * 3)])
        model = self.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
        self.expect_error(["big", "ConstantOfShape", "limit"], *self.run_model(model))

    def test_valid_model_runs(self):
        model = self.save_model(relu_model())
        x = self.save_tensor(np.array([[-1, 0, 2]], np.float32), "x.pb", "x")
        proc, _ = self.edgeserve(*self.run_model(model, x))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = onnx.load_tensor(self.path("out/output_0.pb"))
        np.testing.assert_array_equal(numpy_helper.to_array(out), [[0, 0, 2]])
        self.assertEqual(out.name, "y")


if __name__ == "__main__":
    EDGESERVE = os.path.abspath(sys.argv[1])
    if "--no-memory-limit" in sys.argv:
        LIMIT_MEMORY = False
    unittest.main(argv=[sys.argv[0]], verbosity=1)

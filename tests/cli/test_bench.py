#!/usr/bin/python3
"""`edgeserve bench` on small generated models: the --json object and its fields, run counts,
--streams, --batch and --shape, --profile, and one-line usage errors (exit 2) and load errors
(exit 1).

Usage: test_bench.py EDGESERVE
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from onnx import TensorProto, helper

EDGESERVE = None
TIME_LIMIT_S = 60


def save(model, directory, name):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def chain_model(dims):
    """y = Sigmoid(Relu(x + x)) with nodes add0, relu0, sig0; x is float32 of `dims`."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Add", ["x", "x"], ["s"], name="add0"),
             helper.make_node("Relu", ["s"], ["r"], name="relu0"),
             helper.make_node("Sigmoid", ["r"], ["y"], name="sig0")]
    graph = helper.make_graph(nodes, "g", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def mixed_dtype_model():
    """y = Where(c, Cast(i), 0): a bool and an int64 input sharing the symbolic dim n."""
    c = helper.make_tensor_value_info("c", TensorProto.BOOL, ["n", 4])
    i = helper.make_tensor_value_info("i", TensorProto.INT64, ["n", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    nodes = [helper.make_node("Cast", ["i"], ["f"], to=TensorProto.FLOAT, name="cast0"),
             helper.make_node("Where", ["c", "f", "zero"], ["y"], name="where0")]
    graph = helper.make_graph(nodes, "g", [c, i], [y], initializer=[zero])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


class Bench(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = save(chain_model(["batch", 3]), cls.tmp.name, "chain.onnx")
        cls.two_symbols = save(chain_model(["batch", "seq"]), cls.tmp.name, "two_symbols.onnx")
        cls.static = save(chain_model([2, 3]), cls.tmp.name, "static.onnx")
        cls.mixed = save(mixed_dtype_model(), cls.tmp.name, "mixed.onnx")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def bench(self, *args):
        return subprocess.run([EDGESERVE, "bench", *args], capture_output=True, text=True, timeout=TIME_LIMIT_S)

    def bench_json(self, *args):
        proc = self.bench(*args, "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one JSON line, got {proc.stdout!r}")
        return json.loads(lines[0])

    def expect_error(self, code, fragments, *args):
        proc = self.bench(*args)
        self.assertEqual(proc.returncode, code, f"stdout {proc.stdout!r} stderr {proc.stderr!r}")
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line, got {proc.stderr!r}")
        self.assertTrue(lines[0].startswith("edgeserve bench: "), lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertEqual(proc.stdout, "")

    def test_json_has_the_documented_fields(self):
        r = self.bench_json(self.model, "--iterations", "5", "--warmup", "2", "--threads", "1")
        for key in ("p50", "p90", "p99", "mean"):
            self.assertGreater(r["latency_ms"][key], 0)
        lat = r["latency_ms"]
        self.assertLessEqual(lat["min"], lat["p50"])
        self.assertLessEqual(lat["p50"], lat["p90"])
        self.assertLessEqual(lat["p90"], lat["p99"])
        self.assertLessEqual(lat["p99"], lat["max"])
        self.assertGreater(r["throughput_per_s"], 0)
        self.assertGreater(r["load_ms"], 0)
        self.assertAlmostEqual(r["load_ms"], r["session_load_ms"] + r["first_inference_ms"], places=3)
        self.assertGreater(r["peak_rss_bytes"], 1 << 20)
        o = r["options"]
        self.assertEqual((o["batch"], o["threads"], o["streams"], o["session_threads"]), (1, 1, 1, 1))
        self.assertEqual((o["iterations"], o["warmup"], o["level"]), (5, 2, 2))
        self.assertEqual(o["provider"], "cpu")  # the default
        self.assertNotIn("profile", r)
        self.assertNotIn("arena_bytes", r)  # comes with the memory planner; never a made-up figure

    def test_iterations_and_warmup_are_honoured(self):
        r = self.bench_json(self.model, "--iterations", "13", "--warmup", "3")
        self.assertEqual(r["iterations"], 13)
        self.assertEqual(r["warmup_runs"], 3)

    def test_duration_measures_for_about_that_long(self):
        r = self.bench_json(self.model, "--duration", "0.3", "--warmup", "0")
        self.assertGreaterEqual(r["iterations"], 1)
        self.assertIsNone(r["options"]["iterations"])
        self.assertEqual(r["options"]["duration_s"], 0.3)
        self.assertGreaterEqual(r["iterations"] / r["throughput_per_s"], 0.25)

    def test_two_streams_share_the_runs_and_the_threads(self):
        r = self.bench_json(self.model, "--streams", "2", "--threads", "2", "--iterations", "20", "--warmup", "2")
        self.assertEqual(r["iterations"], 20)
        self.assertEqual((r["options"]["streams"], r["options"]["session_threads"]), (2, 1))

    def test_batch_sets_the_symbolic_dim_and_items_per_s(self):
        r = self.bench_json(self.model, "--batch", "4", "--iterations", "3")
        self.assertEqual(r["inputs"], [{"name": "x", "dtype": "float32", "dims": [4, 3]}])
        self.assertAlmostEqual(r["items_per_s"], 4 * r["throughput_per_s"], delta=1e-6 * r["items_per_s"])

    def test_a_second_symbolic_dim_needs_a_shape(self):
        self.expect_error(2, ["two_symbols.onnx", "input 'x' dim 1 ('seq')", "--shape x=DIMS"], self.two_symbols)
        r = self.bench_json(self.two_symbols, "--shape", "x=2x5", "--iterations", "2")
        self.assertEqual(r["inputs"][0]["dims"], [2, 5])
        self.assertEqual(r["options"]["shapes"], {"x": [2, 5]})

    def test_a_batch_with_no_symbolic_dim_is_refused(self):
        self.expect_error(2, ["--batch 2", "symbolic"], self.static, "--batch", "2")

    def test_random_inputs_of_other_dtypes(self):
        r = self.bench_json(self.mixed, "--batch", "2", "--iterations", "2")
        self.assertEqual([(i["name"], i["dtype"], i["dims"]) for i in r["inputs"]],
                         [("c", "bool", [2, 4]), ("i", "int64", [2, 4])])

    def test_profile_lists_every_node(self):
        r = self.bench_json(self.model, "--iterations", "4", "--profile", "--provider", "reference")
        p = r["profile"]
        self.assertEqual(p["runs"], 4)
        self.assertEqual(sorted((n["node"], n["op_type"]) for n in p["nodes"]),
                         [("add0", "Add"), ("relu0", "Relu"), ("sig0", "Sigmoid")])
        self.assertAlmostEqual(sum(o["percent"] for o in p["op_types"]), 100, places=3)
        self.assertEqual({o["op_type"]: o["count"] for o in p["op_types"]}, {"Add": 1, "Relu": 1, "Sigmoid": 1})

    def test_text_report(self):
        proc = self.bench(self.model, "--iterations", "3", "--profile")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for fragment in ("latency    p50", "throughput", "items/s", "load", "Session::load", "peak RSS",
                         "provider cpu", "op type", "relu0"):
            self.assertIn(fragment, proc.stdout)

    def test_info_plan_reports_steps_and_arena_bytes(self):
        proc = subprocess.run([EDGESERVE, "info", self.model, "--plan", "--batch", "4"], capture_output=True,
                              text=True, timeout=TIME_LIMIT_S)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        plan = proc.stdout[proc.stdout.index("plan (cpu provider, level 2, batch 4):"):].splitlines()
        self.assertRegex(plan[1], r"^\s+cpu\s+3 nodes\s+arena\s+\d+ bytes")
        total = int(plan[-1].split(":")[1])
        # Add writes straight into the output tensor and Relu, Sigmoid overwrite it in place:
        # the chain needs no arena at all.
        self.assertEqual(total, 0)
        proc = subprocess.run([EDGESERVE, "info", self.two_symbols, "--plan"], capture_output=True, text=True,
                              timeout=TIME_LIMIT_S)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("seq", proc.stderr)

    def test_an_idle_session_does_not_spin(self):
        # OpenMP workers that busy-wait between requests would burn a core here.
        r = self.bench_json(self.model, "--iterations", "5", "--idle-s", "1", "--provider", "cpu")
        self.assertGreaterEqual(r["idle_cpu_percent"], 0)
        self.assertLess(r["idle_cpu_percent"], 5)
        self.assertEqual(r["options"]["idle_s"], 1)

    def test_cpu_profile_breaks_the_subgraph_down_by_op_type(self):
        p = self.bench_json(self.model, "--iterations", "4", "--profile", "--provider", "cpu")["profile"]
        self.assertEqual({o["op_type"] for o in p["op_types"]}, {"Add", "Relu", "Sigmoid"})
        self.assertIn("edgeserve.Subgraph", {n["op_type"] for n in p["nodes"]})
        self.assertLessEqual(sum(o["percent"] for o in p["op_types"]), 100 + 1e-6)

    def test_bad_options_are_usage_errors(self):
        cases = [
            (["--batch", "0"], "--batch"), (["--threads", "-1"], "--threads"), (["--streams", "0"], "--streams"),
            (["--iterations", "0"], "--iterations"), (["--iterations", "x"], "--iterations"),
            (["--duration", "0"], "--duration"), (["--iterations", "2", "--duration", "1"], "mutually exclusive"),
            (["--warmup", "-1"], "--warmup"), (["--provider", "nope"], "unknown provider 'nope'"),
            (["--level", "3"], "--level"), (["--shape", "x"], "NAME=DIMS"), (["--shape", "y=1x3"], "no input 'y'"),
            (["--no-such-flag"], "unknown option"),
        ]
        for args, fragment in cases:
            with self.subTest(args=args):
                self.expect_error(2, [fragment], self.model, *args)
        self.expect_error(2, ["MODEL"])

    def test_load_failures_exit_1(self):
        self.expect_error(1, ["missing.onnx", "no such model file"], os.path.join(self.tmp.name, "missing.onnx"))
        garbage = os.path.join(self.tmp.name, "garbage.onnx")
        with open(garbage, "wb") as f:
            f.write(b"\x08\x96\x01garbage")
        self.expect_error(1, ["garbage.onnx"], garbage)

    def test_help(self):
        proc = self.bench("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("--streams", proc.stdout)


if __name__ == "__main__":
    EDGESERVE = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]], verbosity=1)

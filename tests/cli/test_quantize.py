#!/usr/bin/python3
"""`edgeserve quantize` end to end on squeezenet 1.1 (../shared/models) with calibration images
from Debian's opencv-doc: the QDQ model is valid ONNX (opset 13, FP32 graph inputs/outputs under
their names), about 4x smaller, runs in `edgeserve run --provider reference`, and its top-1 on the
images NOT used for calibration agrees with FP32 on >= 90%. Also the one-line errors (bad SPEC,
unreadable image, unknown --exclude node, tensor of the wrong shape). Skips (77) when the model
or the images are absent.

Usage: test_quantize.py EDGESERVE [--extra-eval DIR ...]   (extra folders only widen the figure)
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
EXTRA_EVAL = []
# --sanitizer (ASan/UBSan builds): the held-out pass runs a few images for memory errors only; the
# agreement figure is the release build's business (a sanitized run per image is seconds).
SANITIZER = False
SANITIZER_IMAGES = 6
HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.normpath(os.path.join(HERE, "../../../shared/models/squeezenet1.1/squeezenet1.1_caffe2_fp32.onnx"))
IMAGES = "/usr/share/doc/opencv-doc/examples/data"
SPEC = "bgr,crop=256,size=224x224,mean=104:117:123"  # SOURCE.md: Caffe BGR minus mean, centre crop
CALIBRATION_COUNT = 20
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".bmp")


def list_images(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXT))


def preprocess(path):
    """The SPEC above in PIL: shorter side 256 (bilinear), centre 224x224, BGR minus the mean."""
    from PIL import Image
    img = Image.open(path).convert("RGB")
    r = 256.0 / min(img.size)
    w, h = max(224, round(img.size[0] * r)), max(224, round(img.size[1] * r))
    img = img.resize((w, h), Image.BILINEAR)
    x0, y0 = (w - 224) // 2, (h - 224) // 2
    a = np.asarray(img.crop((x0, y0, x0 + 224, y0 + 224)), dtype=np.float32)[:, :, ::-1]
    a = a - np.array([104, 117, 123], dtype=np.float32)
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None])


def edgeserve(*args, timeout=600):
    return subprocess.run([EDGESERVE, *args], capture_output=True, text=True, timeout=timeout)


def top1(model, provider, npy, out_dir):
    proc = edgeserve("run", model, "--input", npy, "--output-dir", out_dir, "--provider", provider)
    if proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return int(numpy_helper.to_array(onnx.load_tensor(os.path.join(out_dir, "output_0.pb"))).ravel().argmax())


def two_input_model():
    """y = Conv(Relu(Conv(a))) + b: two inputs, so calibration reads one subfolder per sample."""
    rng = np.random.default_rng(0)
    inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 2, 6, 6]),
              helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 3, 6, 6])]
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(rng.normal(0, 0.5, (4, 2, 3, 3)).astype(np.float32), "w1"),
             numpy_helper.from_array(rng.normal(0, 0.5, (3, 4, 1, 1)).astype(np.float32), "w2")]
    nodes = [helper.make_node("Conv", ["a", "w1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2"),
             helper.make_node("Add", ["c2", "b"], ["y"], name="add")]
    graph = helper.make_graph(nodes, "g", inputs, [y], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


class QuantizeTensorSamples(unittest.TestCase):
    """Tensor-file calibration (several inputs: a subfolder per sample) and the accuracy guard on a
    tiny generated model; needs nothing from ../shared."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "two.onnx")
        onnx.save(two_input_model(), cls.model)
        cls.samples = os.path.join(cls.tmp.name, "samples")
        rng = np.random.default_rng(1)
        for i in range(4):
            d = os.path.join(cls.samples, f"s{i}")
            os.makedirs(d)
            np.save(os.path.join(d, "a.npy"), rng.uniform(-1, 1, (1, 2, 6, 6)).astype(np.float32))
            np.save(os.path.join(d, "b.npy"), rng.uniform(-1, 1, (1, 3, 6, 6)).astype(np.float32))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def quantize(self, out, *extra):
        return edgeserve("quantize", self.model, "-o", out, "--calibration", self.samples, *extra, timeout=120)

    def test_multi_input_samples_and_close_outputs(self):
        out = os.path.join(self.tmp.name, "q.onnx")
        proc = self.quantize(out, "--per-channel", "--method", "entropy")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("quantized 3 nodes", proc.stdout)
        m = onnx.load(out)
        onnx.checker.check_model(m, full_check=True)
        self.assertEqual([i.name for i in m.graph.input], ["a", "b"])
        s0 = os.path.join(self.samples, "s0")
        outs = []
        for model in (self.model, out):
            d = os.path.join(self.tmp.name, "run_" + os.path.basename(model))
            r = edgeserve("run", model, "--input", os.path.join(s0, "a.npy"), "--input", os.path.join(s0, "b.npy"),
                          "--output-dir", d, "--provider", "reference")
            self.assertEqual(r.returncode, 0, r.stderr)
            outs.append(numpy_helper.to_array(onnx.load_tensor(os.path.join(d, "output_0.pb"))).ravel())
        cos = float(outs[0] @ outs[1] / np.linalg.norm(outs[0]) / np.linalg.norm(outs[1]))
        self.assertGreater(cos, 0.99)
        self.assertFalse(np.array_equal(outs[0], outs[1]))

    def test_guard_keeps_nodes_fp32_until_the_drop_fits(self):
        out = os.path.join(self.tmp.name, "guard0.onnx")
        proc = self.quantize(out, "--max-drop", "0")  # only an all-FP32 model has no drop
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("after 4 attempts", proc.stdout)  # 3 quantized nodes, kept FP32 one by one
        for node in ("conv1", "conv2", "add"):
            self.assertIn(f"FP32 node: {node} (accuracy: added noise/signal", proc.stdout)
        self.assertEqual(proc.stderr.count("guard: attempt"), 4)
        out = os.path.join(self.tmp.name, "guard1.onnx")
        proc = self.quantize(out, "--max-drop", "0.5")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("mean cosine similarity", proc.stdout)
        self.assertIn("after 1 attempt\n", proc.stdout)
        self.assertIn("FP32 nodes: none", proc.stdout)


class Quantize(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        images = list_images(IMAGES)
        cls.calibration = os.path.join(cls.tmp.name, "cal")
        os.mkdir(cls.calibration)
        for p in images[:CALIBRATION_COUNT]:
            os.symlink(p, os.path.join(cls.calibration, os.path.basename(p)))
        cls.held_out = images[CALIBRATION_COUNT:]
        for d in EXTRA_EVAL:
            cls.held_out += list_images(d)
        cls.output = os.path.join(cls.tmp.name, "sq_int8.onnx")
        cls.proc = edgeserve("quantize", MODEL, "-o", cls.output, "--calibration", cls.calibration,
                             "--preprocess", SPEC, "--per-channel", "--method", "entropy")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_writes_a_valid_qdq_model_4x_smaller(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        m = onnx.load(self.output)
        onnx.checker.check_model(m, full_check=True)
        self.assertGreaterEqual([o.version for o in m.opset_import if o.domain in ("", "ai.onnx")][0], 13)
        ops = [n.op_type for n in m.graph.node]
        self.assertEqual(ops.count("Conv"), 26)
        self.assertGreater(ops.count("QuantizeLinear"), 26)
        ref = onnx.load(MODEL)
        self.assertEqual([i.name for i in m.graph.input], ["data_0"])
        self.assertEqual([o.name for o in m.graph.output], [o.name for o in ref.graph.output])
        self.assertEqual(m.graph.input[0].type.tensor_type.elem_type, onnx.TensorProto.FLOAT)
        int8 = [t for t in m.graph.initializer if t.data_type == onnx.TensorProto.INT8 and len(t.dims) == 4]
        self.assertEqual(len(int8), 26)
        ratio = os.path.getsize(MODEL) / os.path.getsize(self.output)
        self.assertGreater(ratio, 3.5)
        self.assertIn("smaller", self.proc.stdout)
        self.assertIn("calibrating", self.proc.stderr)

    def test_top1_agrees_with_fp32_on_held_out_images(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        same = 0
        held_out = self.held_out[:SANITIZER_IMAGES] if SANITIZER else self.held_out
        for i, path in enumerate(held_out):
            npy = os.path.join(self.tmp.name, "x.npy")
            np.save(npy, preprocess(path))
            a = top1(MODEL, "cpu", npy, os.path.join(self.tmp.name, "fp32"))
            b = top1(self.output, "cpu", npy, os.path.join(self.tmp.name, "int8"))
            same += a == b
        agreement = same / len(held_out)
        print(f"\nsqueezenet top-1 agreement INT8 vs FP32 on {len(held_out)} held-out images: "
              f"{agreement:.4f} ({same}/{len(held_out)})", file=sys.stderr)
        if not SANITIZER:
            self.assertGreaterEqual(agreement, 0.90)

    def test_exclude_keeps_a_node_fp32_and_reports_it(self):
        out = os.path.join(self.tmp.name, "excluded.onnx")
        first = onnx.load(MODEL).graph.node[0]
        conv = first.name or f"{first.op_type}_0"  # import names an unnamed node <op>_<position>
        proc = edgeserve("quantize", MODEL, "-o", out, "--calibration", self.calibration, "--preprocess", SPEC,
                         "--samples", "2", "--exclude", conv)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"FP32 node: {conv} (excluded by the user)", proc.stdout)
        node = [n for n in onnx.load(out).graph.node if n.name == conv][0]
        self.assertFalse(any(i.endswith("_dequantized") for i in node.input[:2]), node.input)

    def assert_one_line_error(self, proc, *fragments):
        self.assertIn(proc.returncode, (1, 2), proc.stdout)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        for f in fragments:
            self.assertIn(f, lines[0])

    def test_errors_are_one_line_and_name_the_problem(self):
        out = os.path.join(self.tmp.name, "bad.onnx")
        args = ["quantize", MODEL, "-o", out, "--calibration", self.calibration]
        self.assert_one_line_error(edgeserve(*args, "--preprocess", "bgr,sizes=3"), "unknown field 'sizes'")
        self.assert_one_line_error(edgeserve(*args, "--preprocess", "mean=1:2"), "mean=1:2", "malformed")
        self.assert_one_line_error(edgeserve(*args, "--exclude", "no_such_node"), "no_such_node")
        broken = os.path.join(self.tmp.name, "broken")
        os.mkdir(broken)
        with open(os.path.join(broken, "a.jpg"), "wb") as f:
            f.write(b"not an image")
        self.assert_one_line_error(edgeserve("quantize", MODEL, "-o", out, "--calibration", broken), "a.jpg", "decoded")
        tensors = os.path.join(self.tmp.name, "tensors")
        os.mkdir(tensors)
        np.save(os.path.join(tensors, "s0.npy"), np.zeros((1, 3, 32, 32), np.float32))
        self.assert_one_line_error(edgeserve("quantize", MODEL, "-o", out, "--calibration", tensors),
                                   "s0.npy", "does not match input 'data_0'")


if __name__ == "__main__":
    EDGESERVE = sys.argv[1]
    rest = sys.argv[2:]
    while rest and rest[0] in ("--extra-eval", "--sanitizer"):
        if rest[0] == "--sanitizer":
            SANITIZER = True
            rest = rest[1:]
            continue
        EXTRA_EVAL.append(rest[1])
        rest = rest[2:]
    skip = None
    if not os.path.exists(MODEL) or not os.path.isdir(IMAGES) or len(list_images(IMAGES)) <= CALIBRATION_COUNT:
        skip = f"needs {MODEL} and images in {IMAGES} (apt install opencv-doc)"
    try:
        import PIL  # noqa: F401
    except ImportError:
        skip = "needs python3-pil"
    if skip:
        print(f"squeezenet cases skipped: {skip}")
        del Quantize
    unittest.main(argv=[sys.argv[0], *rest])

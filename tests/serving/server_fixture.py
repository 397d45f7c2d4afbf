"""Starts `edgeserve serve` on ephemeral ports with a temporary model repository, for the serving
tests. The server prints `listening <http|grpc|metrics> <host>:<port>` lines and then `ready`."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
import onnx.mapping
from onnx import TensorProto, helper

LISTEN_RE = re.compile(r"^listening (\w+) (\S+):(\d+)$")


FAILURES = []


def check(cond, what):
    """Records a failed check and goes on, so that one run reports every failure."""
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


def finish(label, log=None):
    """Exits 1 after the failures (and the server log's tail, when given), else says all passed."""
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        if log is not None:
            print("".join(log[-30:]))
        sys.exit(1)
    print(f"all {label} checks passed")


class Server:
    def __init__(self, binary, repo, extra_args=(), ready_timeout_s=120):
        self.repo = repo
        args = [binary, "serve", "--model-repository", repo, "--http-port", "0", "--grpc-port", "0",
                "--metrics-port", "0", *extra_args]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.ports = {}
        self.log = []
        deadline = time.time() + ready_timeout_s
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("edgeserve serve exited early:\n" + "".join(self.log))
            self.log.append(line)
            m = LISTEN_RE.match(line.strip())
            if m:
                self.ports[m.group(1)] = int(m.group(3))
            if line.strip() == "ready":
                break
        else:
            self.proc.kill()
            raise RuntimeError("edgeserve serve did not become ready:\n" + "".join(self.log))
        # Keep draining the log so the server never blocks on a full pipe.
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()

    def _read_rest(self):
        for line in self.proc.stdout:
            self.log.append(line)

    @property
    def http(self):
        return f"127.0.0.1:{self.ports['http']}"

    @property
    def grpc(self):
        return f"127.0.0.1:{self.ports['grpc']}"

    @property
    def metrics(self):
        return f"127.0.0.1:{self.ports['metrics']}"

    def stop(self, timeout_s=30):
        """SIGTERM, then wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()


def save_model(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def np_dtype(dtype):
    """TensorProto dtype -> numpy dtype; onnx.helper.tensor_dtype_to_np_dtype is onnx >= 1.13 only."""
    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):
        return onnx.helper.tensor_dtype_to_np_dtype(dtype)
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[dtype]


def add_model(batch_dim="batch", dtype=TensorProto.FLOAT, width=4, offset=0):
    """y = x + c (c = offset + 0..width-1), z = x * 2: a tiny model with two outputs.
    batch_dim None -> fixed 1."""
    first = batch_dim if batch_dim else 1
    x = helper.make_tensor_value_info("x", dtype, [first, width])
    y = helper.make_tensor_value_info("y", dtype, [first, width])
    z = helper.make_tensor_value_info("z", dtype, [first, width])
    np_type = np_dtype(dtype)
    c = helper.make_tensor("c", dtype, [width], (np.arange(width) + offset).astype(np_type).tobytes(), raw=True)
    two = helper.make_tensor("two", dtype, [], np.array(2).astype(np_type).tobytes(), raw=True)
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "c"], ["y"]), helper.make_node("Mul", ["x", "two"], ["z"])],
        "add", [x], [y, z], [c, two])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def make_repo(models):
    """models: {name: {version: onnx ModelProto, 'config': text}} -> a temporary repository path."""
    repo = tempfile.mkdtemp(prefix="edgeserve-repo-")
    for name, entry in models.items():
        for key, value in entry.items():
            if key == "config":
                os.makedirs(os.path.join(repo, name), exist_ok=True)
                with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
                    f.write(value)
            else:
                save_model(value, os.path.join(repo, name, str(key), "model.onnx"))
    return repo


def binary_path():
    if len(sys.argv) < 2:
        sys.exit("usage: test_x.py path/to/edgeserve")
    return sys.argv[1]


def slow_model(size=1024, depth=24):
    """x[batch, size] -> y: `depth` MatMuls with size x size weights: a few ms per run, for load tests."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", size])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", size])
    rng = np.random.default_rng(0)
    inits, nodes, prev = [], [], "x"
    for i in range(depth):
        w = (rng.standard_normal((size, size)) / np.sqrt(size)).astype(np.float32)
        inits.append(helper.make_tensor(f"w{i}", TensorProto.FLOAT, [size, size], w.tobytes(), raw=True))
        out = "y" if i == depth - 1 else f"h{i}"
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [out]))
        prev = out
    graph = helper.make_graph(nodes, "slow", [x], [y], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

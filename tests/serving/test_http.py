"""The KServe v2 REST API of `edgeserve serve` with real clients (curl and Python's http.client):
health, metadata, infer with JSON and binary tensors, the Triton extensions, and every kind of
bad request, each answered with the right status while the server stays up."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import server_fixture as fx  # noqa: E402
from onnx import TensorProto  # noqa: E402
from server_fixture import check  # noqa: E402



def request(addr, method, path, body=None, headers=None):
    host, port = addr.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    hdrs = dict(r.getheaders())
    conn.close()
    return r.status, hdrs, data


def post_json(addr, path, obj):
    status, hdrs, data = request(addr, "POST", path, json.dumps(obj).encode(), {"Content-Type": "application/json"})
    return status, json.loads(data) if data else None


def curl(*args):
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, check=True)
    body, code = out.stdout.rsplit(b"\n", 1)
    return int(code), body


def test_health_and_metadata(s):
    code, _ = curl(f"http://{s.http}/v2/health/live")
    check(code == 200, "live is 200")
    code, _ = curl(f"http://{s.http}/v2/health/ready")
    check(code == 200, "ready is 200")
    code, body = curl(f"http://{s.http}/v2")
    meta = json.loads(body)
    check(code == 200 and meta["name"] == "edgeserve" and "binary_tensor_data" in meta["extensions"],
          f"server metadata lists extensions: {meta}")
    for path in ["/v2/models/add", "/v2/models/add/versions/1"]:
        code, body = curl(f"http://{s.http}{path}")
        m = json.loads(body)
        check(code == 200 and m["inputs"][0] == {"name": "x", "datatype": "FP32", "shape": [-1, 4]},
              f"model metadata {path}: {m}")
    for path in ["/v2/models/add/ready", "/v2/models/add/versions/1/ready"]:
        check(curl(f"http://{s.http}{path}")[0] == 200, f"{path} is 200")
    check(curl(f"http://{s.http}/v2/models/add/versions/7/ready")[0] == 503, "unknown version not ready")
    code, body = curl(f"http://{s.http}/v2/models/add/versions/7")
    check(code == 404 and "error" in json.loads(body), f"unknown version metadata 404: {code} {body}")
    code, body = curl(f"http://{s.http}/v2/models/add/config")
    check(code == 200 and json.loads(body)["max_batch_size"] == 8, f"config auto-completed: {body[:200]}")


def test_infer_json(s):
    x = [[1, 2, 3, 4], [5, 6, 7, 8]]
    code, body = curl("-X", "POST", f"http://{s.http}/v2/models/add/infer", "-H", "Content-Type: application/json",
                      "-d", json.dumps({"id": "req-7", "inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32",
                                                                   "data": x}]}))
    r = json.loads(body)
    check(code == 200 and r["id"] == "req-7" and r["model_name"] == "add" and r["model_version"] == "1",
          f"infer envelope: {r}")
    outs = {o["name"]: o for o in r["outputs"]}
    check(outs["y"]["data"] == [1, 3, 5, 7, 5, 7, 9, 11] and outs["y"]["shape"] == [2, 4], f"y: {outs.get('y')}")
    check(outs["z"]["data"] == [2, 4, 6, 8, 10, 12, 14, 16], f"z: {outs.get('z')}")
    # flat data, one requested output, version in the path
    status, r = post_json(s.http, "/v2/models/add/versions/1/infer",
                          {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 1, 1, 1]}],
                           "outputs": [{"name": "z"}]})
    check(status == 200 and [o["name"] for o in r["outputs"]] == ["z"] and "id" not in r,
          f"requested subset: {status} {r}")
    for dtype, np_type, name in [("INT64", np.int64, "add_i64"), ("INT32", np.int32, "add_i32"),
                                 ("UINT8", np.uint8, "add_u8"), ("FP64", np.float64, "add_f64")]:
        status, r = post_json(s.http, f"/v2/models/{name}/infer",
                              {"inputs": [{"name": "x", "shape": [1, 4], "datatype": dtype, "data": [1, 2, 3, 4]}]})
        check(status == 200 and r["outputs"][0]["datatype"] == dtype and r["outputs"][0]["data"] == [1, 3, 5, 7],
              f"{dtype} infer: {status} {r}")


def binary_infer(addr, path, inputs, outputs=None, binary_output=True):
    """inputs: [(name, datatype, np array)] sent as binary; returns (status, json, {name: bytes})."""
    header = {"inputs": [], "parameters": {"binary_data_output": binary_output}}
    blobs = []
    for name, dtype, arr in inputs:
        raw = arr.tobytes()
        header["inputs"].append({"name": name, "shape": list(arr.shape), "datatype": dtype,
                                 "parameters": {"binary_data_size": len(raw)}})
        blobs.append(raw)
    if outputs:
        header["outputs"] = [{"name": n, "parameters": {"binary_data": True}} for n in outputs]
    js = json.dumps(header).encode()
    status, hdrs, data = request(addr, "POST", path, js + b"".join(blobs),
                                 {"Inference-Header-Content-Length": str(len(js)),
                                  "Content-Type": "application/octet-stream"})
    if status != 200:
        return status, json.loads(data), {}
    n = int(hdrs.get("Inference-Header-Content-Length", len(data)))
    meta = json.loads(data[:n])
    out, off = {}, n
    for o in meta["outputs"]:
        size = o.get("parameters", {}).get("binary_data_size")
        if size is not None:
            out[o["name"]] = data[off:off + size]
            off += size
    return status, meta, out


RESHAPE_CONFIG = """max_batch_size: 8
input [{ name: "x" data_type: TYPE_FP32 dims: [2, 2] reshape: { shape: [4] } }]
output [{ name: "y" data_type: TYPE_FP32 dims: [2, 2] reshape: { shape: [4] } },
        { name: "z" data_type: TYPE_FP32 dims: [4] }]
"""


def test_reshape(s):
    status, r = post_json(s.http, "/v2/models/add_reshape/infer",
                          {"inputs": [{"name": "x", "shape": [1, 2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]})
    outs = {o["name"]: o for o in (r or {}).get("outputs", [])}
    check(status == 200 and outs["y"]["shape"] == [1, 2, 2] and outs["y"]["data"] == [1, 3, 5, 7]
          and outs["z"]["shape"] == [1, 4], f"config reshape: {status} {r}")


def test_infer_binary(s):
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    status, meta, out = binary_infer(s.http, "/v2/models/add/infer", [("x", "FP32", x)])
    check(status == 200, f"binary infer status {status} {meta}")
    if status == 200:
        y = np.frombuffer(out["y"], dtype=np.float32).reshape(2, 4)
        check(np.array_equal(y, x + np.arange(4, dtype=np.float32)), "binary y values")
    # the binary extension through curl, with a file as the body
    js = json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32",
                                 "parameters": {"binary_data_size": 16}}],
                     "outputs": [{"name": "y", "parameters": {"binary_data": False}}]}).encode()
    path = os.path.join(s.repo, "body.bin")
    with open(path, "wb") as f:
        f.write(js + np.ones(4, np.float32).tobytes())
    code, body = curl("-X", "POST", f"http://{s.http}/v2/models/add/infer", "-H",
                      f"Inference-Header-Content-Length: {len(js)}", "--data-binary", f"@{path}")
    check(code == 200 and json.loads(body)["outputs"][0]["data"] == [1, 2, 3, 4], f"curl binary: {code} {body}")
    h = np.array([1.5, -2, 0.25, 8], dtype=np.float16).reshape(1, 4)
    status, meta, out = binary_infer(s.http, "/v2/models/add_f16/infer", [("x", "FP16", h)])
    check(status == 200 and np.array_equal(np.frombuffer(out["z"], np.float16), (h * 2).ravel()),
          f"FP16 binary: {status} {meta}")


def test_repository_and_stats(s):
    status, hdrs, data = request(s.http, "POST", "/v2/repository/index", b"{}")
    index = json.loads(data)
    names = {e["name"] for e in index}
    check(status == 200 and {"add", "bad_config"} <= names, f"index: {index}")
    bad = [e for e in index if e["name"] == "bad_config"]
    check(bad and bad[0]["state"] == "UNAVAILABLE" and "config.pbtxt" in bad[0].get("reason", "")
          and "max_batch_sizee" in bad[0].get("reason", ""), f"bad config reported with file and field: {bad}")
    status, hdrs, data = request(s.http, "GET", "/v2/models/add/stats")
    st = json.loads(data)["model_stats"][0]
    check(status == 200 and st["inference_count"] >= 3 and st["execution_count"] >= 2, f"stats: {st}")
    status, hdrs, data = request(s.metrics, "GET", "/metrics")
    text = data.decode()
    check(status == 200 and 'edgeserve_inference_count_total{model="add",version="1"}' in text
          and "process_resident_memory_bytes" in text and "edgeserve_request_duration_seconds_bucket" in text,
          "metrics text")
    status, _, data = request(s.http, "POST", "/v2/repository/models/add/load", b"{}")
    check(status == 503 and b"model-control-mode" in data, f"load refused in mode none: {status} {data}")


def bad(s, body, want_status, want_text, headers=None, path="/v2/models/add/infer"):
    status, hdrs, data = request(s.http, "POST", path, body, headers or {"Content-Type": "application/json"})
    try:
        msg = json.loads(data)["error"]
    except Exception:  # noqa: BLE001
        msg = data[:200]
    check(status == want_status and want_text in str(msg),
          f"{want_text!r}: got {status} {msg!r}, expected {want_status}")


def test_bad_requests(s):
    bad(s, b'{"inputs": [', 400, "JSON")
    bad(s, b"[" * 10000 + b"]" * 10000, 400, "nesting")
    x = {"name": "x", "shape": [1, 4], "datatype": "INT32", "data": [1, 2, 3, 4]}
    bad(s, json.dumps({"inputs": [x]}).encode(), 400, "'x'")
    x = {"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3]}
    bad(s, json.dumps({"inputs": [x]}).encode(), 400, "x")
    x = {"name": "x", "shape": [1000000, 1000000], "datatype": "FP32", "data": [1]}
    bad(s, json.dumps({"inputs": [x]}).encode(), 400, "x")
    x = {"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}
    bad(s, json.dumps({"inputs": [x]}).encode(), 404, "nope", path="/v2/models/nope/infer")
    bad(s, json.dumps({"inputs": [x]}).encode(), 404, "version", path="/v2/models/add/versions/9/infer")
    bad(s, json.dumps({"inputs": [dict(x, name="w")]}).encode(), 400, "'w'")
    js = json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32",
                                 "parameters": {"binary_data_size": 16}}]}).encode()
    bad(s, js + b"\0" * 12, 400, "x", {"Inference-Header-Content-Length": str(len(js))})
    bad(s, js + b"\0" * 16, 400, "", {"Inference-Header-Content-Length": str(len(js) + 100)})
    bad(s, js + b"\0" * 16, 400, "Inference-Header-Content-Length", {"Inference-Header-Content-Length": "abc"})
    x = {"name": "x", "shape": [9, 4], "datatype": "FP32", "data": [0] * 36}
    bad(s, json.dumps({"inputs": [x]}).encode(), 400, "max_batch_size")
    # oversized body: refused from the Content-Length alone, before it is read
    host, port = s.http.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as c:
        c.sendall(b"POST /v2/models/add/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
        reply = c.recv(4096)
        check(reply.startswith(b"HTTP/1.1 413"), f"oversized body 413: {reply[:60]!r}")
    check(request(s.http, "GET", "/v2/nothing")[0] == 404, "unknown route 404")


def test_slow_client(s):
    """A client that sends headers one byte per second is cut off at the read timeout; others
    are served meanwhile."""
    host, port = s.http.split(":")
    c = socket.create_connection((host, int(port)), timeout=30)
    start = time.time()
    closed = False
    for ch in b"GET /v2/health/live HTTP/1.1\r\nHost: slow\r\nX-Pad: " + b"a" * 100:
        try:
            c.sendall(bytes([ch]))
        except OSError:
            closed = True
            break
        if ch % 7 == 0:
            check(request(s.http, "GET", "/v2/health/live")[0] == 200, "served while a slow client trickles")
        time.sleep(0.25)
        if time.time() - start > 8:
            break
    try:
        c.settimeout(5)
        data = c.recv(100)
        closed = closed or data == b""
    except OSError:
        closed = True
    check(closed and time.time() - start < 8, f"slow client closed by the server after {time.time() - start:.1f}s")
    c.close()


def test_pipelining(s):
    host, port = s.http.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as c:
        c.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: p\r\n\r\n" * 3 + b"GET /v2 HTTP/1.1\r\nHost: p\r\n\r\n")
        data = b""
        deadline = time.time() + 10
        while data.count(b"HTTP/1.1 200") < 4 and time.time() < deadline:
            data += c.recv(65536)
        check(data.count(b"HTTP/1.1 200") == 4 and data.rstrip().endswith(b"}"), f"pipelined: {data[-120:]!r}")


def main():
    binary = fx.binary_path()
    models = {
        "add": {1: fx.add_model()},
        "add_i64": {1: fx.add_model(dtype=TensorProto.INT64)},
        "add_i32": {1: fx.add_model(dtype=TensorProto.INT32)},
        "add_u8": {1: fx.add_model(dtype=TensorProto.UINT8)},
        "add_f64": {1: fx.add_model(dtype=TensorProto.DOUBLE)},
        "add_f16": {1: fx.add_model(dtype=TensorProto.FLOAT16)},
        "bad_config": {1: fx.add_model(), "config": "max_batch_sizee: 4\n"},
        "add_reshape": {1: fx.add_model(), "config": RESHAPE_CONFIG},
    }
    repo = fx.make_repo(models)
    with fx.Server(binary, repo, ["--http-read-timeout-secs", "3"]) as s:
        for test in [test_health_and_metadata, test_infer_json, test_reshape, test_infer_binary, test_bad_requests,
                     test_repository_and_stats, test_pipelining, test_slow_client]:
            print("---", test.__name__)
            test(s)
        check(s.proc.poll() is None, "server still running after every test")
        check(request(s.http, "GET", "/v2/health/ready")[0] == 200, "still ready at the end")
        code = s.stop()
        check(code == 0, f"SIGTERM exits 0 (got {code})")
    fx.finish("HTTP", s.log)


if __name__ == "__main__":
    main()

"""Helpers for the `edgeserve count` end-to-end tests: clips cut from vtest.avi with ffmpeg, free
ports, a running counter with its HTTP API, and check/finish reporting every failure."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("EDGE_SHARED_DIR", os.path.join(HERE, "../../../../shared"))
YOLOX = os.path.join(SHARED, "models/yolox-nano/yolox_nano.onnx")

FAILURES = []

# vtest.avi's walkway: a zone on the busy left part and a line across it at the lamp post, so
# that a clip produces entries, exits, occupancy changes and crossings.
SCENE = """
  zones:
    - name: west_walk
      polygon: [[0, 150], [400, 150], [400, 320], [0, 290]]
  lines:
    - name: lamp_post
      from: [430, 400]
      to: [430, 140]
      band: 10
"""


def zones_file(path, *source_ids):
    """Writes a zones file giving each source SCENE."""
    with open(path, "w") as f:
        for source_id in source_ids:
            f.write(f"{source_id}:{SCENE}")
    return path


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)
    return cond


def finish(label):
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print(f"all {label} checks passed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_clip(path, seconds, mpegts=False):
    """The first `seconds` of vtest.avi; as MPEG-2 in MPEG-TS when `mpegts` (what a UDP camera
    stream carries), else the original MS-MPEG4 stream copied into an AVI."""
    codec = ["-c:v", "mpeg2video", "-q:v", "3", "-g", "10", "-f", "mpegts"] if mpegts else ["-c", "copy"]
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", VTEST, "-t", str(seconds), *codec, path], check=True)


def http(method, url, body=None, timeout=10):
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def detector_args():
    """YOLOX-nano when ../shared is present (accurate, fast), else the built-in HOG."""
    return ["--model", YOLOX, "--family", "yolox"] if os.path.exists(YOLOX) else []


class Counter:
    """`edgeserve count` in the background with its HTTP API on a free port."""

    def __init__(self, binary, args, http_port=None):
        self.port = http_port or free_port()
        self.proc = subprocess.Popen([binary, "count", *args, "--http-port", str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("edgeserve count exited early: " + self.proc.stderr.read())
            try:
                if http("GET", self.url("/v1/health"), timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.proc.kill()
        raise RuntimeError("edgeserve count's HTTP API did not come up")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def counts(self):
        status, body = http("GET", self.url("/v1/counts"))
        return json.loads(body) if status == 200 else None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err


def source_counts(report, source_id):
    for s in report["sources"]:
        if s["id"] == source_id:
            lines = {l["name"]: (l["in"], l["out"]) for l in s["lines"]}
            zones = {z["name"]: (z["entries"], z["exits"]) for z in s["zones"]}
            return s, lines, zones
    return None, {}, {}

#!/usr/bin/python3
"""Person-box agreement of a quantized YOLOX-nano with its FP32 original on vtest.avi frames:
F1 at IoU 0.5 of the INT8 person boxes against the FP32 ones (taken as ground truth), after the
decoding and NMS of ../shared/models/yolox-nano/SOURCE.md (score >= 0.3, IoU 0.45).

Usage: quantize_yolox_f1.py EDGESERVE [--method M] [--per-channel] [--provider cpu|reference] [--exclude A,B]
         [--every K (5)] [--extra ARG ...]
Frames: every K-th frame of vtest.avi (ffmpeg; 795 frames); every 4th of those calibrates, the rest
(119 with K = 5) evaluate.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.normpath(os.path.join(HERE, "../../shared/models/yolox-nano/yolox_nano.onnx"))
VIDEO = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
SIZE = 416


def letterbox(path):
    img = Image.open(path).convert("RGB")
    r = min(SIZE / img.size[0], SIZE / img.size[1])
    img = img.resize((int(img.size[0] * r), int(img.size[1] * r)), Image.BILINEAR)
    canvas = np.full((SIZE, SIZE, 3), 114, np.float32)
    a = np.asarray(img, np.float32)[:, :, ::-1]  # BGR
    canvas[:a.shape[0], :a.shape[1]] = a
    return np.ascontiguousarray(canvas.transpose(2, 0, 1)[None]), r


def decode_persons(out, r, score_min=0.3, iou_nms=0.45):
    rows, grids = [], []
    for s in (8, 16, 32):
        n = SIZE // s
        gy, gx = np.mgrid[0:n, 0:n]
        grids.append(np.stack([gx.ravel(), gy.ravel(), np.full(n * n, s)], 1))
    g = np.concatenate(grids).astype(np.float32)
    o = out.reshape(-1, 85)
    cx, cy = (o[:, 0] + g[:, 0]) * g[:, 2], (o[:, 1] + g[:, 1]) * g[:, 2]
    w, h = np.exp(o[:, 2]) * g[:, 2], np.exp(o[:, 3]) * g[:, 2]
    scores = o[:, 4:5] * o[:, 5:]
    cls, score = scores.argmax(1), scores.max(1)
    keep = score >= score_min
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)[keep] / r
    cls, score = cls[keep], score[keep]
    order, kept = np.argsort(-score), []
    while order.size:  # class-agnostic NMS
        i = order[0]
        kept.append(i)
        order = order[1:][iou(boxes[i], boxes[order[1:]]) <= iou_nms]
    return boxes[[k for k in kept if cls[k] == 0]]


def iou(a, b):
    x1, y1 = np.maximum(a[0], b[:, 0]), np.maximum(a[1], b[:, 1])
    x2, y2 = np.minimum(a[2], b[:, 2]), np.minimum(a[3], b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda t: (t[..., 2] - t[..., 0]) * (t[..., 3] - t[..., 1])  # noqa: E731
    return inter / (area(a) + area(b) - inter + 1e-9)


def matches(ref, got, thr=0.5):
    used, tp = set(), 0
    for g in got:
        if len(ref) == 0:
            break
        ious = iou(g, ref)
        for j in np.argsort(-ious):
            if ious[j] < thr:
                break
            if j not in used:
                used.add(j)
                tp += 1
                break
    return tp


def run(edgeserve, model, npy, out, provider):
    p = subprocess.run([edgeserve, "run", model, "--input", npy, "--output-dir", out, "--provider", provider],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(p.stderr)
    return numpy_helper.to_array(onnx.load_tensor(os.path.join(out, "output_0.pb")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("edgeserve")
    ap.add_argument("--method", default="minmax")
    ap.add_argument("--per-channel", action="store_true")
    ap.add_argument("--provider", default="cpu", help="runs FP32 and INT8 (cpu: int8 kernels, bit-identical to reference)")
    ap.add_argument("--every", type=int, default=5, help="take every K-th frame of the video")
    ap.add_argument("--extra", action="append", default=[], help="one more argument for `edgeserve quantize`")
    ap.add_argument("--exclude", default="", help="comma list of node names kept FP32")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="yolox_q_")
    frames = os.path.join(tmp, "frames")
    os.mkdir(frames)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", VIDEO, "-vf", rf"select=not(mod(n\,{a.every}))", "-vsync", "vfr",
                    os.path.join(frames, "f%04d.png")], check=True)
    all_frames = sorted(os.listdir(frames))
    cal = os.path.join(tmp, "cal")
    os.mkdir(cal)
    for f in all_frames[::4]:
        os.symlink(os.path.join(frames, f), os.path.join(cal, f))
    held_out = [f for i, f in enumerate(all_frames) if i % 4 != 0]
    q = os.path.join(tmp, "yolox_int8.onnx")
    cmd = [a.edgeserve, "quantize", MODEL, "-o", q, "--calibration", cal, "--preprocess", "yolox", "--method", a.method]
    cmd += ["--per-channel"] if a.per_channel else []
    cmd += ["--exclude", a.exclude] if a.exclude else []
    cmd += a.extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    print(p.stdout, p.stderr[-300:] if p.returncode else "", file=sys.stderr)
    if p.returncode != 0:
        sys.exit(1)
    tp = n_ref = n_got = 0
    for f in held_out:
        x, r = letterbox(os.path.join(frames, f))
        npy = os.path.join(tmp, "x.npy")
        np.save(npy, x)
        ref = decode_persons(run(a.edgeserve, MODEL, npy, os.path.join(tmp, "o32"), a.provider), r)
        got = decode_persons(run(a.edgeserve, q, npy, os.path.join(tmp, "o8"), a.provider), r)
        tp += matches(ref, got)
        n_ref += len(ref)
        n_got += len(got)
    precision, recall = tp / max(n_got, 1), tp / max(n_ref, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(f"yolox-nano {a.method}{' per-channel' if a.per_channel else ''}{' exclude ' + a.exclude if a.exclude else ''}: {len(held_out)} held-out frames, "
          f"FP32 persons {n_ref}, INT8 persons {n_got}, matched {tp}: precision {precision:.4f} recall {recall:.4f} "
          f"F1@0.5 {f1:.4f}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""How stable is squeezenet 1.1's FP32 top-1 on the quantizer's held-out images? Adds Gaussian
noise of a given sigma (in pixel units, 0..255 scale) to each preprocessed image and reports the
top-1 agreement of FP32 with itself. This bounds what any 8-bit quantization can reach on the set:
uint8 input quantization alone adds noise of sigma ~0.31 pixel (a step of ~1.07 over the
mean-subtracted range).

Images: Debian opencv-doc's examples/data (jpg/png) then opencv4/html jpgs > 20 kB, sorted; every
4th calibrates in docs/quantize.md's split, the other 287 are evaluated here.

Usage: fp32_noise_agreement.py EDGESERVE [--sigma S ...] (default 0.25 0.5 1)
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/cli"))
from test_quantize import MODEL, IMAGES, list_images, preprocess  # noqa: E402


def held_out_images():
    html = sorted(p for p in glob.glob("/usr/share/doc/opencv-doc/opencv4/html/*.jpg") if os.path.getsize(p) > 20000)
    return [p for i, p in enumerate(list_images(IMAGES) + html) if i % 4 != 0]


def batched_model(path, n):
    """The model with batch n (its input and output declare batch 1)."""
    m = onnx.load(MODEL)
    weights = {t.name for t in m.graph.initializer}  # this opset-7 file lists its weights as inputs too
    for v in [i for i in m.graph.input if i.name not in weights] + list(m.graph.output):
        v.type.tensor_type.shape.dim[0].dim_value = n
    onnx.save(m, path)


def top1(edgeserve, model, x_path, out_dir):
    p = subprocess.run([edgeserve, "run", model, "--input", x_path, "--output-dir", out_dir, "--provider", "cpu"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(p.stderr)
    y = numpy_helper.to_array(onnx.load_tensor(os.path.join(out_dir, "output_0.pb")))
    return y.reshape(y.shape[0], -1).argmax(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("edgeserve")
    ap.add_argument("--sigma", type=float, action="append")
    a = ap.parse_args()
    images = held_out_images()
    x = np.concatenate([preprocess(p) for p in images])
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "batched.onnx")
        batched_model(model, len(images))
        x_path = os.path.join(tmp, "x.npy")
        np.save(x_path, x)
        ref = top1(a.edgeserve, model, x_path, os.path.join(tmp, "ref"))
        rng = np.random.default_rng(0)
        for sigma in a.sigma or [0.25, 0.5, 1.0]:
            np.save(x_path, (x + rng.normal(0, sigma, x.shape)).astype(np.float32))
            same = int((top1(a.edgeserve, model, x_path, os.path.join(tmp, "noisy")) == ref).sum())
            print(f"squeezenet FP32 vs FP32 + N(0, {sigma}^2) pixel noise: top-1 agreement {same}/{len(images)} "
                  f"= {same / len(images):.4f}")


if __name__ == "__main__":
    main()

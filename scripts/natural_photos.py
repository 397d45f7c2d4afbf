#!/usr/bin/python3
"""Writes ~245 natural photos of ImageNet-like objects (birds, fruit, tools, mammals, ...) as RGB
PNGs into OUT_DIR, for quantization accuracy checks beyond opencv-doc's few dozen photos.

They come from Debian's tuxpaint-stamps-default (photo cut-outs with a transparent background,
fetched with `apt-get download`, not installed): the drawings are skipped (cartoon, symbols,
alphabets, road signs, flags, seasonal), so are mirrored copies and stamps under 100 px on a side, and each photo is
put on a white background as a product shot.

Usage: natural_photos.py OUT_DIR
Then:  tests/cli/test_quantize.py build/edgeserve -v --extra-eval OUT_DIR
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

from PIL import Image

PACKAGE = "tuxpaint-stamps-default"
DRAWINGS = re.compile(r"cartoon|symbols|alphabets|roadsigns|flags|seasonal")
MIRRORED = re.compile(r"_mirror|_flip")  # mirrored copies of another stamp
MIN_SIDE = 100


def fetch_stamps(workdir):
    subprocess.run(["apt-get", "download", PACKAGE], cwd=workdir, check=True, capture_output=True)
    deb = glob.glob(os.path.join(workdir, PACKAGE + "_*.deb"))[0]
    subprocess.run(["dpkg", "-x", deb, os.path.join(workdir, "root")], check=True)
    return os.path.join(workdir, "root/usr/share/tuxpaint/stamps")


def write_photos(stamps, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    written = 0
    for rel in sorted(glob.glob("**/*.png", root_dir=stamps, recursive=True)):
        if DRAWINGS.search(rel) or MIRRORED.search(rel):
            continue
        img = Image.open(os.path.join(stamps, rel))
        if min(img.size) < MIN_SIDE:
            continue
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        white.convert("RGB").save(os.path.join(out_dir, f"{written:03d}_{rel.replace('/', '_')}"))
        written += 1
    return written


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        count = write_photos(fetch_stamps(tmp), sys.argv[1])
    print(f"{count} photos in {sys.argv[1]}")


if __name__ == "__main__":
    main()

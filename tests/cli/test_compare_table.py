#!/usr/bin/python3
"""bench/compare_table.mjs: medians over rounds and edgeserve/ORT ratios from canned JSON lines.
Exits 77 (skipped) when node is not installed: it is needed only by the comparison tools.

Usage: test_compare_table.py COMPARE_TABLE_MJS
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SCRIPT = None


def result(p50, throughput, load_ms, rss_mib, baseline_mib=None):
    r = {"model": "/m/resnet50/model.onnx", "options": {"batch": 8, "threads": 2},
         "latency_ms": {"p50": p50, "p90": p50, "p99": p50, "mean": p50}, "throughput_per_s": throughput,
         "load_ms": load_ms, "peak_rss_bytes": rss_mib << 20}
    if baseline_mib is not None:
        r["baseline_rss_bytes"] = baseline_mib << 20
    return json.dumps(r)


class CompareTable(unittest.TestCase):
    def test_medians_and_ratios(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "0.ort.jsonl"), "w") as f:
                f.write("\n".join([result(10, 100, 300, 200, 40), result(12, 80, 320, 210, 40),
                                   result(50, 20, 900, 400, 40)]) + "\n")
            with open(os.path.join(d, "0.edgeserve.jsonl"), "w") as f:
                f.write("\n".join([result(6, 160, 100, 100), result(5, 200, 90, 100), result(7, 150, 95, 100)]) + "\n")
            proc = subprocess.run(["node", SCRIPT, d], capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        header, row = proc.stdout.strip().splitlines()
        self.assertIn("ratio", header)
        cells = row.split()
        # model batch thr | ORT p50, edge p50, ratio | inf/s | load | ORT RSS (node) | edge RSS | RSS ratio
        self.assertEqual(cells[:3], ["resnet50", "8", "2"])
        self.assertEqual(cells[3:6], ["12.00", "6.00", "0.50"])
        self.assertEqual(cells[6:8], ["80.0", "160.0"])
        self.assertEqual(cells[8:10], ["320", "95"])
        self.assertEqual(cells[10:14], ["210.0", "(40.0)", "100.0", "0.48"])


if __name__ == "__main__":
    if shutil.which("node") is None:
        print("node is not installed: skipped")
        sys.exit(77)
    SCRIPT = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]], verbosity=1)

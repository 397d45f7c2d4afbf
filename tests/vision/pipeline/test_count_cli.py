"""`edgeserve count` end to end on a clip of vtest.avi: config errors name file, line and field;
a file is counted to its end with the per-zone and per-line counts printed and in --json; the
HTTP API serves counts, metrics and zone edits while running (counts kept); SIGTERM ends it
cleanly with the summary."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from count_fixture import (Counter, check, detector_args, finish, http, make_clip, source_counts, zones_file)

BIN = sys.argv[1]



def run(args, timeout=300):
    p = subprocess.run([BIN, "count", *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def test_config_errors(tmp, clip):
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write(f"sources:\n  - id: clip\n    uri: {clip}\ndetectr:\n  model: x.onnx\n")
    rc, _, err = run([bad])
    check(rc == 1 and f"{bad}:4:1" in err and "unknown field 'detectr'" in err, f"unknown key: {rc} {err!r}")

    with open(bad, "w") as f:
        f.write(f"sources:\n  - id: clip\n    uri: {clip}\n    lines:\n      - name: l\n        from: [1, 2]\n"
                "        to: [1, 2]\n")
    rc, _, err = run([bad])
    check(rc == 1 and "sources[0]" in err and "'l'" in err, f"degenerate line: {rc} {err!r}")

    with open(bad, "w") as f:
        f.write("sources:\n  - id: clip\n    uri: [not, a, string]\n")
    rc, _, err = run([bad])
    check(rc == 1 and f"{bad}:3:10" in err and "sources[0].uri" in err, f"wrong type: {rc} {err!r}")

    rc, _, err = run([os.path.join(tmp, "absent.yaml")])
    check(rc == 1 and "absent.yaml" in err, f"missing config: {rc} {err!r}")

    zones = zones_file(os.path.join(tmp, "zones_other.yaml"), "elsewhere")
    rc, _, err = run(["--source", f"clip={clip}", "--zones", zones])
    check(rc == 1 and "'elsewhere' is not configured" in err, f"zones of an unknown source: {rc} {err!r}")

    rc, out, err = run(["--source", f"clip={os.path.join(tmp, 'no-such.avi')}", "--report-interval", "0"])
    check(rc == 1 and "no-such.avi" in out + err and "failed" in out, f"missing video: {rc} {out!r} {err!r}")


def test_file_to_the_end(tmp, clip, zones):
    report_path = os.path.join(tmp, "report.json")
    events_path = os.path.join(tmp, "events.jsonl")
    rc, out, err = run(["--source", f"clip={clip}", "--zones", zones, "--report-interval", "0", "--json", report_path,
                        "--events-file", events_path, *detector_args()])
    check(rc == 0, f"count exited {rc}: {err[-2000:]}")
    check("zone west_walk: occupancy" in out and "line lamp_post: in" in out, f"summary lacks counts: {out!r}")
    report = json.load(open(report_path))
    src, lines, zones_seen = source_counts(report, "clip")
    check(src is not None and src["frames_processed"] == 200 and src["state"] == "ended",
          f"the 20 s clip is 200 frames, all counted: {src}")
    check(sum(lines["lamp_post"]) > 0 and zones_seen["west_walk"][0] > 0, f"people counted: {lines} {zones_seen}")
    events = [json.loads(l) for l in open(events_path)]
    check(len(events) == report["events"] and len({e["id"] for e in events}) == len(events),
          f"{len(events)} events in the file, {report['events']} reported, ids unique")
    crossings = [e for e in events if e["kind"] == "line_crossing"]
    check(len(crossings) == sum(lines["lamp_post"]), "one crossing event per counted crossing")
    print(f"clip counted: lines {lines}, zones {zones_seen}, {len(events)} events")


def test_http_api(tmp, clip, zones):
    c = Counter(BIN, ["--source", f"clip={clip}", "--zones", zones, "--realtime", "--loop", "--report-interval", "0",
                      *detector_args()])
    try:
        time.sleep(4)
        counts = c.counts()
        check(counts is not None and counts["sources"][0]["frames_processed"] > 0, f"counts while running: {counts}")
        status, metrics = http("GET", c.url("/metrics"))
        for name in ["edgeserve_count_frames_processed_total{source=\"clip\"}", "edgeserve_count_frames_dropped_total",
                     "edgeserve_count_stage_latency_ms", "edgeserve_count_queue_depth", "edgeserve_count_source_fps",
                     "edgeserve_count_detector_batch_size", "edgeserve_count_outbox_depth",
                     "edgeserve_count_line_crossings_total"]:
            check(status == 200 and name in metrics, f"/metrics has {name}")
        status, scene = http("GET", c.url("/v1/zones/clip"))
        check(status == 200 and "lamp_post" in scene, f"GET zones: {status} {scene}")

        new_scene = json.dumps({"zones": [{"name": "west_walk", "polygon": [[0, 150], [400, 150], [400, 320], [0, 290]]}],
                                "lines": [{"name": "lamp_post", "from": [430, 400], "to": [430, 140]},
                                          {"name": "middle", "from": [300, 400], "to": [300, 140]}]})
        before = source_counts(c.counts(), "clip")
        status, body = http("PUT", c.url("/v1/zones/clip"), new_scene)
        check(status == 200 and "middle" in body, f"PUT zones: {status} {body}")
        after = source_counts(c.counts(), "clip")
        check(after[1]["lamp_post"][0] >= before[1]["lamp_post"][0] and "middle" in after[1],
              f"a kept line keeps its counts, a new one appears: {before[1]} -> {after[1]}")
        status, body = http("PUT", c.url("/v1/zones/clip"), '{"lines": [{"name": "x", "from": [0, 0]}]}')
        check(status == 400 and "needs `from" in body, f"bad scene: {status} {body}")
        status, body = http("PUT", c.url("/v1/zones/nope"), new_scene)
        check(status == 404 and "nope" in body, f"unknown source: {status} {body}")
        status, body = http("GET", c.url("/v2/whatever"))
        check(status == 404, f"unknown route: {status}")
    finally:
        rc, out, err = c.stop(signal.SIGTERM)
    check(rc == 0 and "line middle: in" in out, f"SIGTERM: exit {rc}, summary {out!r} {err[-500:]!r}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        clip = os.path.join(tmp, "clip.avi")
        make_clip(clip, 20)
        zones = zones_file(os.path.join(tmp, "zones.yaml"), "clip")
        test_config_errors(tmp, clip)
        test_file_to_the_end(tmp, clip, zones)
        test_http_api(tmp, clip, zones)
    finish("count CLI")


if __name__ == "__main__":
    main()

"""A live UDP stream is counted like the same file, and survives its sender going away:
vtest.avi's first 20 s as MPEG-2 in MPEG-TS, counted once as a file and once streamed on loopback
by ffmpeg at its own rate (-re); the counts must agree. Then the sender stops for 7 s (past the
stall timeout, so the source reconnects), and frames must resume within 5 s of the restart."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from count_fixture import (Counter, check, detector_args, finish, free_port, make_clip, source_counts, zones_file)

BIN = sys.argv[1]


def sender(clip, port):
    return subprocess.Popen(["ffmpeg", "-loglevel", "error", "-re", "-i", clip, "-c", "copy", "-f", "mpegts",
                             f"udp://127.0.0.1:{port}?pkt_size=1316"])


def count_file(clip, zones, tmp):
    report = os.path.join(tmp, "file.json")
    p = subprocess.run([BIN, "count", "--source", f"cam={clip}", "--zones", zones, "--report-interval", "0",
                        "--json", report, *detector_args()], capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"file count exited {p.returncode}: {p.stderr[-1000:]}")
    import json
    return json.load(open(report))


def frames(counter):
    c = counter.counts()
    return c["sources"][0]["frames_processed"] if c else -1


def wait_until(predicate, timeout_s):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def main():
    if shutil.which("ffmpeg") is None:
        print("SKIP: no ffmpeg")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        clip = os.path.join(tmp, "clip.ts")
        make_clip(clip, 20, mpegts=True)
        zones = zones_file(os.path.join(tmp, "zones.yaml"), "cam")
        from_file = count_file(clip, zones, tmp)
        _, file_lines, file_zones = source_counts(from_file, "cam")

        port = free_port()
        counter = Counter(BIN, ["--source", f"cam=udp://127.0.0.1:{port}", "--zones", zones, "--report-interval", "0",
                                *detector_args()])
        try:
            send = sender(clip, port)
            send.wait(timeout=60)
            wait_until(lambda: False, 1.5)  # the last frames through the detector
            streamed = counter.counts()
            src, lines, zones_seen = source_counts(streamed, "cam")
            print(f"file:   {from_file['sources'][0]['frames_processed']} frames, lines {file_lines}, zones {file_zones}")
            print(f"stream: {src['frames_processed']} frames ({src['frames_dropped']} dropped), lines {lines}, zones {zones_seen}")
            # Every frame reaches the pipeline; a machine too slow for 10 fps (a sanitizer build
            # under parallel tests) drops some by the live policy, and counts them.
            arrived = src["frames_processed"] + src["frames_dropped"]
            check(arrived >= 195, f"the stream's 200 frames arrive: {arrived}")
            if src["frames_dropped"] == 0 and src["frames_processed"] == from_file["sources"][0]["frames_processed"]:
                check(lines == file_lines and zones_seen == file_zones, "every frame arrived, so the counts are the file's")
            else:
                # A frame lost on the way shifts the tracker slightly: allow one count of difference.
                for name, (i, o) in file_lines.items():
                    check(abs(lines[name][0] - i) <= 1 and abs(lines[name][1] - o) <= 1, f"line {name} like the file")

            # The sender goes away for 7 s, longer than stall_timeout_s (5), so the source gives the
            # stream up and reconnects; when the sender comes back frames must resume within 5 s.
            time.sleep(7)
            before = frames(counter)  # after the stall: the decoder's last frames are flushed by then
            restarted = time.time()
            send = sender(clip, port)
            resumed = wait_until(lambda: frames(counter) > before, 10)
            took = time.time() - restarted
            state = counter.counts()["sources"][0]
            print(f"frames resumed {took:.2f} s after the sender restarted; state {state['state']}, "
                  f"reconnects {state['reconnects']}")
            check(resumed and took <= 5.0, f"frames resume within 5 s of the restart (took {took:.2f} s)")
            check(state["reconnects"] >= 1, "the stalled stream was reopened")
            send.send_signal(signal.SIGTERM)
            send.wait(timeout=10)
        finally:
            rc, out, err = counter.stop()
        check(rc == 0, f"count exited {rc}: {err[-1000:]}")
    finish("count stream")


if __name__ == "__main__":
    main()

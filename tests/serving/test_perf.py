"""`edgeserve perf` against `edgeserve serve`: each protocol in each load mode for a short run with
--json-report (requests answered, none failed, a report that adds up), plus the errors a user meets
first: an unknown model and a server that is not there (exit 1, a message naming the model)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import server_fixture as fx  # noqa: E402
from server_fixture import check  # noqa: E402

# Short runs at low load: the suite shares a small machine with the server under test.
RUN_S = "2"
WARMUP_S = "0.5"


def perf(binary, *args, timeout_s=60):
    r = subprocess.run([binary, "perf", *args], capture_output=True, text=True, timeout=timeout_s)
    return r.returncode, r.stdout, r.stderr


def check_report(rc, out, err, what, batch=1):
    check(rc == 0, f"{what}: exit 0 (got {rc}; stderr {err.strip()!r}; stdout {out.strip()[:400]!r})")
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        check(False, f"{what}: --json-report prints one JSON object, got {out[:200]!r}")
        return
    ok = report["requests_ok"]
    lat = report["latency_ms"]
    check(ok > 0, f"{what}: requests ok > 0 ({ok})")
    check(report["requests_failed"] == 0 and report["errors"] == [], f"{what}: no errors ({report['errors']})")
    check(abs(report["inferences_per_s"] - report["requests_per_s"] * batch) < 1e-6 * max(1, ok),
          f"{what}: inferences/s = requests/s * batch ({report['inferences_per_s']}, {report['requests_per_s']})")
    check(0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], f"{what}: ordered latencies {lat}")


def test_modes(binary, s):
    for protocol, url in [("http", s.http), ("grpc", s.grpc)]:
        base = ["--url", url, "--model", "add", "--protocol", protocol, "--duration", RUN_S, "--warmup-s", WARMUP_S,
                "--json-report"]
        rc, out, err = perf(binary, *base, "--concurrency", "2")
        check_report(rc, out, err, f"{protocol} closed loop")
        rc, out, err = perf(binary, *base, "--rate", "100")
        check_report(rc, out, err, f"{protocol} open loop")
        if rc == 0:
            ok = json.loads(out)["requests_ok"]
            # 100/s for 2 s on a fixed schedule: exactly 200 due in the window.
            check(ok == 200, f"{protocol} open loop sends the schedule: 200 requests, got {ok}")
    rc, out, err = perf(binary, "--url", s.http, "--model", "add", "--json", "--batch", "3", "--concurrency", "1",
                        "--duration", "1", "--warmup-s", "0", "--json-report")
    check_report(rc, out, err, "http JSON inputs, batch 3", batch=3)


def test_text_report(binary, s):
    rc, out, err = perf(binary, "--url", s.http, "--model", "add", "--duration", "1", "--warmup-s", "0")
    check(rc == 0 and "requests" in out and "inferences/s" in out and "p99" in out, f"text report: {out!r} {err!r}")


def test_errors(binary, s):
    for protocol, url in [("http", s.http), ("grpc", s.grpc)]:
        rc, out, err = perf(binary, "--url", url, "--protocol", protocol, "--model", "no_such_model", "--duration", "1")
        check(rc == 1, f"{protocol} unknown model exits 1 (got {rc})")
        check("no_such_model" in err and ("404" in err or "NOT_FOUND" in err) and err.count("\n") == 1,
              f"{protocol} unknown model: one clear line naming it, got {err!r}")
    rc, out, err = perf(binary, "--url", "127.0.0.1:1", "--model", "add", "--duration", "1")
    check(rc == 1 and "add" in err and "connect" in err, f"no server: exit 1 and a connect error, got {rc} {err!r}")
    rc, out, err = perf(binary, "--url", s.http, "--model", "add", "--batch", "2", "--shape", "x=1x4", "--duration", "1")
    check(rc == 2 and "--batch 2" in err, f"--batch with no -1 dim left: usage error, got {rc} {err!r}")
    rc, out, err = perf(binary, "--model", "add")
    check(rc == 2 and "--url" in err, f"missing --url: usage error, got {rc} {err!r}")


def main():
    binary = fx.binary_path()
    repo = fx.make_repo({"add": {1: fx.add_model()}})
    with fx.Server(binary, repo) as s:
        for test in [test_modes, test_text_report, test_errors]:
            print("---", test.__name__)
            test(binary, s)
        check(s.proc.poll() is None, "server still running after every test")
        code = s.stop()
        check(code == 0, f"SIGTERM exits 0 (got {code})")
    fx.finish("perf", s.log)


if __name__ == "__main__":
    main()

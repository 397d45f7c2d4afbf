"""`edgeserve count` end to end through a real Mosquitto broker, started by this test on a free port.

A paho-mqtt subscriber with a persistent session (clean_session=False, QoS 0 with the broker's
queue_qos0_messages on) records every message under `<prefix>/#`. The broker keeps that session
across its own restart (persistence on), so what the counter publishes after a restart, before the
subscriber is back, is queued for it. At QoS 0 the broker keeps no in-flight state towards the
subscriber and never redelivers to it, so a duplicate seen here was published twice by the counter.

  outage   two realtime sources on a 60 s clip; the broker is SIGTERM'd after ~8 s, kept down 30 s
           and restarted on the same port. Every id in the events file arrives on <prefix>/events
           exactly once, in the file's order per source; the retained occupancy and crossings
           topics hold the final counts; <prefix>/status went "online" and ends "offline"; the
           outbox depth rose during the outage and is 0 at the end.
  kill -9  the counter runs with the broker down, so its events stay in the outbox, and is
           kill -9'd; the broker starts; a second counter on the same outbox replays every event
           the first one stored, oldest first, before its own events.

Exit 77 (ctest SKIP_RETURN_CODE) when there is no /usr/sbin/mosquitto or paho-mqtt.
"""
import collections
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mqtt_broker import Broker, read_retained  # noqa: E402  (tests/vision/mqtt_broker.py)
from count_fixture import (Counter, check, detector_args, finish, http, make_clip, source_counts,
                           zones_file)

MOSQUITTO = "/usr/sbin/mosquitto"
PREFIX = "t"
SOURCES = ["a", "b"]
OUTAGE_S = 30


try:
    import paho.mqtt.client as mqtt
except ImportError:
    mqtt = None

BIN = sys.argv[1] if len(sys.argv) > 1 else ""


def log(line):
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


def wait_until(predicate, timeout_s, interval_s=0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


class Subscriber:
    """Everything under <prefix>/#: events in arrival order, status payloads, last retained state."""

    def __init__(self, port, client_id):
        self.lock = threading.Lock()
        self.events = []    # (id, source) in arrival order
        self.statuses = []  # every payload on <prefix>/status, retained replays included
        self.state = {}     # topic -> last payload of a state topic
        self.subscribed = threading.Event()
        self.client = mqtt.Client(client_id=client_id, clean_session=False, protocol=mqtt.MQTTv311)
        self.client.on_connect = lambda c, u, f, rc: c.subscribe(PREFIX + "/#", qos=0)
        self.client.on_subscribe = lambda c, u, mid, q: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise RuntimeError("subscriber: no SUBACK")

    def _on_message(self, client, userdata, msg):
        payload = msg.payload.decode()
        with self.lock:
            if msg.topic == PREFIX + "/events":
                event = json.loads(payload)
                self.events.append((event["id"], event["source"]))
            elif msg.topic == PREFIX + "/status":
                self.statuses.append(payload)
            else:
                self.state[msg.topic] = payload

    def event_ids(self):
        with self.lock:
            return [e[0] for e in self.events]

    def snapshot(self):
        with self.lock:
            return list(self.events), list(self.statuses), dict(self.state)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pending_event_ids(outbox_path, workdir):
    """Event ids left in an outbox, oldest first, read from a copy (db and WAL) so that opening it
    here does not checkpoint the WAL the next counter must recover by itself."""
    copy = os.path.join(workdir, "outbox-copy.db")
    for suffix in ["", "-wal"]:
        if os.path.exists(outbox_path + suffix):
            shutil.copyfile(outbox_path + suffix, copy + suffix)
    db = sqlite3.connect(copy)
    try:
        rows = db.execute("SELECT id FROM outbox WHERE topic = ? ORDER BY seq", (PREFIX + "/events",)).fetchall()
        total = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    finally:
        db.close()
    return [r[0] for r in rows], total


def metric(text, name):
    m = re.search(rf"^{name} ([0-9.eE+-]+)$", text, re.M)
    return float(m.group(1)) if m else None


class MetricsWatcher(threading.Thread):
    """Polls GET /metrics twice a second: outbox depth peak, connected samples, reconnects."""

    def __init__(self, counter):
        super().__init__(daemon=True)
        self.counter = counter
        self.samples = []  # (monotonic, outbox_depth, connected, reconnects)
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set() and self.counter.proc.poll() is None:
            try:
                status, text = http("GET", self.counter.url("/metrics"), timeout=2)
                if status == 200:
                    self.samples.append((time.monotonic(), metric(text, "edgeserve_count_outbox_depth"),
                                         metric(text, "edgeserve_count_mqtt_connected"),
                                         metric(text, "edgeserve_count_mqtt_reconnects_total")))
            except OSError:
                pass
            self.done.wait(0.5)

    def between(self, start, end):
        return [s for s in self.samples if start <= s[0] <= end]


def count_args(clips, workdir, port, run, zones):
    sources = [arg for s in SOURCES for arg in ("--source", f"{s}={clips[s]}")]
    args = [*sources, "--zones", zones,
            "--mqtt", f"mqtt://127.0.0.1:{port}", "--topic-prefix", PREFIX,
            "--outbox", os.path.join(workdir, "outbox.db"),
            "--events-file", os.path.join(workdir, f"events{run}.jsonl"),
            "--json", os.path.join(workdir, f"report{run}.json"), "--report-interval", "0",
            # Two sources make batches of at most 2; warming the engine up for 3 and 4 too would
            # add many seconds to each of the three starts on a loaded machine.
            "--max-batch", "2", "--realtime", *detector_args()]
    return args


def by_source(pairs):
    per = collections.defaultdict(list)
    for event_id, source in pairs:
        per[source].append(event_id)
    return per


def delivery_report(produced, arrived):
    """produced: events from the events file; arrived: (id, source) in arrival order."""
    expected = [e["id"] for e in produced]
    counts = collections.Counter(i for i, _ in arrived)
    first_arrivals, seen = [], set()
    for event_id, source in arrived:
        if event_id not in seen:
            seen.add(event_id)
            first_arrivals.append((event_id, source))
    produced_per_source = by_source((e["id"], e["source"]) for e in produced)
    arrived_per_source = by_source(p for p in first_arrivals if p[0] in set(expected))
    return {"produced": len(expected), "arrived": len(arrived), "unique": len(seen),
            "lost": len(set(expected) - seen), "unexpected": len(seen - set(expected)),
            "duplicates": sum(n - 1 for n in counts.values()),
            "order_kept": {s: arrived_per_source[s] == ids for s, ids in produced_per_source.items()}}


def check_final_state(report, retained):
    """The retained occupancy and crossings topics equal the counts the counter printed."""
    for source in SOURCES:
        _, lines, zones = source_counts(report, source)
        src = next(s for s in report["sources"] if s["id"] == source)
        for z in src["zones"]:
            payload = retained.get(f"{PREFIX}/{source}/{z['name']}/occupancy")
            got = json.loads(payload) if payload else {"occupancy": 0, "entries": 0, "exits": 0}
            check((got["occupancy"], got["entries"], got["exits"]) == (z["occupancy"], z["entries"], z["exits"]),
                  f"retained occupancy of {source}/{z['name']} {payload} equals the final counts {z}")
        for name, (n_in, n_out) in lines.items():
            payload = retained.get(f"{PREFIX}/{source}/{name}/crossings")
            got = json.loads(payload) if payload else {"in": 0, "out": 0}
            check((got["in"], got["out"]) == (n_in, n_out),
                  f"retained crossings of {source}/{name} {payload} equal the final counts in {n_in} out {n_out}")
        check(sum(lines.get("lamp_post", (0, 0))) > 0 and zones.get("west_walk", (0, 0))[0] > 0,
              f"source {source} counted crossings and entries: {lines} {zones}")


def run_through_outage(workdir, clips, zones, broker, subscriber):
    """Runs the counter to the end of its clips with the broker away for OUTAGE_S in the middle;
    returns what was observed on the way."""
    counter = Counter(BIN, count_args(clips, workdir, broker.port, 1, zones))
    log("outage: counter up")
    watcher = MetricsWatcher(counter)
    watcher.start()
    try:
        time.sleep(8)
        before = len(subscriber.event_ids())
        log(f"outage: {before} events arrived; stopping the broker for {OUTAGE_S} s")
        broker.stop()
        down_at = time.monotonic()
        time.sleep(OUTAGE_S)
        produced_during = len(read_events(os.path.join(workdir, "events1.jsonl")))
        broker.start()
        up_at = time.monotonic()
        log(f"outage: broker back; {produced_during} events produced so far")
        out, err = counter.proc.communicate(timeout=120)
    finally:
        watcher.done.set()
        if counter.proc.poll() is None:
            counter.proc.kill()
            counter.proc.wait()
    watcher.join()
    samples = watcher.between(down_at, up_at)
    back = next((s[0] for s in watcher.samples if s[0] > up_at and s[2] == 1), None)
    return {"rc": counter.proc.returncode, "stdout": out, "stderr": err, "arrived_before_outage": before,
            "produced_by_end_of_outage": produced_during,
            "connected_during_outage": [s[2] for s in samples],
            "outbox_depth_peak_during_outage": max((s[1] for s in samples if s[1] is not None), default=None),
            "mqtt_reconnects": max((s[3] for s in watcher.samples if s[3] is not None), default=None),
            "reconnected_s_after_broker_restart": round(back - up_at, 1) if back else None}


def scenario_outage(workdir, clips, zones):
    broker = Broker(MOSQUITTO, workdir)
    broker.start()
    subscriber = Subscriber(broker.port, "count-e2e-outage")
    try:
        run = run_through_outage(workdir, clips, zones, broker, subscriber)
        check(run["rc"] == 0, f"count exited {run['rc']}: {run['stderr'][-2000:]}")
        produced = read_events(os.path.join(workdir, "events1.jsonl"))
        expected = {e["id"] for e in produced}
        wait_until(lambda: expected <= set(subscriber.event_ids()), 30)
        time.sleep(1)  # a late duplicate would arrive now
        arrived, statuses, _ = subscriber.snapshot()
        retained = read_retained(broker.port, [PREFIX + "/#"])
    finally:
        subscriber.close()
        broker.stop()
    report = json.load(open(os.path.join(workdir, "report1.json")))
    result = delivery_report(produced, arrived)
    result.update({k: v for k, v in run.items() if k not in ("rc", "stdout", "stderr", "connected_during_outage")})
    result.update({"outbox_depth_at_end": report["outbox_depth"], "statuses": statuses})
    print(json.dumps(result), flush=True)
    check_outage(result, run, report, workdir)
    check(statuses.count("online") >= 2 and statuses[-1] == "offline",
          f"status online after each connect, offline at the end: {statuses}")
    check(retained.get(PREFIX + "/status") == "offline", f"retained status: {retained.get(PREFIX + '/status')}")
    check_final_state(report, retained)
    check("line lamp_post: in" in run["stdout"], f"summary printed: {run['stdout']!r}")


def check_outage(result, run, report, workdir):
    check(result["arrived_before_outage"] > 0, "events arrived before the outage")
    check(result["produced_by_end_of_outage"] > result["arrived_before_outage"], "events were produced during the outage")
    check(result["produced"] == report["events"], f"the events file holds every event: {report['events']}")
    check(result["lost"] == 0 and result["unexpected"] == 0, f"every event arrived: {result}")
    check(result["duplicates"] == 0, f"no event duplicated by id: {result}")
    check(all(result["order_kept"].values()) and len(result["order_kept"]) == len(SOURCES),
          f"per-source order kept: {result['order_kept']}")
    check(0 in run["connected_during_outage"], "edgeserve_count_mqtt_connected was 0 during the outage")
    peak = result["outbox_depth_peak_during_outage"]
    check(peak is not None and peak > 0, f"outbox depth rose during the outage: peak {peak}")
    check((result["mqtt_reconnects"] or 0) >= 1, f"the counter reconnected: {result['mqtt_reconnects']}")
    check(report["outbox_depth"] == 0, f"outbox empty at the end: {report['outbox_depth']}")
    check(pending_event_ids(os.path.join(workdir, "outbox.db"), workdir)[1] == 0, "no row left in outbox.db")


def kill_with_broker_down(workdir, clips, zones, broker):
    """The first counter runs with no broker, so every event stays in its outbox, and is kill -9'd.
    Returns its events file and the event ids left in its outbox (oldest first), with the row count."""
    counter = Counter(BIN, count_args(clips, workdir, broker.port, 1, zones))
    log("kill -9: first run up, broker down")
    try:
        wait_until(lambda: len(read_events(os.path.join(workdir, "events1.jsonl"))) >= 20, 20, 0.5)
        time.sleep(2)
    finally:
        counter.proc.send_signal(signal.SIGKILL)
        counter.proc.communicate(timeout=30)
    first = read_events(os.path.join(workdir, "events1.jsonl"))
    pending, rows = pending_event_ids(os.path.join(workdir, "outbox.db"), workdir)
    log(f"kill -9: first run wrote {len(first)} events; outbox holds {len(pending)} events, {rows} rows")
    check(len(first) >= 10, f"the first run produced events before kill -9: {len(first)}")
    check({e["id"] for e in first} <= set(pending), "every event of the first run is in the outbox")
    return first, pending, rows


def scenario_kill9(workdir, clips, short_clips, zones):
    broker = Broker(MOSQUITTO, workdir)  # not started yet
    first, pending, rows = kill_with_broker_down(workdir, clips, zones, broker)
    broker.start()
    subscriber = Subscriber(broker.port, "count-e2e-kill9")
    try:
        log("kill -9: broker up, second run on the same outbox")
        p = subprocess.run([BIN, "count", *count_args(short_clips, workdir, broker.port, 2, zones)],
                           capture_output=True, text=True, timeout=120)
        log(f"kill -9: second run exited {p.returncode}")
        check(p.returncode == 0, f"second run exited {p.returncode}: {p.stderr[-2000:]}")
        second = read_events(os.path.join(workdir, "events2.jsonl"))
        expected = set(pending) | {e["id"] for e in second}
        wait_until(lambda: expected <= set(subscriber.event_ids()), 30)
        time.sleep(1)  # a late duplicate would arrive now
        arrived = subscriber.snapshot()[0]
    finally:
        subscriber.close()
        broker.stop()
    report2 = json.load(open(os.path.join(workdir, "report2.json")))
    check_replay(first, pending, rows, second, arrived, report2)


def check_replay(first, pending, rows, second, arrived, report2):
    ids = [i for i, _ in arrived]
    stored = set(pending)
    replay = [i for i in ids if i in stored]
    first_own = next((n for n, i in enumerate(ids) if i not in stored), len(ids))
    last_replayed = max((n for n, i in enumerate(ids) if i in stored), default=-1)
    result = {"first_run_events": len(first), "outbox_events_after_kill": len(pending), "outbox_rows": rows,
              "replayed": len(set(replay)), "second_run_events": len(second), "arrived": len(ids),
              "duplicates": len(ids) - len(set(ids)), "outbox_depth_at_end": report2["outbox_depth"]}
    print(json.dumps(result), flush=True)
    check(stored <= set(ids), f"every stored event was replayed: {len(stored - set(ids))} missing")
    check(replay == pending, "replayed once each, in outbox (= production) order")
    check(last_replayed < first_own, f"the replay came before the second run's events ({last_replayed} < {first_own})")
    check(len(second) > 0 and {e["id"] for e in second} <= set(ids), "the second run's events arrived")
    check(len(ids) == len(set(ids)), f"no duplicates: {result['duplicates']}")
    check(report2["outbox_depth"] == 0, f"outbox empty at the end: {report2['outbox_depth']}")
    first_ids = {e["id"] for e in first}
    per_source = by_source((e["id"], e["source"]) for e in first)
    arrived_per_source = by_source(p for p in arrived if p[0] in first_ids)
    check(all(arrived_per_source[s] == per_source[s] for s in per_source), "first run's per-source order kept")


def main():
    if not os.path.exists(MOSQUITTO) or mqtt is None:
        print(f"SKIP: needs {MOSQUITTO} and paho-mqtt")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="count_mqtt_") as tmp:
        clip = os.path.join(tmp, "clip60.avi")
        short = os.path.join(tmp, "clip8.avi")
        make_clip(clip, 60)
        make_clip(short, 8)
        zones = zones_file(os.path.join(tmp, "zones.yaml"), *SOURCES)
        started = time.monotonic()
        outage_dir = os.path.join(tmp, "outage")
        kill_dir = os.path.join(tmp, "kill9")
        os.makedirs(outage_dir)
        os.makedirs(kill_dir)
        scenario_outage(outage_dir, {s: clip for s in SOURCES}, zones)
        log(f"outage scenario done in {time.monotonic() - started:.0f} s")
        scenario_kill9(kill_dir, {s: clip for s in SOURCES}, {s: short for s in SOURCES}, zones)
        log(f"both scenarios done in {time.monotonic() - started:.0f} s")
    finish("count MQTT")


if __name__ == "__main__":
    main()

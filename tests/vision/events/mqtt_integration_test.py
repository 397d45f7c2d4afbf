#!/usr/bin/python3
"""Integration tests of vision/events against a real Mosquitto broker started on a free port.

events_driver plays the counting process (EventSink -> Outbox -> EventPublisher, QoS 1); a
paho-mqtt subscriber with a persistent session (clean_session=False) records every event it
receives. The broker keeps that session across its own restart (persistence on), so events the
publisher sends after a restart, before the subscriber is back, are queued for it rather than lost.
The subscriber subscribes at QoS 0 with queue_qos0_messages on: the broker then writes each event to
it at once and keeps no in-flight state for it, so the broker cannot redeliver to the subscriber
after its own restart, and any duplicate the subscriber sees was sent twice by the publisher.

Scenarios:
  all_arrive       every event arrives exactly once, per-source order kept; the retained state and
                   availability topics hold the last values.
  broker_outage    the broker is stopped (SIGTERM) for 30 s mid-run while events keep being produced,
                   then restarted on the same port: zero lost, zero duplicated by id, order kept.
  producer_killed  the producer is kill -9'd twice (once with the broker down, so its outbox holds
                   unsent rows; once mid-flight) and restarted on the same outbox: every produced id
                   arrives. Duplicates are possible here (a row sent but killed before its PUBACK was
                   processed; QoS 1 at-least-once) and are reported, not failed.
"""
import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mqtt_broker import Broker, read_retained  # noqa: E402  (tests/vision/mqtt_broker.py)

PREFIX = "edgetest"


def log(line):
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


def wait_until(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class Subscriber:
    """Records every message on <prefix>/events: (id, source, track_id, dup flag)."""

    def __init__(self, port):
        self.lock = threading.Lock()
        self.events = []
        self.subscribed = threading.Event()
        self.client = mqtt.Client(client_id="edge-events-test-sub", clean_session=False,
                                  protocol=mqtt.MQTTv311)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda c, u, rc: log(f"subscriber: disconnected ({rc})")
        self.client.on_subscribe = lambda c, u, mid, q: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise AssertionError("subscriber: no SUBACK")

    def _on_connect(self, client, userdata, flags, rc):
        log(f"subscriber: connected rc={rc} session_present={flags.get('session present')}")
        client.subscribe(PREFIX + "/events", qos=0)

    def _on_message(self, client, userdata, msg):
        event = json.loads(msg.payload)
        with self.lock:
            self.events.append((event["id"], event["source"], event["track_id"], bool(msg.dup)))

    def unique_ids(self):
        with self.lock:
            return {e[0] for e in self.events}

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def read_ids(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line)["id"] if line.startswith("{") else line.strip()
                for line in f if line.strip()]


def driver_command(args, workdir, port, run, first_track, steps, rate, sources=2, pending=False):
    cmd = [args.driver, "produce", "--outbox", os.path.join(workdir, "outbox.db"),
           "--uri", f"mqtt://127.0.0.1:{port}", "--prefix", PREFIX, "--sources", str(sources),
           "--steps", str(steps), "--rate", str(rate), "--first-track", str(first_track),
           "--jsonl", os.path.join(workdir, f"run{run}.jsonl"), "--drain-s", "60"]
    if pending:
        cmd += ["--pending-log", os.path.join(workdir, f"pending{run}.txt")]
    return cmd


def analyse(received, expected):
    """Counts lost, unexpected and duplicated ids and checks per-source order of first arrivals."""
    seen, duplicates, publisher_duplicates = {}, 0, 0
    last_track = collections.defaultdict(lambda: -1)
    order_violations = 0
    for event_id, source, track, dup in received:
        if event_id in seen:
            duplicates += 1
            # DUP=1 marks the broker redelivering to the subscriber; DUP=0 twice means the
            # publisher sent the event again.
            publisher_duplicates += 0 if dup else 1
            continue
        seen[event_id] = True
        if track <= last_track[source]:
            order_violations += 1
        last_track[source] = track
    ids = set(seen)
    return {"expected": len(expected), "received": len(received), "unique": len(ids),
            "lost": len(expected - ids), "unexpected": len(ids - expected),
            "duplicates": duplicates, "publisher_duplicates": publisher_duplicates,
            "order_violations": order_violations}


def wait_for_all(subscriber, expected, timeout_s):
    try:
        wait_until(lambda: expected <= subscriber.unique_ids(), timeout_s, "every event at the subscriber")
    except AssertionError:
        pass  # analyse() reports exactly what is missing
    time.sleep(0.5)  # let any late duplicate arrive before counting


def run_driver(cmd, timeout_s):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        raise AssertionError(f"driver exited with {result.returncode}: {result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def scenario_all_arrive(args, workdir, broker, subscriber):
    stats = run_driver(driver_command(args, workdir, broker.port, 1, 0, 300, 300, sources=3), 60)
    expected = set(read_ids(os.path.join(workdir, "run1.jsonl")))
    wait_for_all(subscriber, expected, 20)
    report = analyse(subscriber.snapshot(), expected)
    report["driver"] = stats
    print(json.dumps(report))
    assert report["expected"] == 900, report
    assert report["lost"] == 0 and report["unexpected"] == 0, report
    assert report["duplicates"] == 0 and report["order_violations"] == 0, report

    # Retained state: the last event of each source's zone and line; availability "offline".
    last = {}
    with open(os.path.join(workdir, "run1.jsonl")) as f:
        for line in f:
            e = json.loads(line)
            last[(e["source"], e.get("line") or e.get("zone"))] = e
    retained = read_retained(broker.port, [PREFIX + "/+/+/occupancy", PREFIX + "/+/+/crossings",
                                           PREFIX + "/status"])
    assert retained.get(PREFIX + "/status") == "offline", retained
    for (source, name), e in last.items():
        kind = "crossings" if "line" in e else "occupancy"
        state = json.loads(retained[f"{PREFIX}/{source}/{name}/{kind}"])
        assert state["event_id"] == e["id"], (state, e)
        if kind == "crossings":
            assert (state["in"], state["out"]) == (e["in"], e["out"]), (state, e)
        else:
            assert (state["occupancy"], state["entries"], state["exits"]) == \
                (e["occupancy"], e["entries"], e["exits"]), (state, e)


def scenario_broker_outage(args, workdir, broker, subscriber):
    # 45 s of events at 20 frames/s, 2 sources; the broker is away from t=5 s to t=35 s.
    driver = subprocess.Popen(driver_command(args, workdir, broker.port, 1, 0, 900, 20),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    before = len(subscriber.unique_ids())
    broker.stop()
    time.sleep(30)
    during = len(read_ids(os.path.join(workdir, "run1.jsonl")))
    broker.start()
    out, err = driver.communicate(timeout=150)
    sys.stderr.write(err)
    assert driver.returncode == 0, (driver.returncode, out, err)
    expected = set(read_ids(os.path.join(workdir, "run1.jsonl")))
    wait_for_all(subscriber, expected, 60)
    report = analyse(subscriber.snapshot(), expected)
    report.update({"driver": json.loads(out.strip().splitlines()[-1]),
                   "received_before_outage": before, "produced_by_end_of_outage": during})
    print(json.dumps(report))
    assert before > 0 and during - before >= 1000, "events must be produced during the outage"
    assert report["driver"]["reconnects"] >= 1, report
    assert report["lost"] == 0 and report["unexpected"] == 0, report
    assert report["duplicates"] == 0 and report["order_violations"] == 0, report


def scenario_producer_killed(args, workdir, broker, subscriber):
    # Run 1: killed while the broker is down, so its outbox certainly holds unsent rows.
    run1 = subprocess.Popen(driver_command(args, workdir, broker.port, 1, 0, 100000, 100),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    broker.stop()
    time.sleep(2)
    run1.send_signal(signal.SIGKILL)
    run1.wait()
    broker.start()
    # Run 2: replays run 1's rows, then is killed mid-flight with the broker up.
    run2 = subprocess.Popen(driver_command(args, workdir, broker.port, 2, 1_000_000, 100000, 200,
                                           pending=True),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    run2.send_signal(signal.SIGKILL)
    run2.wait()
    # Run 3: replays what run 2 left, adds a few events, drains and exits.
    stats = run_driver(driver_command(args, workdir, broker.port, 3, 2_000_000, 50, 100, pending=True), 120)
    expected = set()
    for name in ["run1.jsonl", "run2.jsonl", "run3.jsonl", "pending2.txt", "pending3.txt"]:
        expected |= set(read_ids(os.path.join(workdir, name)))
    wait_for_all(subscriber, expected, 60)
    report = analyse(subscriber.snapshot(), expected)
    report.update({"driver": stats,
                   "replayed_after_kill_1": len(read_ids(os.path.join(workdir, "pending2.txt"))),
                   "replayed_after_kill_2": len(read_ids(os.path.join(workdir, "pending3.txt")))})
    print(json.dumps(report))
    assert report["replayed_after_kill_1"] >= 100, "run 1 must have left unsent rows"
    if report["lost"]:
        missing = expected - subscriber.unique_ids()
        for name in ["run1.jsonl", "run2.jsonl", "run3.jsonl", "pending2.txt", "pending3.txt"]:
            print(name, len(missing & set(read_ids(os.path.join(workdir, name)))))
    assert report["lost"] == 0 and report["unexpected"] == 0, report
    assert report["order_violations"] == 0, report


SCENARIOS = {"all_arrive": scenario_all_arrive, "broker_outage": scenario_broker_outage,
             "producer_killed": scenario_producer_killed}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True)
    parser.add_argument("--broker", default="/usr/sbin/mosquitto")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edge_mqtt_") as workdir:
        workdir = os.environ.get("EDGE_EVENTS_TEST_KEEP_DIR", workdir)  # for debugging a failure
        os.makedirs(workdir, exist_ok=True)
        broker = Broker(args.broker, workdir)
        broker.start()
        subscriber = None
        try:
            subscriber = Subscriber(broker.port)
            SCENARIOS[args.scenario](args, workdir, broker, subscriber)
        finally:
            if subscriber:
                subscriber.close()
            broker.stop()
    print(f"PASS {args.scenario}")


if __name__ == "__main__":
    main()

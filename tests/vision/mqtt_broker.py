"""A Mosquitto broker for the vision tests: on a free loopback port, persistence on (so that a
persistent subscriber session and its queue survive a SIGTERM and restart of the broker)."""
import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Broker:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.port = free_port()
        self.conf = os.path.join(workdir, "mosquitto.conf")
        self.log = os.path.join(workdir, "broker.log")
        with open(self.conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                    f"persistence true\npersistence_location {workdir}/\n"
                    # Unbounded queue for the offline subscriber: a backlog replayed after an
                    # outage must not be cut by the broker's default of 1000.
                    "max_queued_messages 0\nqueue_qos0_messages true\n"
                    f"log_dest file {self.log}\n"
                    # As root, mosquitto would switch to user "mosquitto", which cannot write the
                    # persistence file or the log into this private folder.
                    + ("user root\n" if os.geteuid() == 0 else ""))
        self.process = None

    def start(self):
        self.process = subprocess.Popen([self.binary, "-c", self.conf],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not port_accepts(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not listen on {self.port}; see {self.log}")
            time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None


def read_retained(port, topic_filters, wait_s=1.5):
    """The retained messages a fresh subscriber to `topic_filters` gets: {topic: payload}."""
    import paho.mqtt.client as mqtt  # here, so that importing this module needs no paho
    got = {}
    client = mqtt.Client(client_id=f"retained-{os.getpid()}-{time.monotonic_ns()}", clean_session=True)
    client.on_connect = lambda c, u, f, rc: [c.subscribe(t, qos=1) for t in topic_filters]
    client.on_message = lambda c, u, m: got.__setitem__(m.topic, m.payload.decode()) if m.retain else None
    client.connect("127.0.0.1", port)
    client.loop_start()
    time.sleep(wait_s)
    client.loop_stop()
    client.disconnect()
    return got

"""Reference: a bare paho-mqtt subscriber (QoS 1, auto-ack) counting uplinks; prints JSON.

python -m bench.bare_subscriber HOST PORT TOPIC EXPECTED
"""

from __future__ import annotations

import json
import sys
import time

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


def main() -> None:
    host, port, topic, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    state = {"n": 0, "first": 0.0, "last": 0.0}
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id="bench-bare",
        protocol=paho.MQTTv5,
    )

    def on_message(_c: paho.Client, _u: object, _m: paho.MQTTMessage) -> None:
        now = time.perf_counter()
        if state["n"] == 0:
            state["first"] = now
        state["n"] += 1
        state["last"] = now
        if state["n"] >= expected:
            client.disconnect()

    client.on_message = on_message
    client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(topic, qos=1)
    client.connect(host, port, 60)
    print("ready", flush=True)
    started = time.process_time()
    deadline = time.monotonic() + 120
    while state["n"] < expected and time.monotonic() < deadline:
        client.loop(timeout=0.5)
    cpu = time.process_time() - started
    span = max(1e-9, state["last"] - state["first"])
    print(
        json.dumps(
            {
                "received": state["n"],
                "rate": state["n"] / span,
                "cpu_us_per_msg": cpu / max(1, state["n"]) * 1e6,
            }
        )
    )


if __name__ == "__main__":
    main()

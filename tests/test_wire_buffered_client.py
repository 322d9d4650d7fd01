"""The hub's paho client reads its socket in 64 KiB chunks (`seaLink.wire.BufferedClient`): every
packet still arrives whole, in order and once, whether it is a 20-byte uplink in a burst of
thousands or a payload spanning several chunks; and a burst costs far fewer `recv` calls."""

from __future__ import annotations

import asyncio
import threading

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from seaLink.wire.mqtt import BufferedClient, PahoAsyncio
from tests.brokers import Mosquitto


class CountingRecv(paho.Client):
    recvs = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        self.recvs += 1
        return super()._sock_recv(bufsize)


class Probe(BufferedClient, CountingRecv):
    """BufferedClient whose real socket reads are counted."""


def payloads() -> list[bytes]:
    # Remaining lengths of 1, 2 and 3 bytes; one payload larger than five chunks.
    sizes = [5, 100, 126, 127, 128, 200, 16_383, 16_384, 70_000, 350_000]
    out = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
    out += [f'{{"seq":{i},"lat":23.4,"lon":117.1}}'.encode() for i in range(3000)]
    return out


async def test_a_burst_arrives_whole_in_order_and_once(broker: Mosquitto) -> None:
    sent = payloads()
    got: list[bytes] = []
    done = asyncio.Event()
    subscribed = asyncio.Event()
    client = Probe(callback_api_version=CallbackAPIVersion.VERSION2, client_id="buffered-probe")

    def on_message(_c: paho.Client, _u: object, m: paho.MQTTMessage) -> None:
        got.append(m.payload)
        if len(got) == len(sent):
            done.set()

    client.on_message = on_message
    client.on_connect = lambda c, u, f, rc, p=None: c.subscribe("burst/#", qos=1)
    client.on_subscribe = lambda c, u, mid, rc, p=None: subscribed.set()
    adapter = PahoAsyncio()
    adapter.attach(client)
    # A long keepalive: packets left in the buffer with no wake-up would wait for the next
    # PINGRESP to make the socket readable, and the burst would not complete in time.
    await asyncio.to_thread(client.connect, "127.0.0.1", broker.port, 300)
    await asyncio.wait_for(subscribed.wait(), 10)

    def publish_all() -> None:
        pub = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="burst-pub")
        pub.max_inflight_messages_set(0)  # no limit: the broker gets the burst as fast as it can
        pub.connect("127.0.0.1", broker.port, 30)
        pub.loop_start()
        infos = [pub.publish("burst/x", p, qos=1) for p in sent]
        for info in infos:
            info.wait_for_publish(30)
        pub.disconnect()
        pub.loop_stop()

    publisher = threading.Thread(target=publish_all)
    publisher.start()
    try:
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await asyncio.to_thread(publisher.join, 60)
        client.disconnect()
        adapter.close()
    assert len(got) == len(sent)
    assert got == sent
    assert client.buffered == 0
    # paho alone would make 3-4 recv calls per packet.
    assert client.recvs < len(sent), client.recvs

"""`seaLink.wire.session.MqttSession`, the one MQTT session of the hub, the gateways and the
simulated terminals, on a real Mosquitto of its own: persistent session resumed, manual acks,
reconnection with backoff (an outage logged once), CONNACK timeout, refused logins and refused
subscriptions, connect-once, and a drop that makes the broker publish the will. And
`seaLink.wire.backoff`, the one backoff rule of every retry loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from seaLink.links.mqtt_link import MqttLink
from seaLink.metrics import HubMetrics
from seaLink.settings import MqttSettings
from seaLink.wire.backoff import Backoff, doubling_delay
from seaLink.wire.mqtt import BrokerAddress, PahoAsyncio
from seaLink.wire.session import MqttSession, SessionOwner, SessionSettings
from seaLink.wire.topics import Topics
from tests.brokers import Mosquitto, Probe, ShippedMosquitto, free_port
from tests.sim.watcher import wait_until

P = "sealink/v1"
VESSEL = "NA00077"


# -- backoff ---------------------------------------------------------------------------------------


def test_backoff_doubles_to_its_ceiling_and_starts_again_after_a_success() -> None:
    b = Backoff(0.2, 2.0)
    assert [b.next() for _ in range(6)] == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    b.reset()
    assert b.next() == 0.2
    assert doubling_delay(2.0, 30.0, 1) == 2.0 and doubling_delay(2.0, 30.0, 4) == 16.0
    assert doubling_delay(2.0, 30.0, 10_000) == 30.0  # no overflow after a long outage


def test_backoff_jitter_multiplies_each_delay() -> None:
    b = Backoff(1.0, 30.0, jitter=lambda: 1.5)
    assert [b.next() for _ in range(3)] == [1.5, 3.0, 6.0]
    with pytest.raises(ValueError):
        Backoff(1.0, 0.5)


async def test_backoff_waits_on_the_sleep_it_is_given() -> None:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    b = Backoff(0.5, 10.0)
    for _ in range(3):
        await b.wait(sleep)
    assert slept == [0.5, 1.0, 2.0]


# -- the session -----------------------------------------------------------------------------------


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker this test may stop and restart."""
    b = Mosquitto(tmp_path / "mosquitto")
    b.start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedMosquitto]:
    """The shipped broker configuration (dynamic security): a vessel account may subscribe only to
    its own down topic. (Mosquitto's plain acl_file grants any subscription and filters later.)"""
    b = ShippedMosquitto(tmp_path_factory.mktemp("session-dynsec"))
    b.start()
    b.password = b.credentials("vessel", VESSEL)  # type: ignore[attr-defined]
    yield b
    b.stop()


def addr(broker: Mosquitto) -> BrokerAddress:
    return BrokerAddress("127.0.0.1", broker.port)


def vessel_addr(broker: ShippedMosquitto) -> BrokerAddress:
    return BrokerAddress("127.0.0.1", broker.port, VESSEL, broker.password)  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def running(session: MqttSession) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(session.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def publish(broker: Mosquitto, topic: str, payload: bytes) -> None:
    probe = Probe(broker.port, None, None, f"pub-{uuid.uuid4().hex[:8]}")
    probe.connect()
    try:
        assert not probe.pub(topic, payload).is_failure
    finally:
        probe.close()


class Owner(SessionOwner):
    """What an owner of a session sees."""

    def __init__(self, subs: list[tuple[str, int]] | None = None) -> None:
        self.subs = subs or []
        self.wanted = True
        self.messages: list[tuple[str, bytes, int]] = []
        self.connects: list[bool] = []
        self.offline: list[bool] = []
        self.refused: list[list[str]] = []

    def session(
        self, broker: BrokerAddress, settings: SessionSettings, subs: list[tuple[str, int]]
    ) -> MqttSession:
        self.subs = subs
        return MqttSession(broker, settings, self)

    def mqtt_subscriptions(self) -> list[tuple[str, int]]:
        return self.subs

    def mqtt_wanted(self) -> bool:
        return self.wanted

    def mqtt_connected(self, session_present: bool) -> None:
        self.connects.append(session_present)

    def mqtt_offline(self, lost: bool) -> None:
        self.offline.append(lost)

    def mqtt_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        self.messages.append((msg.topic, bytes(msg.payload), msg.mid))

    def mqtt_refused(self, filters: list[str]) -> None:
        self.refused.append(filters)


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_a_persistent_session_gets_what_was_sent_while_it_was_away(
    own_broker: Mosquitto, protocol: str
) -> None:
    owner = Owner()
    cid = f"s-{uuid.uuid4().hex[:8]}"
    settings = SessionSettings(client_id=cid, protocol=protocol, reconnect_first_s=0.1)
    session = owner.session(addr(own_broker), settings, [("allowed/resume", 1)])
    async with running(session):
        await wait_until(lambda: session.online, 10, "connected")
        assert owner.connects == [False]  # a new session
    assert not session.online and owner.offline == [False]  # stopped by us: not "lost"
    publish(own_broker, "allowed/resume", b"while away")
    session = owner.session(addr(own_broker), settings, [("allowed/resume", 1)])
    async with running(session):
        await wait_until(lambda: bool(owner.messages), 10, "the queued message")
        assert owner.connects == [False, True]  # the broker kept the session
        assert owner.messages[0][:2] == ("allowed/resume", b"while away")


async def test_with_manual_acks_only_what_the_owner_acknowledged_is_settled(
    own_broker: Mosquitto,
) -> None:
    owner = Owner()
    settings = SessionSettings(
        client_id=f"s-{uuid.uuid4().hex[:8]}", manual_ack=True, reconnect_first_s=0.1
    )
    session = owner.session(addr(own_broker), settings, [("allowed/ack/#", 1)])
    async with running(session):
        await wait_until(lambda: session.online, 10, "connected")
        publish(own_broker, "allowed/ack/a", b"a")
        publish(own_broker, "allowed/ack/b", b"b")
        await wait_until(lambda: len(owner.messages) == 2, 10, "two messages")
        session.client.ack(owner.messages[0][2], 1)  # only `a` is committed
        await asyncio.sleep(0.2)  # let the PUBACK leave before the socket closes
    owner.messages.clear()
    async with running(session):
        await wait_until(lambda: bool(owner.messages), 10, "the redelivery")
        await asyncio.sleep(0.3)
        assert [m[1] for m in owner.messages] == [b"b"]


async def test_a_lost_broker_is_reconnected_with_backoff_and_the_outage_logged_once(
    own_broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="seaLink.wire.session")
    owner = Owner()
    settings = SessionSettings(
        client_id=f"s-{uuid.uuid4().hex[:8]}", reconnect_first_s=0.05, reconnect_max_s=0.2
    )
    session = owner.session(addr(own_broker), settings, [("allowed/x", 1)])
    async with running(session):
        await wait_until(lambda: session.online, 10, "connected")
        own_broker.stop()
        await wait_until(lambda: session.connect_errors >= 3, 10, "several failed attempts")
        assert owner.offline == [True]  # lost, not closed by us
        own_broker.start()
        await wait_until(lambda: session.online, 10, "connected again")
        assert session.connections == 2 and owner.connects[-1] is True
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert sum("cannot reach the broker" in m for m in warnings) == 1, warnings
    assert sum("reached the broker again" in m for m in warnings) == 1, warnings
    assert sum("disconnected" in m for m in warnings) == 1, warnings


async def test_a_broker_that_never_answers_connect_is_given_up_after_the_connack_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    held: list[asyncio.StreamWriter] = []

    async def hold(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        held.append(w)

    port = free_port()
    server = await asyncio.start_server(hold, "127.0.0.1", port)
    settings = SessionSettings(
        client_id="mute", connack_timeout_s=0.2, reconnect_first_s=0.05, reconnect_max_s=0.1
    )
    session = Owner().session(BrokerAddress("127.0.0.1", port), settings, [])
    try:
        async with running(session):
            await wait_until(lambda: session.connect_errors >= 2, 10, "two timed-out attempts")
            assert len(held) >= 2 and not session.online
    finally:
        for w in held:
            w.close()
        server.close()
    assert sum("no CONNACK within 0.2s" in r.getMessage() for r in caplog.records) == 1


async def test_a_refused_login_is_an_error_and_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broker = Mosquitto(tmp_path, anonymous=False)
    broker.start()
    try:
        settings = SessionSettings(client_id="nobody", reconnect_first_s=0.05, reconnect_max_s=0.1)
        session = Owner().session(addr(broker), settings, [])
        async with running(session):
            await wait_until(lambda: session.connect_errors >= 2, 10, "two refusals")
            assert not session.online
    finally:
        broker.stop()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and all("refused nobody" in m for m in errors), errors


async def test_refused_subscriptions_are_logged_once_per_connection_and_counted(
    shipped: ShippedMosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    owner = Owner()
    settings = SessionSettings(client_id=VESSEL, reconnect_first_s=0.05)
    own, other, everything = f"{P}/vessels/{VESSEL}/down", f"{P}/vessels/NA00001/down", f"{P}/#"
    session = owner.session(vessel_addr(shipped), settings, [(own, 1), (other, 1), (everything, 1)])
    async with running(session):
        await wait_until(lambda: bool(owner.refused), 10, "the SUBACK")
        assert session.refused == (other, everything)
        session.client.disconnect()  # the link goes; the session comes back by itself
        await wait_until(lambda: len(owner.refused) == 2, 20, "the SUBACK of the new connection")
        assert session.connections == 2 and session.refused_total == 4
        assert session.refused == (other, everything)  # this connection's
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2, errors  # once per connection
    assert f"['{other}', '{everything}']" in errors[0] and f"'{own}'" not in errors[0]


async def test_connect_once_ends_with_the_link(own_broker: Mosquitto) -> None:
    owner = Owner()
    session = owner.session(
        addr(own_broker), SessionSettings(client_id=f"s-{uuid.uuid4().hex[:8]}"), []
    )
    session.reconnect = False
    task = asyncio.create_task(session.run())
    await wait_until(lambda: session.online, 10, "connected")
    own_broker.stop()
    await asyncio.wait_for(task, 10)
    assert session.connections == 1 and session.connect_errors == 0


async def test_a_drop_makes_the_broker_publish_the_will(own_broker: Mosquitto) -> None:
    watcher = Probe(own_broker.port, None, None, f"w-{uuid.uuid4().hex[:8]}")
    watcher.connect()
    assert not watcher.sub("allowed/status").is_failure
    adapter = PahoAsyncio()
    settings = SessionSettings(
        client_id=f"s-{uuid.uuid4().hex[:8]}",
        will=("allowed/status", b"offline"),
        connect_in_thread=False,
    )
    owner = Owner()
    session = MqttSession(addr(own_broker), settings, owner, adapter=adapter)
    try:
        session.start()
        await wait_until(lambda: session.online, 10, "connected")
        owner.wanted = False
        session.drop()
        assert not session.online and owner.offline == [False]
        await wait_until(lambda: session.client.socket() is None, 5, "the socket closed")
        got = await asyncio.to_thread(watcher.messages.get, timeout=10)
        assert got == ("allowed/status", b"offline")
        session.ensure_connected()  # not wanted: stays away
        assert not session.connecting
    finally:
        session.stop()
        adapter.close()
        watcher.close()


async def test_the_hub_link_counts_and_exposes_refused_subscriptions(
    shipped: ShippedMosquitto,
) -> None:
    """The hub's link logged in with an account whose roles refuse its subscriptions (a vessel's):
    the metric counts them and `refused_subscriptions` (what /healthz reports as mqtt `refused`)
    names them."""
    metrics = HubMetrics()
    url = f"mqtt://{VESSEL}:{shipped.password}@127.0.0.1:{shipped.port}"  # type: ignore[attr-defined]
    link = MqttLink(MqttSettings(url=url, client_id=VESSEL), metrics, Topics(P))
    task = asyncio.create_task(link.run())
    try:
        await wait_until(lambda: bool(link.refused_subscriptions), 10, "the SUBACK")
        assert link.connected.is_set()
        refused = metrics.registry.get_sample_value("sealink_mqtt_subscriptions_refused_total")
        assert refused == len(link.refused_subscriptions) > 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert not link.connected.is_set() and link.refused_subscriptions == ()


async def test_healthz_reports_refused_subscriptions_as_mqtt_refused() -> None:
    """A hub connected but refused some subscriptions hears nothing there: /healthz says so (503)."""
    import json
    from types import SimpleNamespace

    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from seaLink.api.app import API, healthz

    connected = asyncio.Event()
    connected.set()
    link = SimpleNamespace(connected=connected, refused_subscriptions=(), inbox=[], urgent=[])
    urgent_connected = asyncio.Event()
    urgent_connected.set()
    health = SimpleNamespace(
        link=link,
        urgent_link=SimpleNamespace(connected=urgent_connected, refused_subscriptions=()),
        ingest=SimpleNamespace(
            health=lambda: {"writer": "ok", "stalled_s": None, "committed": 0, "backlog": 0}
        ),
        registry=[],
        watch=SimpleNamespace(book=SimpleNamespace(counts=lambda: {})),
        holds_schedule=lambda: True,
    )
    app = web.Application()
    app[API] = SimpleNamespace(health=health)  # type: ignore[misc]

    async def ask() -> tuple[int, dict[str, object]]:
        response = await healthz(make_mocked_request("GET", "/healthz", app=app))
        assert isinstance(response, web.Response) and isinstance(response.body, bytes)
        return response.status, json.loads(response.body)

    status, body = await ask()
    assert status == 200 and body["parts"] == {
        "mqtt": "ok",
        "distress_session": "ok",
        "ingest": "ok",
    }
    link.refused_subscriptions = (f"$share/sealink-hubs/{P}/vessels/+/up/+",)
    status, body = await ask()
    assert status == 503 and body["parts"] == {
        "mqtt": "refused",
        "distress_session": "ok",
        "ingest": "ok",
    }
    assert body["status"] == "degraded" and body["mqtt"] is True
    connected.clear()
    status, body = await ask()
    assert status == 503 and body["parts"]["mqtt"] == "down"
    urgent_connected.clear()  # the distress session down: degraded too (the main one still
    status, body = await ask()  # carries distress calls, behind its backlog)
    assert status == 503 and body["parts"]["distress_session"] == "down"


async def test_a_paused_session_reads_nothing_until_resumed_and_loses_nothing(
    own_broker: Mosquitto,
) -> None:
    """The hub's main session stops reading while a distress is stored (issue 17.1): what the
    broker sends meanwhile waits, and none of it is lost. A second session on the same topic
    shows when the broker has sent everything, so the test waits on that, not on a sleep."""
    held, witness = Owner(), Owner()
    topic = "allowed/pause/#"

    def settings() -> SessionSettings:
        return SessionSettings(
            client_id=f"s-{uuid.uuid4().hex[:8]}", reconnect_first_s=0.1,
            new_client_each_time=True,
        )  # fmt: skip

    paused = held.session(addr(own_broker), settings(), [(topic, 1)])
    seen = witness.session(addr(own_broker), settings(), [(topic, 1)])
    async with running(paused), running(seen):
        await wait_until(lambda: paused.online and seen.online, 10, "connected")
        paused.pause_reading(True)
        for i in range(3):
            publish(own_broker, f"allowed/pause/{i}", str(i).encode())
        await wait_until(lambda: len(witness.messages) == 3, 10, "the witness's three")
        assert held.messages == []
        paused.pause_reading(False)
        await wait_until(lambda: len(held.messages) == 3, 10, "resumed")
        assert [m[1] for m in held.messages] == [b"0", b"1", b"2"]

        paused.pause_reading(True)  # a pause never keeps a new connection from its CONNACK
        paused.drop()
        paused.connect()
        await wait_until(lambda: paused.online, 10, "reconnected")
        publish(own_broker, "allowed/pause/3", b"3")
        await wait_until(lambda: held.messages[-1][1] == b"3", 10, "read on the new connection")


async def test_a_buffered_client_hands_messages_to_on_message_and_still_honours_topic_callbacks(
    own_broker: Mosquitto,
) -> None:
    """`BufferedClient` skips paho's per-topic callback lookup while there are none (the hub's
    case); a callback added for a topic still gets that topic's messages, and only those."""
    from paho.mqtt.enums import CallbackAPIVersion

    from seaLink.wire.mqtt import BufferedClient

    plain: list[str] = []
    filtered: list[str] = []
    client = BufferedClient(callback_api_version=CallbackAPIVersion.VERSION2,
                            client_id=f"b-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5)  # fmt: skip
    client.on_message = lambda _c, _u, m: plain.append(m.topic)
    subscribed = asyncio.Event()
    loop = asyncio.get_running_loop()
    client.on_subscribe = lambda *_a: loop.call_soon_threadsafe(subscribed.set)
    client.on_connect = lambda c, *_a: c.subscribe("allowed/buf/#", qos=1)
    client.connect("127.0.0.1", own_broker.port)
    client.loop_start()
    try:
        await asyncio.wait_for(subscribed.wait(), 10)
        publish(own_broker, "allowed/buf/a", b"1")
        await wait_until(lambda: plain == ["allowed/buf/a"], 10, "on_message")
        client.message_callback_add("allowed/buf/b", lambda _c, _u, m: filtered.append(m.topic))
        publish(own_broker, "allowed/buf/b", b"2")
        publish(own_broker, "allowed/buf/c", b"3")
        await wait_until(lambda: len(plain) == 2 and filtered == ["allowed/buf/b"], 10, "both")
        assert plain == ["allowed/buf/a", "allowed/buf/c"]
    finally:
        client.disconnect()
        client.loop_stop()

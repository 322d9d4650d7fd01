"""Client ids are bound to accounts at the broker (issue 12, point 2): on the shipped Mosquitto
configuration, with accounts made by `sealink credentials`, no vessel or gateway can connect with
the hub's client id or another vessel's, so nobody can knock the hub or a boat off the air (MQTT's
session takeover) or read what the broker queued for them. Every legitimate client still connects,
the hubs of a cluster with their own ids and a dead hub's (adoption)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.brokers import Probe, ShippedMosquitto, refused

PREFIX = "sealink/v1"
A, B = "NA80607", "NA80608"
UPLINKS = f"{PREFIX}/vessels/+/up/+"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedMosquitto]:
    b = ShippedMosquitto(tmp_path_factory.mktemp("client-ids"), websockets=True, log_all=True)
    b.start()
    b.passwords = {  # type: ignore[attr-defined]
        "hub": b.credentials("hub"),
        A: b.credentials("vessel", A),
        B: b.credentials("vessel", B),
        "ais-1": b.credentials("gateway", "ais-1", "--link", "ais"),
        "beidou-1": b.credentials("gateway", "beidou-1", "--link", "beidou"),
    }
    yield b
    b.stop()


def pw(broker: ShippedMosquitto, name: str) -> str:
    return broker.passwords[name]  # type: ignore[attr-defined,no-any-return]


def hub_session(broker: ShippedMosquitto, client_id: str, topic: str = UPLINKS) -> Probe:
    """A hub's link as the hub makes it: its account, a persistent session, the uplinks at QoS 1."""
    hub = Probe(broker.port, "sealink-hub", pw(broker, "hub"), client_id, persistent=True)
    assert not hub.connect().is_failure
    assert not hub.sub(topic).is_failure
    return hub


def collect(probe: Probe, count: int, timeout: float = 10) -> list[tuple[str, bytes]]:
    got: list[tuple[str, bytes]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        try:
            got.append(probe.messages.get(timeout=max(0.01, deadline - time.monotonic())))
        except Exception:
            break
    return got


def takeover_log_lines(broker: ShippedMosquitto, client_id: str) -> list[str]:
    log = (broker.workdir / "mosquitto.log").read_text(encoding="utf-8", errors="replace")
    return [line for line in log.splitlines() if f"Client {client_id} already connected" in line]


def test_a_vessel_with_the_hubs_client_id_is_refused_and_the_hub_loses_nothing(
    broker: ShippedMosquitto,
) -> None:
    """The reported attack: NA80607's own credentials with the hub's client id, again and again,
    while a boat sends 20 positions. Each attempt gets CONNACK "not authorised"; the hub is never
    disconnected and receives all 20."""
    hub = hub_session(broker, "sealink-hub")
    sender = Probe(broker.port, B, pw(broker, B), B)
    assert not sender.connect().is_failure
    attempts: list[bool] = []

    def attack() -> None:
        for i in range(8):
            attempts.append(refused(broker.port, A, pw(broker, A), "sealink-hub", mqtt5=i % 2 == 0))

    attacker = threading.Thread(target=attack, name="test-attacker")
    attacker.start()
    acks = []
    for i in range(20):
        acks.append(sender.pub(f"{PREFIX}/vessels/{B}/up/position", b'{"n": %d}' % i))
    attacker.join(30)
    try:
        assert attempts == [True] * 8, "every attempt must be refused"
        assert all(not rc.is_failure for rc in acks)
        got = collect(hub, 20)
        assert sorted(int(p[6:-1]) for _, p in got) == list(range(20)), "an uplink was lost"
        assert hub.connected and hub.disconnects == [], "the hub was knocked off"
        assert takeover_log_lines(broker, "sealink-hub") == []
    finally:
        sender.close()
        hub.close()


@pytest.mark.parametrize("websocket", [False, True], ids=["mqtt", "websocket"])
def test_vessel_b_cannot_take_vessel_as_client_id(
    broker: ShippedMosquitto, websocket: bool
) -> None:
    port = broker.ws_port if websocket else broker.port
    assert port is not None
    a = Probe(port, A, pw(broker, A), A, persistent=True, websocket=websocket)
    assert not a.connect().is_failure
    assert not a.sub(f"{PREFIX}/vessels/{A}/down").is_failure
    hub = Probe(broker.port, "sealink-hub", pw(broker, "hub"), "sealink-hub")
    assert not hub.connect().is_failure
    try:
        for mqtt5 in (True, False):
            assert refused(port, B, pw(broker, B), A, mqtt5=mqtt5, websocket=websocket)
            assert refused(
                port, B, pw(broker, B), A, mqtt5=mqtt5, persistent=True, websocket=websocket
            )
        # A keeps its link and its down channel: the hub's message reaches it.
        assert not hub.pub(f"{PREFIX}/vessels/{A}/down", b"typhoon").is_failure
        assert collect(a, 1) == [(f"{PREFIX}/vessels/{A}/down", b"typhoon")]
        assert a.connected and a.disconnects == []
        assert takeover_log_lines(broker, A) == []
    finally:
        a.close()
        hub.close()


@pytest.mark.parametrize(
    "account,client_id",
    [
        (A, "sealink-hub"),  # the single hub's id
        (A, "sealink-hub-hub-1"),  # a cluster hub's
        (A, "sealink-gw-ais-1"),  # a gateway's
        (A, B),  # another vessel's
        (A, ""),  # none: the broker would make one up
        ("ais-1", "sealink-hub"),
        ("ais-1", "sealink-gw-beidou-1"),
        ("ais-1", A),
        ("beidou-1", "sealink-hub-hub-2"),
        ("beidou-1", "sealink-gw-ais-1"),
    ],
)
def test_no_vessel_or_gateway_account_may_use_another_client_id(
    broker: ShippedMosquitto, account: str, client_id: str
) -> None:
    username = account if account.startswith("NA") else f"gw-{account}"
    assert refused(broker.port, username, pw(broker, account), client_id)


def test_every_account_connects_with_its_own_client_id(broker: ShippedMosquitto) -> None:
    own = [
        ("sealink-hub", "hub", "sealink-hub"),
        ("sealink-hub", "hub", "sealink-hub-hub-1"),
        ("sealink-hub", "hub", "sealink-hub-sealink-hub-0"),  # Kubernetes: the pod name
        (A, A, A),
        (B, B, B),
        ("gw-ais-1", "ais-1", "sealink-gw-ais-1"),
        ("gw-beidou-1", "beidou-1", "sealink-gw-beidou-1"),
    ]
    for username, name, client_id in own:
        for mqtt5 in (True, False):
            probe = Probe(broker.port, username, pw(broker, name), client_id, mqtt5=mqtt5)
            assert not probe.connect().is_failure, (username, client_id, mqtt5)
            probe.close()
    # the terminal's page, over WebSocket
    assert broker.ws_port is not None
    probe = Probe(broker.ws_port, A, pw(broker, A), A, websocket=True)
    assert not probe.connect().is_failure
    probe.close()


def test_a_live_hub_adopts_a_dead_hubs_session_and_no_vessel_can(
    broker: ShippedMosquitto,
) -> None:
    """Cluster mode: hub-2 dies with its share of the uplinks queued in its session. A vessel
    cannot connect as hub-2 to drain (or drop) that queue; hub-1, with the hub account, adopts
    the session and gets every queued uplink; hub-2 takes its session back when it returns."""
    shared = f"$share/sealink-hubs/{UPLINKS}"
    hub1 = hub_session(broker, "sealink-hub-hub-1", shared)
    hub2 = hub_session(broker, "sealink-hub-hub-2", shared)
    hub2.close()  # dead, its session kept by the broker
    sender = Probe(broker.port, A, pw(broker, A), A)
    assert not sender.connect().is_failure
    adopted: Probe | None = None
    try:
        for i in range(10):
            assert not sender.pub(f"{PREFIX}/vessels/{A}/up/position", b'{"n": %d}' % i).is_failure
        live = collect(hub1, 10, timeout=2)
        assert 0 < len(live) < 10, "the dead hub's share should be waiting in its session"
        assert refused(broker.port, B, pw(broker, B), "sealink-hub-hub-2", persistent=True)
        adopted = Probe(
            broker.port, "sealink-hub", pw(broker, "hub"), "sealink-hub-hub-2", persistent=True
        )
        assert not adopted.connect().is_failure
        queued = collect(adopted, 10 - len(live))
        numbers = sorted(int(p[6:-1]) for _, p in live + queued)
        assert numbers == list(range(10)), "every uplink once, none lost"
        back = hub_session(broker, "sealink-hub-hub-2", shared)
        deadline = time.monotonic() + 5
        while adopted.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not adopted.connected, "the returning hub takes its session back"
        back.close()
    finally:
        sender.close()
        hub1.close()
        if adopted is not None:
            adopted.close()

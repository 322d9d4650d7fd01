"""What each account may do on the shipped Mosquitto configuration, with accounts made by
`sealink credentials`: a vessel speaks and listens only as itself, a gateway only for its own
link (an AIS gateway cannot post a Beidou message, a distress among them, and a Beidou gateway
cannot post AIS), the hub reads and writes everything, and the provisioning tool itself keeps
accounts as they must be."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from seaLink.broker.dynsec import DynsecAdmin
from tests.brokers import Probe, ShippedMosquitto, refused

P = "sealink/v1"
A, B = "NA00001", "NA00002"
GRANTED, REFUSED = "granted", "refused"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedMosquitto]:
    b = ShippedMosquitto(tmp_path_factory.mktemp("acl"))
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


def login(broker: ShippedMosquitto, name: str, hub_id: str = "sealink-hub-acl-test") -> Probe:
    passwords: dict[str, str] = broker.passwords  # type: ignore[attr-defined]
    if name == "hub":
        probe = Probe(broker.port, "sealink-hub", passwords[name], hub_id)
    elif name.startswith("NA"):
        probe = Probe(broker.port, name, passwords[name], name)
    else:
        probe = Probe(broker.port, f"gw-{name}", passwords[name], f"sealink-gw-{name}")
    assert not probe.connect().is_failure, name
    return probe


def outcome(rc: object) -> str:
    return REFUSED if getattr(rc, "is_failure", True) else GRANTED


def wait_for(probe: Probe, count: int, timeout: float = 5) -> list[tuple[str, bytes]]:
    got: list[tuple[str, bytes]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += probe.drain()
        time.sleep(0.02)
    return got


PUBLISH = [
    # (account, topic, expected)
    (A, f"{P}/vessels/{A}/up/position", GRANTED),
    (A, f"{P}/vessels/{A}/up/distress", GRANTED),
    (A, f"{P}/vessels/{A}/status", GRANTED),
    (A, f"{P}/vessels/{B}/up/position", REFUSED),  # as another vessel
    (A, f"{P}/vessels/{B}/status", REFUSED),
    (A, f"{P}/vessels/{A}/down", REFUSED),  # as the hub
    (A, f"{P}/gateways/ais-1/ais", REFUSED),  # as a gateway
    (A, f"{P}/hubs/hub-1/news", REFUSED),  # as a hub, to the other hubs
    ("ais-1", f"{P}/gateways/ais-1/status", GRANTED),
    ("ais-1", f"{P}/gateways/ais-1/ais", GRANTED),
    ("ais-1", f"{P}/gateways/ais-1/beidou/rx", REFUSED),  # issue 12: a distress by "Beidou"
    ("ais-1", f"{P}/gateways/ais-1/beidou/feedback", REFUSED),
    ("ais-1", f"{P}/gateways/beidou-1/beidou/rx", REFUSED),
    ("ais-1", f"{P}/gateways/beidou-1/status", REFUSED),
    ("ais-1", f"{P}/vessels/{A}/up/distress", REFUSED),
    ("beidou-1", f"{P}/gateways/beidou-1/status", GRANTED),
    ("beidou-1", f"{P}/gateways/beidou-1/beidou/rx", GRANTED),
    ("beidou-1", f"{P}/gateways/beidou-1/beidou/feedback", GRANTED),
    ("beidou-1", f"{P}/gateways/beidou-1/beidou/tx_result", GRANTED),
    ("beidou-1", f"{P}/gateways/beidou-1/beidou/tx", REFUSED),  # the hub's requests to it
    ("beidou-1", f"{P}/gateways/beidou-1/ais", REFUSED),
    ("beidou-1", f"{P}/gateways/ais-1/ais", REFUSED),
    ("beidou-1", f"{P}/vessels/{A}/up/position", REFUSED),
    ("hub", f"{P}/vessels/{A}/down", GRANTED),
    ("hub", f"{P}/gateways/beidou-1/beidou/tx", GRANTED),
    ("hub", f"{P}/hubs/hub-1/news", GRANTED),
    ("hub", "elsewhere/x", REFUSED),
]


def test_each_account_publishes_exactly_where_it_may(broker: ShippedMosquitto) -> None:
    """MQTT 5 PUBACKs say "not authorised" for a refused topic, and nothing reaches the hub."""
    watcher = login(broker, "hub", "sealink-hub-watcher")
    assert outcome(watcher.sub(f"{P}/#")) == GRANTED
    clients = {name: login(broker, name) for name in ("hub", A, "ais-1", "beidou-1")}
    try:
        seen = []
        for name, topic, _expected in PUBLISH:
            got = outcome(clients[name].pub(topic, json.dumps([name, topic]).encode()))
            seen.append((name, topic, got))
        assert seen == PUBLISH
        allowed = {(n, t) for n, t, e in PUBLISH if e == GRANTED and t.startswith(P)}
        delivered = wait_for(watcher, len(allowed))
        time.sleep(0.3)  # a refused message would arrive with the allowed ones
        delivered += watcher.drain()
        assert {tuple(json.loads(p)) for _, p in delivered} == allowed
    finally:
        for c in (watcher, *clients.values()):
            c.close()


SUBSCRIBE = [
    (A, f"{P}/vessels/{A}/down", GRANTED),
    (A, f"{P}/vessels/{A}/status", GRANTED),
    (A, f"{P}/vessels/{B}/down", REFUSED),
    (A, f"{P}/vessels/+/down", REFUSED),
    (A, f"{P}/vessels/{A}/#", REFUSED),
    (A, f"{P}/vessels/+/up/+", REFUSED),
    (A, f"$share/x/{P}/vessels/{A}/down", REFUSED),
    (A, f"{P}/gateways/beidou-1/beidou/tx", REFUSED),
    (A, "#", REFUSED),
    ("ais-1", f"{P}/gateways/ais-1/beidou/tx", REFUSED),
    ("ais-1", f"{P}/gateways/beidou-1/beidou/tx", REFUSED),
    ("ais-1", f"{P}/vessels/+/down", REFUSED),
    ("beidou-1", f"{P}/gateways/beidou-1/beidou/tx", GRANTED),
    ("beidou-1", f"{P}/gateways/+/beidou/tx", REFUSED),
    ("beidou-1", f"{P}/gateways/beidou-1/ais", REFUSED),
    ("hub", f"{P}/vessels/+/up/+", GRANTED),
    ("hub", f"$share/sealink-hubs/{P}/vessels/+/status", GRANTED),
    ("hub", f"{P}/gateways/+/beidou/rx", GRANTED),
    ("hub", "$SYS/#", REFUSED),
]


def test_each_account_subscribes_exactly_where_it_may(broker: ShippedMosquitto) -> None:
    clients = {name: login(broker, name) for name in ("hub", A, "ais-1", "beidou-1")}
    try:
        seen = [(n, t, outcome(clients[n].sub(t))) for n, t, _ in SUBSCRIBE]
        assert seen == SUBSCRIBE
    finally:
        for c in clients.values():
            c.close()


def test_down_messages_and_beidou_requests_reach_only_their_owner(broker: ShippedMosquitto) -> None:
    hub, a, b, beidou = (login(broker, n) for n in ("hub", A, B, "beidou-1"))
    try:
        for probe, topic in ((a, A), (b, B)):
            assert outcome(probe.sub(f"{P}/vessels/{topic}/down")) == GRANTED
        assert outcome(beidou.sub(f"{P}/gateways/beidou-1/beidou/tx")) == GRANTED
        hub.pub(f"{P}/vessels/{B}/down", b"for B")
        hub.pub(f"{P}/gateways/beidou-1/beidou/tx", b"send")
        assert wait_for(b, 1) == [(f"{P}/vessels/{B}/down", b"for B")]
        assert wait_for(beidou, 1) == [(f"{P}/gateways/beidou-1/beidou/tx", b"send")]
        assert a.drain() == []
    finally:
        for c in (hub, a, b, beidou):
            c.close()


def test_a_will_on_another_vessels_status_is_dropped(broker: ShippedMosquitto) -> None:
    passwords: dict[str, str] = broker.passwords  # type: ignore[attr-defined]
    hub = login(broker, "hub")
    assert outcome(hub.sub(f"{P}/vessels/+/status")) == GRANTED
    liar = Probe(broker.port, B, passwords[B], B, will=f"{P}/vessels/{A}/status")
    assert not liar.connect().is_failure
    liar.c.socket().close()  # vanish: the broker publishes the will
    honest = Probe(broker.port, A, passwords[A], A, will=f"{P}/vessels/{A}/status")
    assert not honest.connect().is_failure
    honest.c.socket().close()
    try:
        got = wait_for(hub, 1)
        time.sleep(0.5)
        got += hub.drain()
        assert got == [(f"{P}/vessels/{A}/status", b"offline")], "only A's own will"
    finally:
        hub.close()
        liar.c.loop_stop()
        honest.c.loop_stop()


def test_wrong_or_missing_credentials_are_refused(broker: ShippedMosquitto) -> None:
    assert refused(broker.port, A, "wrong-password", A)
    assert refused(broker.port, "NA09999", "any-password", "NA09999")  # no such account
    for username, client_id in ((None, "anonymous"), (A, A), (A, "sealink-hub")):
        no_password = Probe(broker.port, username, None, client_id)
        assert no_password.connect().is_failure, (username, client_id)
        no_password.close()


# -- the provisioning tool -----------------------------------------------------------------------


def test_re_running_credentials_keeps_the_password_and_the_client_connected(
    broker: ShippedMosquitto,
) -> None:
    a = login(broker, A)
    try:
        out = broker.sealink("vessel", A, "--broker", broker.url).stdout
        assert "password unchanged" in out and "password: " not in out
        time.sleep(0.3)
        assert a.connected and a.disconnects == []
    finally:
        a.close()


def test_rotate_sets_a_new_password_and_disconnects_the_old_one(
    broker: ShippedMosquitto,
) -> None:
    passwords: dict[str, str] = broker.passwords  # type: ignore[attr-defined]
    name = "NA00003"
    old = broker.credentials("vessel", name)
    client = Probe(broker.port, name, old, name)
    assert not client.connect().is_failure
    refusal = broker.sealink(
        "vessel", name, "--broker", broker.url, "--password", "x" * 12, check=False
    )
    assert refusal.returncode != 0 and "--rotate" in refusal.stderr
    new = broker.credentials("vessel", name, "--rotate")
    deadline = time.monotonic() + 5
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not client.connected, "a leaked password must stop working now"
    client.close()
    assert refused(broker.port, name, old, name)
    fresh = Probe(broker.port, name, new, name)
    assert not fresh.connect().is_failure
    fresh.close()
    assert passwords[A] != new


def test_credentials_put_a_tampered_account_right(broker: ShippedMosquitto) -> None:
    """An account edited by hand (another client id, an extra role, a role widened to `#`) is
    made what SeaLink says again by re-running `sealink credentials`."""
    name = "NA00004"
    password = broker.credentials("vessel", name)
    admin_password = broker.admin_password_file.read_text().strip()
    with DynsecAdmin(broker.url, admin_password) as admin:
        admin.execute(
            [
                {"command": "setClientId", "username": name, "clientid": "sealink-hub"},
                {"command": "addRoleACL", "rolename": f"sealink-vessel-{name}",
                 "acltype": "publishClientSend", "topic": "#", "allow": True},
                {"command": "addClientRole", "username": name, "rolename": "sealink-hub"},
            ]
        )  # fmt: skip
    assert not refused(broker.port, name, password, "sealink-hub")  # the harm it would do
    out = broker.sealink("vessel", name, "--broker", broker.url).stdout
    assert "corrected: topics, client id, roles" in out
    assert refused(broker.port, name, password, "sealink-hub")
    probe = Probe(broker.port, name, password, name)
    assert not probe.connect().is_failure
    assert outcome(probe.pub(f"{P}/vessels/{A}/up/position")) == REFUSED
    probe.close()


@pytest.mark.parametrize(
    "vessel_id", ["sealink-hub", "sealink-hub-hub-1", "SEALINK-gw-x", "gw-ais-1", "bad/id", ""]
)
def test_a_vessel_id_that_could_pass_for_the_hub_or_a_gateway_is_refused(
    broker: ShippedMosquitto, vessel_id: str
) -> None:
    done = broker.sealink("vessel", vessel_id, "--broker", broker.url, check=False)
    assert done.returncode != 0 and "sealink credentials:" in done.stderr


def test_the_admin_account_administers_accounts_and_reads_nothing_else(
    broker: ShippedMosquitto,
) -> None:
    admin_password = broker.admin_password_file.read_text().strip()
    probe = Probe(broker.port, "sealink-admin", admin_password, "admin-test")
    assert not probe.connect().is_failure
    try:
        assert outcome(probe.sub(f"{P}/#")) == REFUSED
        assert outcome(probe.sub("#")) == REFUSED
        assert outcome(probe.pub(f"{P}/vessels/{A}/down")) == REFUSED
    finally:
        probe.close()
    before = broker.admin_password_file.read_text()
    broker.admin_password_file.unlink()
    again = broker.sealink("init", "--dynsec", str(broker.dynsec), check=False)
    assert again.returncode != 0 and "exists" in again.stderr
    assert not broker.admin_password_file.exists(), "no admin password the file does not have"
    broker.admin_password_file.write_text(before)
    broker.admin_password_file.chmod(0o600)
    # Hashes and the admin's password: readable by their owner only, also after the plugin's saves.
    for secret in (broker.dynsec, broker.admin_password_file):
        assert secret.stat().st_mode & 0o777 == 0o600, secret

"""Moving from the password file to the dynamic-security plugin keeps every password: the boats'
terminals need no change, and every account is bound to its client id and topics from then on."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers import Probe, ShippedMosquitto, refused

P = "sealink/v1"
OLD = {
    "sealink-hub": "hub-password-1",
    "NA00001": "vessel-password-1",
    "NA00002": "vessel-password-2",
    "gw-ais-1": "ais-password-1",
    "gw-beidou-1": "beidou-password-1",
    "gw-shore": "shore-password-1",  # a Beidou gateway, named without its kind
    "gw-mystery": "mystery-password",  # no link known: not imported
    "sealink-hub-hub-1": "would-be-a-hub",  # a vessel name that could pass for a hub's
}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedMosquitto]:
    work = tmp_path_factory.mktemp("migration")
    passwd = work / "sealink.passwd"
    for user, password in OLD.items():
        create = [] if passwd.exists() else ["-c"]
        subprocess.run(["mosquitto_passwd", *create, "-b", str(passwd), user, password], check=True)
    with passwd.open("a") as f:  # a hash from Mosquitto 1.x (SHA-512, $6$): cannot be carried
        f.write("NA00003:$6$c2FsdA==$aGFzaA==\n")
    init = ("--import-passwd", str(passwd), "--gateway", "shore=beidou")
    b = ShippedMosquitto(work / "broker", init_args=init)
    b.start()
    yield b
    b.stop()


def login(broker: ShippedMosquitto, user: str, client_id: str) -> Probe:
    probe = Probe(broker.port, user, OLD[user], client_id)
    assert not probe.connect().is_failure, (user, client_id)
    return probe


def test_every_account_keeps_its_password_and_gets_its_own_client_id(
    broker: ShippedMosquitto,
) -> None:
    own = {
        "sealink-hub": "sealink-hub-hub-2",
        "NA00001": "NA00001",
        "NA00002": "NA00002",
        "gw-ais-1": "sealink-gw-ais-1",
        "gw-beidou-1": "sealink-gw-beidou-1",
        "gw-shore": "sealink-gw-shore",
    }
    for user, client_id in own.items():
        login(broker, user, client_id).close()
    assert refused(broker.port, "NA00002", OLD["NA00002"], "NA00001")
    assert refused(broker.port, "NA00001", OLD["NA00001"], "sealink-hub")
    assert refused(broker.port, "gw-ais-1", OLD["gw-ais-1"], "sealink-hub-hub-1")


def test_accounts_that_cannot_be_carried_over_are_named_and_left_out(
    broker: ShippedMosquitto,
) -> None:
    out = broker.init_output
    assert "imported with their passwords: 6 accounts" in out
    for user in ("gw-mystery", "sealink-hub-hub-1", "NA00003"):
        assert f"not imported: {user}:" in out
        assert refused(broker.port, user, OLD.get(user, "x" * 12), user)


def test_imported_accounts_have_their_kinds_topics(broker: ShippedMosquitto) -> None:
    ais = login(broker, "gw-ais-1", "sealink-gw-ais-1")
    shore = login(broker, "gw-shore", "sealink-gw-shore")
    vessel = login(broker, "NA00001", "NA00001")
    try:
        assert not ais.pub(f"{P}/gateways/ais-1/ais").is_failure
        assert ais.pub(f"{P}/gateways/ais-1/beidou/rx").is_failure
        assert not shore.pub(f"{P}/gateways/shore/beidou/rx").is_failure
        assert shore.pub(f"{P}/gateways/shore/ais").is_failure
        assert not vessel.pub(f"{P}/vessels/NA00001/up/position").is_failure
        assert vessel.pub(f"{P}/vessels/NA00002/up/position").is_failure
    finally:
        for c in (ais, shore, vessel):
            c.close()


def test_an_imported_account_is_managed_like_any_other(broker: ShippedMosquitto) -> None:
    out = broker.sealink("vessel", "NA00001", "--broker", broker.url).stdout
    assert "password unchanged" in out and "corrected" not in out
    assert Path(broker.dynsec).stat().st_mode & 0o777 == 0o600

"""Moving the accounts of a Mosquitto password file (the configuration before the dynamic-security
plugin) into the plugin's file, passwords included, so that no boat needs a new password.

`mosquitto_passwd` (Mosquitto 2.0) and the plugin store the same thing, PBKDF2-SHA512 with a salt
and an iteration count: a line `user:$7$<iterations>$<salt>$<hash>` becomes a client with those
three fields; nothing is hashed here. Each account gets the client id and topics of its kind
(`seaLink.broker.accounts`): `sealink-hub` the hub's, `gw-<id>` a gateway's (its link from the id,
`ais-...` or `beidou-...` as the gateways name themselves, or given), anything else a vessel's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seaLink.broker.accounts import (
    HUB_USERNAME,
    Account,
    gateway_account,
    hub_account,
    vessel_account,
)
from seaLink.wire.gateway import GatewayKind


@dataclass(frozen=True, slots=True)
class StoredPassword:
    """A password as the plugin keeps it: base64 PBKDF2-SHA512 hash and salt, iterations."""

    hash: str
    salt: str
    iterations: int


@dataclass(frozen=True, slots=True)
class Imported:
    accounts: list[tuple[Account, StoredPassword]]
    skipped: list[tuple[str, str]]  # (user name, why), for the operator to provision anew


def gateway_link(gateway_id: str, given: Mapping[str, GatewayKind]) -> GatewayKind | None:
    if gateway_id in given:
        return given[gateway_id]
    first = gateway_id.split("-", 1)[0]
    return GatewayKind(first) if first in {k.value for k in GatewayKind} else None


def import_passwd(
    text: str,
    prefix: str,
    *,
    hub_client_id: str = HUB_USERNAME,
    links: Mapping[str, GatewayKind] | None = None,
) -> Imported:
    accounts: list[tuple[Account, StoredPassword]] = []
    skipped: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        user, _, stored = line.partition(":")
        fields = stored.split("$")
        if len(fields) != 5 or fields[1] != "7" or not fields[2].isdigit():
            skipped.append((user, "not a PBKDF2-SHA512 ($7$) password: give it a new one"))
            continue
        password = StoredPassword(hash=fields[4], salt=fields[3], iterations=int(fields[2]))
        try:
            if user == HUB_USERNAME:
                account = hub_account(prefix)
            elif user.startswith("gw-"):
                gid = user.removeprefix("gw-")
                link = gateway_link(gid, links or {})
                if link is None:
                    skipped.append((user, f"which link? give --gateway {gid}=ais|beidou"))
                    continue
                account = gateway_account(prefix, gid, link)
            else:
                account = vessel_account(prefix, user, hub_client_id)
        except ValueError as exc:
            skipped.append((user, str(exc)))
            continue
        accounts.append((account, password))
    return Imported(accounts, skipped)

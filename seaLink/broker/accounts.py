"""SeaLink's broker accounts as data: one definition, applied to Mosquitto (dynamic security)
by `sealink credentials` and mirrored by the EMQX files in deploy/ (a test keeps them equal).

| account | username | client id | may use (under the prefix) |
|---|---|---|---|
| hub | `sealink-hub` | any | everything |
| vessel | its vessel id | its vessel id, nothing else | `vessels/<vid>/up/#` (send), `status` (send, read), `down` (read) |
| AIS gateway | `gw-<gid>` | `sealink-gw-<gid>`, nothing else | `gateways/<gid>/status`, `ais` (send) |
| Beidou gateway | `gw-<gid>` | `sealink-gw-<gid>`, nothing else | `status`, `beidou/rx`, `beidou/feedback`, `beidou/tx_result` (send), `beidou/tx` (read) |

Binding every vessel and gateway account to its one client id is what stops an account from
taking another client's id: the broker would otherwise disconnect the client that holds the id
(MQTT's session takeover), the hub included. The hub account is the one account left unbound: in
cluster mode each hub connects as `<mqtt.client_id>-<hub_id>` and a live hub adopts a dead hub's
id, so it must be able to use every hub's id. That gives it nothing it lacks already (it may read
and write every topic), and no other account can take a hub's id because none may use any id but
its own, and a vessel id may not look like a hub's or a gateway's (`check_vessel_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from seaLink.wire.gateway import GATEWAY_ID_PATTERN, GatewayKind
from seaLink.wire.topics import VESSEL_ID_PATTERN

HUB_USERNAME = "sealink-hub"
ADMIN_USERNAME = "sealink-admin"
# Names that belong to SeaLink's own accounts and client ids; no vessel may take one.
RESERVED_PREFIXES = ("sealink-", "gw-")


class AccountKind(StrEnum):
    HUB = "hub"
    VESSEL = "vessel"
    GATEWAY = "gateway"


@dataclass(frozen=True, slots=True)
class Grant:
    """A topic an account may publish on, or subscribe to and receive from, or both."""

    topic: str
    publish: bool = False
    subscribe: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    kind: AccountKind
    username: str
    client_id: str | None  # the only client id it may use; None: any (the hub)
    role: str  # the name of its role (Mosquitto dynamic security)
    grants: tuple[Grant, ...]


def gateway_username(gateway_id: str) -> str:
    return f"gw-{gateway_id}"


def gateway_client_id(gateway_id: str) -> str:
    """The client id a gateway connects with (its persistent session)."""
    return f"sealink-gw-{gateway_id}"


def check_vessel_id(vessel_id: str, hub_client_id: str = HUB_USERNAME) -> None:
    """Refuse a vessel id that is malformed or could pass for a hub's or a gateway's name.

    A vessel's username and client id are its id: an id such as `sealink-hub-hub-1` would let
    that vessel's account take hub-1's session, `gw-ais-1` would collide with the gateway's
    account. `hub_client_id` is the hub's `mqtt.client_id`, should it not start `sealink-`.
    """
    if not re.match(VESSEL_ID_PATTERN, vessel_id):
        raise ValueError(f"vessel id {vessel_id!r} does not match {VESSEL_ID_PATTERN}")
    lowered = vessel_id.lower()
    hub = hub_client_id.lower()
    if lowered.startswith(RESERVED_PREFIXES) or lowered == hub or lowered.startswith(hub + "-"):
        raise ValueError(
            f"vessel id {vessel_id!r} is reserved: it starts like the hub's or a gateway's "
            f"account ({', '.join(RESERVED_PREFIXES)}, {hub_client_id})"
        )


def hub_account(prefix: str) -> Account:
    grants = (
        Grant(f"{prefix}/#", publish=True, subscribe=True),
        # Several hubs share the uplinks through a shared subscription.
        Grant(f"$share/+/{prefix}/#", subscribe=True),
    )
    return Account(AccountKind.HUB, HUB_USERNAME, None, "sealink-hub", grants)


def vessel_account(prefix: str, vessel_id: str, hub_client_id: str = HUB_USERNAME) -> Account:
    check_vessel_id(vessel_id, hub_client_id)
    base = f"{prefix}/vessels/{vessel_id}"
    grants = (
        Grant(f"{base}/up/#", publish=True),
        Grant(f"{base}/status", publish=True, subscribe=True),  # retained, and its will
        Grant(f"{base}/down", subscribe=True),
    )
    return Account(AccountKind.VESSEL, vessel_id, vessel_id, f"sealink-vessel-{vessel_id}", grants)


def gateway_account(prefix: str, gateway_id: str, link: GatewayKind) -> Account:
    """A gateway speaks only for its own link: an AIS gateway cannot post Beidou messages (a
    distress among them), a Beidou gateway cannot post AIS positions."""
    if not re.match(GATEWAY_ID_PATTERN, gateway_id):
        raise ValueError(f"gateway id {gateway_id!r} does not match {GATEWAY_ID_PATTERN}")
    base = f"{prefix}/gateways/{gateway_id}"
    grants = [Grant(f"{base}/status", publish=True)]  # retained, and its will
    if link is GatewayKind.AIS:
        grants.append(Grant(f"{base}/ais", publish=True))
    else:
        grants += [
            Grant(f"{base}/beidou/rx", publish=True),
            Grant(f"{base}/beidou/feedback", publish=True),
            Grant(f"{base}/beidou/tx_result", publish=True),
            Grant(f"{base}/beidou/tx", subscribe=True),
        ]
    return Account(
        AccountKind.GATEWAY,
        gateway_username(gateway_id),
        gateway_client_id(gateway_id),
        f"sealink-gateway-{gateway_id}",
        tuple(grants),
    )

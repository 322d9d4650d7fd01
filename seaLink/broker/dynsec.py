"""SeaLink's accounts on Mosquitto's dynamic-security plugin (shipped with Mosquitto 2.0).

The plugin keeps accounts, their client ids and their topics (roles) in one JSON file and lets
an admin account change them on the running broker through `$CONTROL/dynamic-security/v1`: no
reload, and a client that is not bound to the id it connects with gets CONNACK "not authorised"
before the broker looks at who holds that id.

- `init_config` makes a new plugin file with SeaLink's admin account. `mosquitto_ctrl dynsec
  init` writes it (so Mosquitto itself hashes the password); the admin is then limited to the
  control topics, and whatever a role does not grant is refused, receiving included.
- `DynsecAdmin` sends the plugin's commands as that admin.
- `provision` makes one account what `seaLink.broker.accounts` says it is.

Mosquitto 2.0's plugin does not substitute `%u`/`%c` in its ACLs, so each vessel and gateway has
a role of its own naming its topics.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from seaLink.broker.accounts import ADMIN_USERNAME, Account
from seaLink.broker.migrate import StoredPassword
from seaLink.errors import BrokerAdminError
from seaLink.wire.mqtt import parse_broker_url

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
ADMIN_ROLE = "admin"  # the role `mosquitto_ctrl dynsec init` gives the admin it creates
ADMIN_ACLS = [
    {"acltype": acltype, "topic": "$CONTROL/dynamic-security/#", "allow": True}
    for acltype in ("publishClientSend", "publishClientReceive", "subscribePattern")
]
DEFAULT_ACL_ACCESS = {
    "publishClientSend": False,
    "publishClientReceive": False,
    "subscribe": False,
    "unsubscribe": True,
}


def new_password() -> str:
    return secrets.token_urlsafe(18)


def role_acls(account: Account) -> list[dict[str, Any]]:
    """The plugin's ACL entries for an account's grants (every one an exact topic or filter)."""
    acls: list[dict[str, Any]] = []
    for grant in account.grants:
        if grant.publish:
            acls.append({"acltype": "publishClientSend", "topic": grant.topic, "allow": True})
        if grant.subscribe:
            acls.append({"acltype": "subscribePattern", "topic": grant.topic, "allow": True})
            if not grant.topic.startswith("$share/"):  # messages are checked by their own topic
                acls.append(
                    {"acltype": "publishClientReceive", "topic": grant.topic, "allow": True}
                )
    return acls


def _acl_set(acls: Sequence[Mapping[str, Any]]) -> set[tuple[str, str, bool]]:
    return {(a["acltype"], a["topic"], bool(a.get("allow"))) for a in acls}


# -- the plugin's file --------------------------------------------------------------------------


def init_config(
    path: Path,
    admin_password: str,
    *,
    owner: str | None = None,
    imported: Sequence[tuple[Account, StoredPassword]] = (),
) -> None:
    """Write a new plugin file at `path` with the admin account `sealink-admin`, and the
    `imported` accounts with the passwords they had (`seaLink.broker.migrate`).

    Refuses to overwrite a file (it holds every account). `owner`: the user the broker runs as,
    who must be able to rewrite the file (the plugin saves every change). The file is never
    readable by others, not even while it is being made.
    """
    tool = shutil.which("mosquitto_ctrl")
    if tool is None:
        raise BrokerAdminError("mosquitto_ctrl is missing (apt-get install mosquitto)")
    if path.exists():
        raise BrokerAdminError(f"{path} exists: it holds the broker's accounts, not replaced")
    work = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        made = work / path.name
        # The password goes in on stdin (asked twice), not on the command line where `ps` shows it.
        done = subprocess.run(
            [tool, "dynsec", "init", str(made), ADMIN_USERNAME],
            input=f"{admin_password}\n{admin_password}\n",
            capture_output=True,
            text=True,
            umask=0o077,
        )
        if done.returncode != 0 or not made.exists():
            raise BrokerAdminError(
                f"mosquitto_ctrl dynsec init failed: {done.stderr or done.stdout}"
            )
        config = json.loads(made.read_text(encoding="utf-8"))
        for role in config["roles"]:
            if role["rolename"] == ADMIN_ROLE:
                role["acls"] = ADMIN_ACLS
        config["defaultACLAccess"] = DEFAULT_ACL_ACCESS
        for account, stored in imported:
            config["roles"].append({"rolename": account.role, "acls": role_acls(account)})
            client: dict[str, Any] = {
                "username": account.username,
                "password": stored.hash,
                "salt": stored.salt,
                "iterations": stored.iterations,
                "roles": [{"rolename": account.role}],
            }
            if account.client_id is not None:
                client["clientid"] = account.client_id
            config["clients"].append(client)
        made.write_text(json.dumps(config, indent=1), encoding="utf-8")
        os.chmod(made, 0o600)
        if owner is not None:
            shutil.chown(made, owner, owner)
        if path.exists():
            raise BrokerAdminError(f"{path} appeared meanwhile: not replaced")
        os.replace(made, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- the control API ----------------------------------------------------------------------------


class DynsecAdmin:
    """The plugin's control API over MQTT, logged in as its admin (`with DynsecAdmin(...) as a`)."""

    def __init__(
        self,
        broker_url: str,
        password: str,
        *,
        username: str = ADMIN_USERNAME,
        timeout_s: float = 10.0,
    ) -> None:
        self._addr = parse_broker_url(broker_url)
        if self._addr.websocket:
            raise BrokerAdminError(f"use the broker's MQTT listener, not WebSocket: {broker_url}")
        self._username = username
        self._timeout = timeout_s
        self._answers: queue.Queue[Any] = queue.Queue()
        self._connack: queue.Queue[ReasonCode] = queue.Queue()
        self._suback: queue.Queue[list[ReasonCode]] = queue.Queue()
        # Every admin connected to the broker gets every response: tell ours apart.
        self._tag = f"sealink-{secrets.token_hex(6)}"
        self._sequence = 0
        self._lock = threading.Lock()
        client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        client.username_pw_set(username, password)
        if self._addr.tls:
            client.tls_set()
        client.on_connect = lambda _c, _u, _f, rc, _p=None: self._connack.put(rc)
        client.on_subscribe = lambda _c, _u, _mid, rcs, _p=None: self._suback.put(list(rcs))
        client.on_message = lambda _c, _u, msg: self._answers.put(msg.payload)
        self._client = client

    def __enter__(self) -> DynsecAdmin:
        self.connect()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def connect(self) -> None:
        where = f"{self._addr.host}:{self._addr.port}"
        try:
            self._client.connect(self._addr.host, self._addr.port, keepalive=30)
        except OSError as exc:
            raise BrokerAdminError(f"cannot reach the broker at {where}: {exc}") from None
        self._client.loop_start()
        rc = self._wait(self._connack, f"no answer from the broker at {where}")
        if rc.is_failure:
            self.close()
            raise BrokerAdminError(
                f"the broker at {where} refused {self._username}: {rc} (a wrong admin password, "
                "or a broker without the dynamic-security plugin)"
            )
        self._client.subscribe(RESPONSE_TOPIC, qos=1)
        granted = self._wait(self._suback, "no answer to subscribing to the plugin's responses")
        if any(rc.is_failure for rc in granted):
            self.close()
            raise BrokerAdminError(
                f"{self._username} may not read {RESPONSE_TOPIC}: is it the plugin's admin?"
            )

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def execute(self, commands: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Send `commands` in one message; return the plugin's response to each, in order.

        A response with an `error` is returned as it is: `check` raises for it.
        """
        if not commands:
            return []
        with self._lock:
            self._sequence += 1
            tags = [f"{self._tag}-{self._sequence}-{i}" for i in range(len(commands))]
        body = {
            "commands": [dict(c, correlationData=t) for c, t in zip(commands, tags, strict=True)]
        }
        self._client.publish(CONTROL_TOPIC, json.dumps(body), qos=1)
        found: dict[str, dict[str, Any]] = {}
        while len(found) < len(tags):
            payload = self._wait(
                self._answers,
                "the dynamic-security plugin did not answer: is it loaded (mosquitto.conf `plugin`)?",
            )
            for response in json.loads(payload).get("responses", []):
                if response.get("correlationData") in tags:
                    found[response["correlationData"]] = response
        return [found[t] for t in tags]

    def _wait(self, q: queue.Queue[Any], failure: str) -> Any:
        try:
            return q.get(timeout=self._timeout)
        except queue.Empty:
            self.close()
            raise BrokerAdminError(failure) from None


def check(responses: Sequence[Mapping[str, Any]]) -> None:
    """Raise for the first response that carries an error."""
    for response in responses:
        if "error" in response:
            raise BrokerAdminError(f"{response['command']}: {response['error']}")


# -- one account --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Provisioned:
    account: Account
    created: bool
    password: str | None  # the password set now; None when it was left as it was
    corrected: tuple[str, ...]  # what an existing account had that differed, now put right
    disabled: bool  # the account exists but is disabled (it stays so unless a password is set)


def provision(
    admin: DynsecAdmin, account: Account, *, password: str | None = None, rotate: bool = False
) -> Provisioned:
    """Create `account`, or make an existing one match it: its role's topics, its client id (or
    none, for the hub), that role and nothing else. A password is set when the account is
    created, or with `rotate` (which also re-enables a disabled account). Setting a password, a
    client id or roles disconnects the account's client: the plugin kicks it to apply them.
    """
    role_state, client_state = admin.execute(
        [
            {"command": "getRole", "rolename": account.role},
            {"command": "getClient", "username": account.username},
        ]
    )
    acls = role_acls(account)
    commands: list[dict[str, Any]] = []
    corrected: list[str] = []
    if role_state.get("error") == "Role not found":
        commands.append({"command": "createRole", "rolename": account.role, "acls": acls})
    else:
        check([role_state])
        if _acl_set(role_state["data"]["role"].get("acls", [])) != _acl_set(acls):
            commands.append({"command": "modifyRole", "rolename": account.role, "acls": acls})
            corrected.append("topics")
    roles = [{"rolename": account.role}]
    disabled = False
    if client_state.get("error") == "Client not found":
        password = password or new_password()
        create: dict[str, Any] = {
            "command": "createClient",
            "username": account.username,
            "password": password,
            "roles": roles,
        }
        if account.client_id is not None:
            create["clientid"] = account.client_id
        commands.append(create)
        created = True
    else:
        check([client_state])
        if password is not None and not rotate:
            raise BrokerAdminError(
                f"{account.username} exists: give --rotate to set a new password (it "
                "disconnects the client that uses the old one)"
            )
        client = client_state["data"]["client"]
        modify: dict[str, Any] = {}
        if client.get("clientid", "") != (account.client_id or ""):
            modify["clientid"] = account.client_id or ""
            corrected.append("client id")
        if [r["rolename"] for r in client.get("roles", [])] != [account.role]:
            modify["roles"] = roles
            corrected.append("roles")
        if client.get("groups"):
            modify["groups"] = []
            corrected.append("groups")
        if rotate:
            password = password or new_password()
            modify["password"] = password
        if modify:
            commands.append({"command": "modifyClient", "username": account.username, **modify})
        disabled = bool(client.get("disabled"))
        if disabled and rotate:
            commands.append({"command": "enableClient", "username": account.username})
            disabled = False
        created = False
    check(admin.execute(commands))
    return Provisioned(account, created, password, tuple(corrected), disabled)

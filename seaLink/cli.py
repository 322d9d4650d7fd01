"""The `sealink` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from seaLink import logsafe
from seaLink.settings import Settings, load_settings


def _setup_logging(level: str) -> None:
    logsafe.setup(level)


async def run_until_signal(main: Callable[[], Awaitable[Any]]) -> None:
    """Run `main` until it ends or SIGINT/SIGTERM arrives; then cancel it cleanly."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(main())
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass


def cmd_hub(args: argparse.Namespace, settings: Settings) -> int:
    from seaLink.errors import StoreError
    from seaLink.runtime import Hub

    async def main() -> None:
        await Hub(settings).serve()

    try:
        asyncio.run(run_until_signal(main))
    except StoreError as exc:
        logging.getLogger("seaLink.cli").error("sealink hub: %s", exc)
        return 1
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from seaLink.demo import run_demo

    asyncio.run(run_until_signal(lambda: run_demo(settings, vessels=args.vessels)))
    return 0


def cmd_fleet(args: argparse.Namespace, settings: Settings) -> int:
    from seaLink.domain.fleetgen import generate_fleet
    from seaLink.domain.ports import load_zones_document, ports_from_geojson
    from seaLink.store.db import Database
    from seaLink.store.fleet_io import export_fleet, import_fleet, read_fleet_csv, write_fleet_csv

    if args.fleet_cmd == "generate":
        ports = ports_from_geojson(load_zones_document())
        fleet = generate_fleet(args.vessels, ports, seed=args.seed)
        write_fleet_csv(fleet, Path(args.out))
        print(f"generated {len(fleet.vessels)} vessels in {len(fleet.grids)} grids -> {args.out}")
        return 0

    async def with_db() -> None:
        db = Database(settings.store.url)
        try:
            await db.create_all()
            if args.fleet_cmd == "import":
                counts = await import_fleet(db, read_fleet_csv(Path(args.folder)))
                print("imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))
            else:
                fleet = await export_fleet(db)
                write_fleet_csv(fleet, Path(args.folder))
                print(
                    f"exported {len(fleet.vessels)} vessels, {len(fleet.grids)} grids -> {args.folder}"
                )
        finally:
            await db.dispose()

    asyncio.run(with_db())
    return 0


def _read_password(args: argparse.Namespace) -> str:
    import getpass

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise SystemExit("sealink user: the passwords differ")
    if len(password) < 8:
        raise SystemExit("sealink user: a password needs at least 8 characters")
    return password


def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from seaLink.domain.roles import Role
    from seaLink.errors import RegistryError
    from seaLink.services.auth import hash_password
    from seaLink.store import users
    from seaLink.store.db import Database

    async def run() -> None:
        db = Database(settings.store.url)
        try:
            await db.create_all()
            if args.user_cmd == "add":
                grids = [g for g in (args.grids or "").split(",") if g]
                await users.create_user(
                    db,
                    username=args.username,
                    password_hash=hash_password(_read_password(args)),
                    role=Role(args.role),
                    grid_ids=grids,
                    now=datetime.now(UTC),
                    display_name=args.name,
                )
                print(
                    f"user {args.username} ({args.role}{', grids ' + ','.join(grids) if grids else ''}) created"
                )
            elif args.user_cmd == "passwd":
                await users.set_password(db, args.username, hash_password(_read_password(args)))
                print(f"password of {args.username} changed")
            elif args.user_cmd in ("disable", "enable"):
                await users.set_disabled(db, args.username, args.user_cmd == "disable")
                print(f"user {args.username} {args.user_cmd}d")
            else:
                for u in await users.list_users(db):
                    state = (
                        "disabled"
                        if u["disabled"]
                        else ("locked" if u["locked_until"] else "active")
                    )
                    print(
                        f"{u['username']:<20} {u['role']:<12} {','.join(u['grids']) or '-':<20} {state}"
                    )
            if args.user_cmd != "list":
                await users.audit(
                    db,
                    ts=datetime.now(UTC),
                    username="cli",
                    action=f"user.{args.user_cmd}",
                    target=args.username,
                )
        except RegistryError as exc:
            raise SystemExit(f"sealink user: {exc}") from None
        finally:
            await db.dispose()

    asyncio.run(run())
    return 0


def cmd_sim(args: argparse.Namespace, settings: Settings) -> int:
    from simulators.cli import run_sim

    return int(run_sim(args, settings.mqtt.url, settings.mqtt.prefix))


def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    """Talks to a running hub's API, so the server checks the user's role and grids."""
    import getpass
    import json
    import os

    api = (args.api or f"http://{settings.api.host}:{settings.api.port}").rstrip("/")

    def call(method: str, path: str, body: Any = None, token: str = "") -> Any:
        data = json.dumps(body).encode() if body is not None else None
        return _hub_call("broadcast", api, method, path, data, "application/json", token)

    password = os.environ.get("SEALINK_PASSWORD") or getpass.getpass(f"password of {args.user}: ")
    token = call("POST", "/api/v1/auth/login", {"username": args.user, "password": password})[
        "token"
    ]
    if args.broadcast_cmd == "status":
        r = call("GET", f"/api/v1/broadcasts/{args.id}", token=token)["rollup"]
        print(f"broadcast {args.id}: {r['summary']}")
        for g in r["grids"]:
            print(f"  {g['grid_id']}: {g['done']}/{g['total']}")
        for m in r["missing"][:50]:
            print(
                f"  missing {m['vessel_id']} {m['hull_name']} ({m['state']}, last heard {m['last_heard'] or 'never'})"
            )
        return 0
    target: dict[str, Any] = {}
    if args.all:
        target["all"] = True
    for name in ("grids", "groups", "vessels"):
        value = getattr(args, name)
        if value:
            target[name] = [x for x in value.split(",") if x]
    if args.at_sea:
        target["at_sea"] = True
    body: dict[str, Any] = {
        "kind": args.kind,
        "title": args.title,
        "body": args.body,
        "target": target,
    }
    if args.reply:
        body["reply"] = args.reply
    if args.signal:
        body["signal"] = args.signal
    if args.expires_in:
        from datetime import UTC, datetime, timedelta

        body["expires_at"] = (datetime.now(UTC) + timedelta(hours=args.expires_in)).isoformat()
    if args.recall or args.deadline or args.shelter:
        if not (args.recall and args.deadline):
            raise SystemExit("sealink broadcast: a recall needs --recall and --deadline")
        body["kind"] = "warning"  # a recall order is a typhoon warning
        body["recall"] = {"deadline": recall_deadline(args.deadline)}
        if args.shelter:
            body["recall"]["shelter"] = args.shelter
    r = call("POST", "/api/v1/broadcasts", body, token=token)
    print(f"broadcast {r['broadcast']['id']} queued for {r['rollup']['total']} vessels")
    return 0


def cmd_typhoon(args: argparse.Namespace, settings: Settings) -> int:
    """`sealink typhoon import FILE`: a forecast through a running hub's API (GeoJSON, or the
    plain text form), then the boats it puts in danger and the recall proposed for them."""
    import getpass
    import json
    import os

    api = (args.api or f"http://{settings.api.host}:{settings.api.port}").rstrip("/")
    data = Path(args.file).read_bytes()
    geo = args.file.endswith((".json", ".geojson"))

    def call(path: str, body: bytes, ctype: str, token: str = "") -> Any:
        return _hub_call("typhoon", api, "POST", path, body, ctype, token)

    password = os.environ.get("SEALINK_PASSWORD") or getpass.getpass(f"password of {args.user}: ")
    login = json.dumps({"username": args.user, "password": password}).encode()
    token = call("/api/v1/auth/login", login, "application/json")["token"]
    r = call("/api/v1/typhoons", data, "application/geo+json" if geo else "text/plain", token)
    print(f"typhoon forecast {r['id']} {r['name']}: {len(r['points'])} positions, "
          f"{len(r['boats'])} boats in danger")  # fmt: skip
    for b in r["boats"]:
        when = "now" if b["inside_now"] else b["enters_at"]
        print(f"  {b['vessel_id']} {b['hull_name']} ({b['grid_id']}): inside {when}")
    if r["proposal"]:
        print(f"proposed recall: {json.dumps(r['proposal'], ensure_ascii=False)}")
    return 0


def recall_deadline(text: str) -> str:
    """`--deadline`: an ISO 8601 time; without an offset it is Beijing time (what the desk reads
    on the wall clock), e.g. `2026-09-01T17:00` or `17:00` (today, Beijing time)."""
    from datetime import UTC, datetime, timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    try:
        if len(text) <= 5 and ":" in text:  # a time of day, today in Beijing
            hh, mm = (int(x) for x in text.split(":"))
            at = datetime.now(beijing).replace(hour=hh, minute=mm, second=0, microsecond=0)
        else:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(f"sealink broadcast: --deadline {text!r} is not a time") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=beijing)
    return at.astimezone(UTC).isoformat()


def _admin_password(path: Path) -> str:
    try:
        password = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SystemExit(
            f"sealink credentials: cannot read the broker admin's password: {exc}"
        ) from None
    if not password:
        raise SystemExit(f"sealink credentials: {path} is empty")
    return password


def cmd_credentials(args: argparse.Namespace, settings: Settings) -> int:
    """Broker accounts on Mosquitto's dynamic-security plugin (seaLink/broker)."""
    import os

    from seaLink.broker.accounts import (
        Account,
        gateway_account,
        hub_account,
        vessel_account,
    )
    from seaLink.broker.dynsec import DynsecAdmin, init_config, new_password, provision
    from seaLink.broker.migrate import import_passwd
    from seaLink.errors import BrokerAdminError
    from seaLink.wire.gateway import GatewayKind
    from seaLink.wire.mqtt import parse_broker_url

    admin_file = Path(args.admin_password_file)
    try:
        if args.cred_cmd == "init":
            if Path(args.dynsec).exists():  # before making an admin password it would not have
                raise BrokerAdminError(f"{args.dynsec} exists: it holds the broker's accounts")
            if admin_file.exists():
                admin_password = _admin_password(admin_file)
            else:
                admin_password = new_password()
                fd = os.open(admin_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(admin_password + "\n")
            imported = None
            if args.import_passwd:
                links = {}
                for pair in args.gateway or []:
                    gid, _, link = pair.partition("=")
                    links[gid] = GatewayKind(link)
                imported = import_passwd(
                    Path(args.import_passwd).read_text(encoding="utf-8"),
                    settings.mqtt.prefix,
                    hub_client_id=settings.mqtt.client_id,
                    links=links,
                )
            init_config(
                Path(args.dynsec),
                admin_password,
                owner=args.owner,
                imported=imported.accounts if imported else (),
            )
            print(f"accounts file: {args.dynsec} (admin sealink-admin, password in {admin_file})")
            if imported is not None:
                print(f"imported with their passwords: {len(imported.accounts)} accounts")
                for user, why in imported.skipped:
                    print(f"not imported: {user}: {why}")
            return 0
        prefix = settings.mqtt.prefix
        account: Account
        if args.cred_cmd == "hub":
            account = hub_account(prefix)
        elif args.cred_cmd == "vessel":
            account = vessel_account(prefix, args.id, settings.mqtt.client_id)
        else:
            account = gateway_account(prefix, args.id, GatewayKind(args.link))
    except (ValueError, BrokerAdminError, OSError) as exc:
        raise SystemExit(f"sealink credentials: {exc}") from None
    if args.password is not None and len(args.password) < 12:
        raise SystemExit("sealink credentials: a broker password needs at least 12 characters")
    broker = parse_broker_url(args.broker or settings.mqtt.url)
    url = f"{'mqtts' if broker.tls else 'mqtt'}://{broker.host}:{broker.port}"
    try:
        with DynsecAdmin(url, _admin_password(admin_file)) as admin:
            done = provision(admin, account, password=args.password, rotate=args.rotate)
    except BrokerAdminError as exc:
        raise SystemExit(f"sealink credentials: {exc}") from None
    print(f"username: {account.username}")
    print(
        f"client id: {account.client_id or 'any (each hub its own; a live hub adopts a dead one)'}"
    )
    for verb, topics in (
        ("publish", [g.topic for g in account.grants if g.publish]),
        ("subscribe", [g.topic for g in account.grants if g.subscribe]),
    ):
        if topics:
            print(f"may {verb}: {', '.join(topics)}")
    if done.password is not None:
        print(f"password: {done.password}")
    else:
        print("password unchanged (--rotate sets a new one)")
    if done.corrected:
        print(f"corrected: {', '.join(done.corrected)}")
    if done.disabled:
        print("the account is disabled: it cannot log in until --rotate gives it a new password")
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from seaLink.dbcli import cmd_db as run

    return run(args, settings)


def cmd_gateway(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.cli import run_gateway

    return int(run_gateway(args, settings.mqtt.url, settings.mqtt.prefix))


def cmd_terminal(args: argparse.Namespace, settings: Settings) -> int:
    from seaLink.errors import RegistryError
    from seaLink.terminal.server import TerminalConfig, registered_persons, serve_terminal

    password = ""
    if args.password_file:
        password = Path(args.password_file).read_text(encoding="utf-8").strip()
    try:
        persons = args.persons
        if persons is None and args.fleet:
            persons = registered_persons(Path(args.fleet), args.vessel)
        config = TerminalConfig(
            vessel_id=args.vessel,
            broker_ws=args.broker_ws,
            prefix=settings.mqtt.prefix,
            protocol=args.protocol,
            username=args.vessel if password else "",
            password=password,
            lat=args.lat,
            lon=args.lon,
            persons=persons,
        )
    except (ValueError, RegistryError) as exc:
        raise SystemExit(f"sealink terminal: {exc}") from None
    asyncio.run(run_until_signal(lambda: serve_terminal(config, "127.0.0.1", args.port)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sealink", description="SeaLink fleet liaison and safety hub")
    p.add_argument("--config", help="settings file (TOML); default $SEALINK_CONFIG")
    sub = p.add_subparsers(dest="cmd", required=True)

    sub.add_parser("hub", help="run the hub (MQTT link, store, contact watch, API)")

    demo = sub.add_parser("demo", help="run everything on this machine with a simulated fleet")
    demo.add_argument("--vessels", type=int, default=None, help="simulated boats (default 300)")

    fleet = sub.add_parser("fleet", help="the vessel registry: generate, import, export")
    fsub = fleet.add_subparsers(dest="fleet_cmd", required=True)
    gen = fsub.add_parser("generate", help="write a realistic Nan'ao demo fleet as CSV")
    gen.add_argument("--vessels", type=int, default=300)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument(
        "--out", required=True, help="folder for grids.csv, coordinators.csv, vessels.csv"
    )
    imp = fsub.add_parser("import", help="upsert a fleet from a CSV folder")
    imp.add_argument("folder")
    exp = fsub.add_parser("export", help="write the registry as CSV")
    exp.add_argument("folder")

    user = sub.add_parser("user", help="coordinators' and viewers' accounts")
    usub = user.add_subparsers(dest="user_cmd", required=True)
    uadd = usub.add_parser("add", help="create an account")
    uadd.add_argument("username")
    uadd.add_argument("--role", choices=["admin", "coordinator", "viewer"], required=True)
    uadd.add_argument("--grids", help="comma-separated grid ids (a coordinator's scope)")
    uadd.add_argument("--name", default="", help="display name, e.g. 陈海生")
    uadd.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    upw = usub.add_parser("passwd", help="set a new password (also lifts a lockout)")
    upw.add_argument("username")
    upw.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable"):
        usub.add_parser(name, help=f"{name} an account").add_argument("username")
    usub.add_parser("list", help="list accounts")

    from seaLink.dbcli import add_db_parser

    add_db_parser(sub)

    from gateway.cli import add_gateway_parser  # loads no gateway code until a gateway runs

    add_gateway_parser(sub)

    bc = sub.add_parser(
        "broadcast", help="send a tracked broadcast through a running hub, or follow one"
    )
    bc.add_argument("--api", help="hub API base URL (default from settings)")
    bc.add_argument(
        "--user", default="admin", help="account (password from $SEALINK_PASSWORD or asked)"
    )
    bsub = bc.add_subparsers(dest="broadcast_cmd", required=True)
    bsend = bsub.add_parser("send", help="send a notice, policy, warning or training")
    bsend.add_argument(
        "--kind", choices=["notice", "policy", "warning", "training"], default="notice"
    )
    bsend.add_argument("--title", required=True)
    bsend.add_argument("--body", required=True)
    bsend.add_argument("--all", action="store_true", help="all vessels (of your grids)")
    bsend.add_argument("--grids", help="comma-separated grid ids")
    bsend.add_argument("--groups", help="comma-separated fishing groups")
    bsend.add_argument("--vessels", help="comma-separated vessel ids")
    bsend.add_argument("--at-sea", action="store_true", help="only vessels at sea")
    bsend.add_argument("--reply", choices=["none", "read", "confirm"])
    bsend.add_argument("--signal", choices=["white", "blue", "yellow", "orange", "red"])
    bsend.add_argument("--expires-in", type=float, help="hours until it expires (default 24)")
    bsend.add_argument(
        "--recall", action="store_true", help="a typhoon recall order (kind warning)"
    )
    bsend.add_argument(
        "--deadline",
        help="recall deadline: ISO 8601, Beijing time unless an offset is given, or HH:MM today",
    )
    bsend.add_argument("--shelter", help="recall: the harbour to make for (a port's name)")
    bstat = bsub.add_parser("status", help="the roll-up of a broadcast: who has it, who is missing")
    bstat.add_argument("id", type=int)

    ty = sub.add_parser("typhoon", help="typhoon forecasts through a running hub")
    ty.add_argument("--api", help="hub API base URL (default from settings)")
    ty.add_argument("--user", default="admin", help="account (password from $SEALINK_PASSWORD)")
    tsub = ty.add_subparsers(dest="typhoon_cmd", required=True)
    timp = tsub.add_parser("import", help="import a forecast: GeoJSON (.geojson/.json) or text")
    timp.add_argument("file")

    cred = sub.add_parser(
        "credentials",
        help="broker accounts (Mosquitto dynamic security): each bound to its own client id",
    )
    csub = cred.add_subparsers(dest="cred_cmd", required=True)
    cinit = csub.add_parser("init", help="a new accounts file for the plugin, with its admin")
    cinit.add_argument(
        "--dynsec",
        default="/var/lib/mosquitto/dynamic-security.json",
        help="the plugin's file (plugin_opt_config_file); refused if it exists",
    )
    cinit.add_argument("--owner", help="the user the broker runs as (it rewrites the file)")
    cinit.add_argument(
        "--import-passwd",
        help="a Mosquitto password file whose accounts to bring over, passwords included",
    )
    cinit.add_argument(
        "--gateway",
        action="append",
        metavar="ID=ais|beidou",
        help="the link of an imported gateway whose id does not start with ais- or beidou-",
    )
    kinds = {
        "vessel": "a vessel's account: user name and client id are its vessel id",
        "gateway": "a gateway's account, for its own link's topics only",
        "hub": "the hub's account (shared by every hub of a cluster)",
    }
    for kind, text in kinds.items():
        cmd = csub.add_parser(kind, help=text)
        if kind == "vessel":
            cmd.add_argument("id", help="the vessel id")
        elif kind == "gateway":
            cmd.add_argument("id", help="the gateway id (--gateway-id of `sealink gateway`)")
            cmd.add_argument("--link", choices=["ais", "beidou"], required=True)
        cmd.add_argument(
            "--broker", help="the broker's MQTT URL (default: host and port of mqtt.url)"
        )
        cmd.add_argument("--password", help="use this password instead of a random one")
        cmd.add_argument(
            "--rotate",
            action="store_true",
            help="give an existing account a new password (disconnects its client)",
        )
    for cmd in (cinit, *(csub.choices[k] for k in kinds)):
        cmd.add_argument(
            "--admin-password-file",
            default="/etc/mosquitto/sealink-admin.password",
            help="the plugin admin's password (init writes it when missing)",
        )

    term = sub.add_parser(
        "terminal", help="the reference vessel terminal (a tablet page, MQTT over WebSocket)"
    )
    term.add_argument("--vessel", required=True, help="the vessel id the tablet acts as")
    term.add_argument(
        "--broker-ws",
        default="ws://127.0.0.1:9001",
        help="the broker's WebSocket URL (ws:// or wss://)",
    )
    term.add_argument("--port", type=int, default=8090, help="port of the page on 127.0.0.1")
    term.add_argument("--protocol", choices=["5", "3.1.1"], default="5", help="MQTT version")
    term.add_argument(
        "--password-file", help="file with the vessel's broker password (user = vessel id)"
    )
    term.add_argument(
        "--lat",
        type=float,
        help="a latitude entered by hand, used while the tablet has no GNSS fix (shown as such)",
    )
    term.add_argument("--lon", type=float, help="the longitude entered by hand with --lat")
    term.add_argument(
        "--persons", type=int, help="persons aboard, where the distress form's count starts"
    )
    term.add_argument(
        "--fleet",
        help="fleet CSV folder (as for `sealink fleet import`): persons aboard from the registry",
    )

    sim = sub.add_parser("sim", help="simulators")
    ssub = sim.add_subparsers(dest="sim_cmd", required=True)
    sf = ssub.add_parser("fleet", help="simulated vessels over MQTT")
    sf.add_argument(
        "--vessels", type=int, default=None, help="boats (default: all in --fleet, else 300)"
    )
    sf.add_argument("--scenario", default="normal", help="scenario name or TOML file")
    sf.add_argument("--seed", type=int, default=7)
    sf.add_argument("--fleet", help="fleet CSV folder (default: generated from --seed)")
    sf.add_argument("--processes", type=int, default=1, help="split the fleet over processes")
    sf.add_argument("--interval", type=float, default=600.0, help="report interval, seconds")
    sf.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    sf.add_argument("--duration", type=float, default=0.0, help="stop after this many real seconds")
    sf.add_argument("--broker", help="broker URL (default from settings)")
    sf.add_argument("--protocol", choices=["5", "3.1.1"], default="5", help="MQTT version")
    sf.add_argument(
        "--connect-rate", type=float, default=200.0, help="terminals switched on per second"
    )
    sf.add_argument(
        "--coverage-nm", type=float, default=25.0, help="4G coverage reaches this far from port"
    )
    return p


def _hub_call(
    command: str, api: str, method: str, path: str, body: bytes | None, ctype: str, token: str
) -> Any:
    """One request to the hub's API for a CLI command; its refusal or absence ends the command."""
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(api + path, method=method, data=body)
    req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}")
        raise SystemExit(
            f"sealink {command}: {exc.code} {detail.get('message', exc.reason)}"
        ) from None
    except OSError as exc:
        raise SystemExit(f"sealink {command}: cannot reach the hub at {api}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings(args.config)
    _setup_logging(settings.log_level)
    handlers = {
        "hub": cmd_hub,
        "demo": cmd_demo,
        "fleet": cmd_fleet,
        "sim": cmd_sim,
        "user": cmd_user,
        "gateway": cmd_gateway,
        "broadcast": cmd_broadcast,
        "typhoon": cmd_typhoon,
        "credentials": cmd_credentials,
        "terminal": cmd_terminal,
        "db": cmd_db,
    }
    return handlers[args.cmd](args, settings)


if __name__ == "__main__":
    sys.exit(main())

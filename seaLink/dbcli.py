"""`sealink db`: the schema's revision, upgrades, backups and restores."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from seaLink.settings import Settings


def add_db_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the database: schema revision, upgrade, backup, restore")
    dsub = db.add_subparsers(dest="db_cmd", required=True)
    dsub.add_parser("current", help="the schema's revision, and whether this SeaLink can use it")
    up = dsub.add_parser("upgrade", help="bring the schema to this SeaLink's revision")
    up.add_argument("--to", default="head", help="a revision (default: the newest)")
    bk = dsub.add_parser("backup", help="a consistent copy while the hub runs")
    bk.add_argument("path", help="the backup file to write")
    rs = dsub.add_parser("restore", help="replace the database with a backup (hub stopped)")
    rs.add_argument("path", help="a file made by `sealink db backup`")


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from seaLink.errors import StoreError
    from seaLink.store import backup, schema
    from seaLink.store.db import Database

    url = settings.store.url
    try:
        if args.db_cmd == "backup":
            print(backup.backup(url, Path(args.path)))
            return 0
        if args.db_cmd == "restore":
            print(backup.restore(url, Path(args.path)))
            return 0
    except StoreError as exc:
        raise SystemExit(f"sealink db {args.db_cmd}: {exc}") from None

    async def run() -> int:
        db = Database(url)
        try:
            if args.db_cmd == "upgrade":
                await db.upgrade(args.to, report=print)
                return 0
            state = await db.schema_state()
            if state.version == schema.head():
                print(f"revision {state.version} (the newest)")
                return 0
            if state.empty:
                print(f"no schema yet: the hub creates it at revision {schema.head()}")
                return 0
            print(schema.explain(state, db.where))
            return 1
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except StoreError as exc:
        raise SystemExit(f"sealink db {args.db_cmd}: {exc}") from None

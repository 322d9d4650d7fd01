"""For developers: write the next schema revision after a change to seaLink/store/tables.py.

    python -m seaLink.store.new_revision "what changed"

Builds the current revisions in a scratch SQLite, compares them with the models and writes
seaLink/store/migrations/versions/NNNN_<what_changed>.py. Read it before committing: a new column
that must have a value needs a `server_default` for the rows already there, and anything that
moves data (as 0002 does on PostgreSQL) is written by hand. tests/test_migrations.py fails while
the models and the revisions differ.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from seaLink.store import migrations, schema


def main(message: str) -> Path:
    number = f"{int(schema.head()) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/scratch.db")
        try:
            with engine.begin() as conn:
                command.upgrade(schema.alembic_config(conn), "head")
            with engine.begin() as conn:
                command.revision(
                    schema.alembic_config(conn), message=message, autogenerate=True, rev_id=number
                )
        finally:
            engine.dispose()
    versions = Path(str(migrations.__file__)).parent / "versions"
    (made,) = versions.glob(f"{number}_*.py")
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:48]
    return made.rename(versions / f"{number}_{slug}.py")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(f"wrote {main(sys.argv[1])}: read it, run `ruff format` on it, test it")

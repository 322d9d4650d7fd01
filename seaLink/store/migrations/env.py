"""Alembic's entry point. SeaLink runs it on a connection it opened itself (seaLink.store.schema
puts it in `config.attributes["connection"]`), so the async engines, the SQLite pragmas and the
PostgreSQL advisory lock are the hub's own; there is no URL here."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from seaLink.store import tables  # noqa: F401  (the tables' metadata, for autogenerate)
from seaLink.store.schema import include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `sealink db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite cannot ALTER most things: Alembic's batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()

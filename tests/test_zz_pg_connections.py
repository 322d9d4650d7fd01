"""Runs last (file order): the PostgreSQL connections the suite held at its peak.

The sampler in conftest counts the connections to this session's test databases four times a
second from the moment the first PostgreSQL test needs one; with a server's default
max_connections of 100, a second run or a running hub beside the suite must still get theirs."""

from __future__ import annotations

from tests import conftest


def test_the_suite_never_held_more_than_20_postgresql_connections(pg_database: str) -> None:
    sampler = conftest.PG_SAMPLER
    assert sampler is not None and sampler.dbname in pg_database
    assert sampler.samples > 0, "the sampler never read pg_stat_activity"
    assert sampler.peak <= conftest.PG_CONNECTION_CAP, (
        f"{sampler.peak} connections at the peak, while {sampler.peak_test} ran"
    )

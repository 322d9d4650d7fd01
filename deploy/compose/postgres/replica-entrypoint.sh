#!/bin/sh
# A hot standby of postgres-primary: on first start copy the primary with pg_basebackup
# (-R writes primary_conninfo and standby.signal), then run as a read-only replica that the
# primary keeps in step over streaming replication (slot "replica1", so WAL is kept for it).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres-primary -U sealink; do sleep 1; done
  PGPASSWORD="$(cat /run/secrets/pg_replication_password)" \
    pg_basebackup -h postgres-primary -U replicator -D "$PGDATA" -X stream -S replica1 -R
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on

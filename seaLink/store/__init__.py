"""The durable store: SQLModel tables on SQLite (WAL, embedded default) or PostgreSQL."""

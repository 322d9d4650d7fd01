"""The schema's history as Alembic revisions (versions/); seaLink.store.schema runs them."""

"""Persistence: tables, migrations, the database handle, queries and the queue claim."""

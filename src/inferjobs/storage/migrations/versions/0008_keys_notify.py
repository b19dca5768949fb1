"""PostgreSQL: NOTIFY inferjobs_keys when API keys or users change, so API processes drop
the keys they hold in memory at once (a revoked key is refused on its next request)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("api_keys", "users")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION inferjobs_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('inferjobs_keys', '');
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_keys_notify AFTER UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION inferjobs_keys_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_keys_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS inferjobs_keys_notify()")

"""PostgreSQL: NOTIFY inferjobs_queue when items are inserted, so idle workers wake at once

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION inferjobs_queue_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('inferjobs_queue', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER items_queue_notify AFTER INSERT ON items "
        "FOR EACH STATEMENT EXECUTE FUNCTION inferjobs_queue_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS items_queue_notify ON items")
    op.execute("DROP FUNCTION IF EXISTS inferjobs_queue_notify()")

"""accounts.queued_bound: an upper bound on the account's queued items, so a submit checks the
queued-items limit without summing every active job of the account

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: unknown; the next submit counts the account's queued items and sets it.
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("queued_bound", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("queued_bound")

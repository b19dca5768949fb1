"""retention markers on jobs; idempotency keys on upload chunks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("inputs_purged_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("results_purged_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("upload_chunks") as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            "uq_upload_chunks_job_idempotency", ["job_id", "idempotency_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("upload_chunks") as batch_op:
        batch_op.drop_constraint("uq_upload_chunks_job_idempotency", type_="unique")
        batch_op.drop_column("idempotency_key")
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("results_purged_at")
        batch_op.drop_column("inputs_purged_at")

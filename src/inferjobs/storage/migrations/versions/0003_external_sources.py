"""external sources: encrypted job secrets, lazy expansions, item value references

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_secrets",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_secrets_job_id_jobs")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_secrets")),
    )
    op.create_table(
        "expansions",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=True),
        sa.Column("items_added", sa.BigInteger(), nullable=False),
        sa.Column("fence", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_expansions_job_id_jobs")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_expansions")),
    )
    op.create_index("ix_expansions_state", "expansions", ["state", "lease_expires_at"])
    with op.batch_alter_table("item_values") as batch_op:
        batch_op.add_column(sa.Column("ref", sa.JSON(), nullable=True))
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(
            sa.Column("expanding", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("expanding")
    with op.batch_alter_table("item_values") as batch_op:
        batch_op.drop_column("ref")
    op.drop_index("ix_expansions_state", table_name="expansions")
    op.drop_table("expansions")
    op.drop_table("job_secrets")

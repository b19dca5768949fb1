"""an index in claim order (priority descending), so claims never sort the queue; active jobs
of an account by index (the queued-items limit)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_items_queue", table_name="items")
    op.create_index(
        "ix_items_queue_order",
        "items",
        ["status", "model_key", sa.text("priority DESC"), "fair_rank", "id"],
    )
    op.create_index("ix_jobs_account_status", "jobs", ["account_id", "status"])
    # history pages: (owner, created_at, id) in order, so skipping rows needs no table reads
    op.drop_index("ix_jobs_key_created", table_name="jobs")
    op.drop_index("ix_jobs_account_created", table_name="jobs")
    op.create_index("ix_jobs_key_created_id", "jobs", ["key_prefix", "created_at", "id"])
    op.create_index("ix_jobs_account_created_id", "jobs", ["account_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_account_created_id", table_name="jobs")
    op.drop_index("ix_jobs_key_created_id", table_name="jobs")
    op.create_index("ix_jobs_key_created", "jobs", ["key_prefix", "created_at"])
    op.create_index("ix_jobs_account_created", "jobs", ["account_id", "created_at"])
    op.drop_index("ix_jobs_account_status", table_name="jobs")
    op.drop_index("ix_items_queue_order", table_name="items")
    op.create_index("ix_items_queue", "items", ["status", "model_key", "priority", "fair_rank"])

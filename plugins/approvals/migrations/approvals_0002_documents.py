"""approvals: what a paraf saw of the card's documents. Each round keeps the documents it is
about (`documents`: id, name, version, sha256) and, when it started because a change voided the
round before it, what voided it (`voided`); each decided step keeps the documents it approved.

Revision ID: approvals_0002
Revises: approvals_0001
Create Date: 2026-12-07 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "approvals_0002"
down_revision = "approvals_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("approvals_rounds") as batch:
        batch.add_column(sa.Column("documents", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("voided", sa.JSON(), nullable=True))
    with op.batch_alter_table("approvals_steps") as batch:
        batch.add_column(sa.Column("documents", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("approvals_steps") as batch:
        batch.drop_column("documents")
    with op.batch_alter_table("approvals_rounds") as batch:
        batch.drop_column("voided")
        batch.drop_column("documents")

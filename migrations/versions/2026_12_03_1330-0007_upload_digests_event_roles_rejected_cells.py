"""the served copy's size and sha256 on uploads, the actor's role on case events, the rejected
rows' cells (encrypted) on resident imports

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('case_attachments') as batch:
        batch.add_column(sa.Column('public_size', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('public_sha256', sa.String(length=64), nullable=True))
    # A PDF is served as it was uploaded: its served copy is the original. Photos stored before
    # this revision keep null (their re-encoded copy was never measured).
    op.execute("UPDATE case_attachments SET public_size = size, public_sha256 = sha256 "
               "WHERE public_key = storage_key")
    with op.batch_alter_table('case_events') as batch:
        batch.add_column(sa.Column('actor_role', sa.String(length=32), nullable=True))
    with op.batch_alter_table('resident_imports') as batch:
        batch.add_column(sa.Column('rejected_rows_cipher', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('resident_imports') as batch:
        batch.drop_column('rejected_rows_cipher')
    with op.batch_alter_table('case_events') as batch:
        batch.drop_column('actor_role')
    with op.batch_alter_table('case_attachments') as batch:
        batch.drop_column('public_sha256')
        batch.drop_column('public_size')

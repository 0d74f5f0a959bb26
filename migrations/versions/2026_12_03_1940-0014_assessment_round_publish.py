"""assessment: a round is open (computed items recomputable, manual items scorable) until it is
published, then frozen

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assessment_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='open'))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('published_by', sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key('fk_assessment_rounds_published_by_users', 'users',
                                    ['published_by'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('assessment_rounds', schema=None) as batch_op:
        batch_op.drop_constraint('fk_assessment_rounds_published_by_users', type_='foreignkey')
        batch_op.drop_column('published_by')
        batch_op.drop_column('published_at')
        batch_op.drop_column('status')

"""volunteers: activities' audience rules (ages, residents only), guardians' sign-ups of a
child (the resident on the sign-up, one live place per child), rule-based points credits
(once per rewarded object) and the communities' points rules

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:09:06.183159
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('points_rules',
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('cap', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('points >= 0 AND cap >= 0', name=op.f('ck_points_rules_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_rules')),
    sa.UniqueConstraint('community_id', 'rule', name=op.f('uq_points_rules_community_id_rule'))
    )
    with op.batch_alter_table('points_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_rules_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_rules_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_rules_street_id'), ['street_id'], unique=False)

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_age', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_age', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('residents_only', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('activity_signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resident_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('active_resident_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_activity_signups_resident_id'), ['resident_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_activity_signups_activity_id_active_resident_id'), ['activity_id', 'active_resident_id'])
        batch_op.create_foreign_key(batch_op.f('fk_activity_signups_resident_id_residents'), 'residents', ['resident_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('source_ref', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_points_entries_rule_source_ref'), ['rule', 'source_ref'])



def downgrade() -> None:
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_points_entries_rule_source_ref'), type_='unique')
        batch_op.drop_column('source_ref')
        batch_op.drop_column('rule')

    with op.batch_alter_table('activity_signups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_activity_signups_resident_id_residents'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_activity_signups_activity_id_active_resident_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_activity_signups_resident_id'))
        batch_op.drop_column('active_resident_id')
        batch_op.drop_column('resident_id')

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('residents_only')
        batch_op.drop_column('max_age')
        batch_op.drop_column('min_age')

    with op.batch_alter_table('points_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_rules_street_id'))
        batch_op.drop_index(batch_op.f('ix_points_rules_org_path'))
        batch_op.drop_index(batch_op.f('ix_points_rules_community_id'))

    op.drop_table('points_rules')

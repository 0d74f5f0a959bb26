"""volunteers: an activity's organiser beyond its org node (a volunteer team, or a
co-construction unit and optionally its agreement) and a team's leader account

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 19:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('unit_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('agreement_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_activities_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_activities_team_id_volunteer_teams'),
                                    'volunteer_teams', ['team_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_activities_unit_id_units'),
                                    'units', ['unit_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_activities_agreement_id_agreements'),
                                    'agreements', ['agreement_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_check_constraint(batch_op.f('ck_activities_one_organiser'),
                                         'team_id IS NULL OR unit_id IS NULL')
        batch_op.create_check_constraint(batch_op.f('ck_activities_agreement_unit'),
                                         'agreement_id IS NULL OR unit_id IS NOT NULL')

    with op.batch_alter_table('volunteer_teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leader_user_id', sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_volunteer_teams_leader_user_id_users'),
                                    'users', ['leader_user_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('volunteer_teams', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_volunteer_teams_leader_user_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('leader_user_id')

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_activities_agreement_unit'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_activities_one_organiser'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_activities_agreement_id_agreements'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_activities_unit_id_units'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_activities_team_id_volunteer_teams'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_activities_unit_id'))
        batch_op.drop_index(batch_op.f('ix_activities_team_id'))
        batch_op.drop_column('agreement_id')
        batch_op.drop_column('unit_id')
        batch_op.drop_column('team_id')

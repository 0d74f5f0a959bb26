"""volunteers: an activity's organiser beyond its org node (a volunteer team, or a
co-construction unit and optionally its agreement), a team's leader account, and the register
of issued service certificates

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
    op.create_table('service_certificates',
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('issuer_org_id', sa.BigInteger(), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('issued_by', sa.BigInteger(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_service_certificates_issued_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issuer_org_id'], ['orgs.id'], name=op.f('fk_service_certificates_issuer_org_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['party_members.id'], name=op.f('fk_service_certificates_member_id_party_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_certificates')),
    sa.UniqueConstraint('member_id', 'period_from', 'period_to', name=op.f('uq_service_certificates_member_id_period_from_period_to')),
    sa.UniqueConstraint('number', name=op.f('uq_service_certificates_number'))
    )
    with op.batch_alter_table('service_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_certificates_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_certificates_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_certificates_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_certificates_street_id'), ['street_id'], unique=False)

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

    op.drop_table('service_certificates')

"""field work: patrols (with their GPS points and linked cases) and household visits

`visits.household_id` has no foreign key yet: the people register (issue 4) adds `households`,
the key, and a backfill from `household_ref`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 20:49:48.949400
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('patrols',
    sa.Column('grid_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.Column('worker_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('running_worker_id', sa.BigInteger(), nullable=True),
    sa.Column('auto_ended', sa.Boolean(), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.Column('point_count', sa.Integer(), nullable=False),
    sa.Column('last_point_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('client_ref', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_patrols_grid_id_grids'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_patrols_worker_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrols')),
    sa.UniqueConstraint('running_worker_id', name=op.f('uq_patrols_running_worker_id')),
    sa.UniqueConstraint('worker_id', 'client_ref', name=op.f('uq_patrols_worker_id_client_ref'))
    )
    with op.batch_alter_table('patrols', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrols_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_patrols_grid_id_id', ['grid_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrols_org_path'), ['org_path'], unique=False)
        batch_op.create_index('ix_patrols_started_at', ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrols_street_id'), ['street_id'], unique=False)
        batch_op.create_index('ix_patrols_worker_id_id', ['worker_id', 'id'], unique=False)

    op.create_table('patrol_cases',
    sa.Column('patrol_id', sa.BigInteger(), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('linked_by', sa.BigInteger(), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_patrol_cases_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['linked_by'], ['users.id'], name=op.f('fk_patrol_cases_linked_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patrol_id'], ['patrols.id'], name=op.f('fk_patrol_cases_patrol_id_patrols'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_cases')),
    sa.UniqueConstraint('patrol_id', 'case_id', name=op.f('uq_patrol_cases_patrol_id_case_id'))
    )
    with op.batch_alter_table('patrol_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_cases_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_cases_linked_by'), ['linked_by'], unique=False)

    op.create_table('patrol_points',
    sa.Column('patrol_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lng', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['patrol_id'], ['patrols.id'], name=op.f('fk_patrol_points_patrol_id_patrols'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_points')),
    sa.UniqueConstraint('patrol_id', 'at', name=op.f('uq_patrol_points_patrol_id_at'))
    )
    op.create_table('visits',
    sa.Column('grid_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.Column('author_id', sa.BigInteger(), nullable=False),
    sa.Column('household_ref', sa.String(length=100), nullable=False),
    sa.Column('household_id', sa.BigInteger(), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('people_met', sa.Integer(), nullable=True),
    sa.Column('follow_up_case_id', sa.BigInteger(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('client_ref', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_visits_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['follow_up_case_id'], ['cases.id'], name=op.f('fk_visits_follow_up_case_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_visits_grid_id_grids'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('author_id', 'client_ref', name=op.f('uq_visits_author_id_client_ref'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_author_id_id', ['author_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_follow_up_case_id'), ['follow_up_case_id'], unique=False)
        batch_op.create_index('ix_visits_grid_id_household_ref', ['grid_id', 'household_ref'], unique=False)
        batch_op.create_index('ix_visits_grid_id_id', ['grid_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_street_id'), ['street_id'], unique=False)
        batch_op.create_index('ix_visits_visited_at', ['visited_at'], unique=False)

def downgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_visited_at')
        batch_op.drop_index(batch_op.f('ix_visits_street_id'))
        batch_op.drop_index(batch_op.f('ix_visits_org_path'))
        batch_op.drop_index(batch_op.f('ix_visits_household_id'))
        batch_op.drop_index('ix_visits_grid_id_id')
        batch_op.drop_index('ix_visits_grid_id_household_ref')
        batch_op.drop_index(batch_op.f('ix_visits_follow_up_case_id'))
        batch_op.drop_index(batch_op.f('ix_visits_community_id'))
        batch_op.drop_index('ix_visits_author_id_id')

    op.drop_table('visits')
    op.drop_table('patrol_points')
    with op.batch_alter_table('patrol_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_cases_linked_by'))
        batch_op.drop_index(batch_op.f('ix_patrol_cases_case_id'))

    op.drop_table('patrol_cases')
    with op.batch_alter_table('patrols', schema=None) as batch_op:
        batch_op.drop_index('ix_patrols_worker_id_id')
        batch_op.drop_index(batch_op.f('ix_patrols_street_id'))
        batch_op.drop_index('ix_patrols_started_at')
        batch_op.drop_index(batch_op.f('ix_patrols_org_path'))
        batch_op.drop_index('ix_patrols_grid_id_id')
        batch_op.drop_index(batch_op.f('ix_patrols_community_id'))

    op.drop_table('patrols')

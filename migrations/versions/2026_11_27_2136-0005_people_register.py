"""people register: buildings, households and residents (ID-card and phone numbers as
ciphertext plus a blind index)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 21:36:55.332334
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('buildings',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('units', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('grid_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_buildings_grid_id_grids'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings'))
    )
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buildings_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_buildings_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_buildings_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_buildings_street_id'), ['street_id'], unique=False)

    op.create_table('households',
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('unit_no', sa.String(length=20), nullable=True),
    sa.Column('room', sa.String(length=20), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('grid_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_households_building_id_buildings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_households_grid_id_grids'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index('ix_households_building_id_id', ['building_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_street_id'), ['street_id'], unique=False)

    op.create_table('residents',
    sa.Column('household_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('gender', sa.String(length=8), nullable=False),
    sa.Column('id_number_cipher', sa.String(length=255), nullable=False),
    sa.Column('id_number_index', sa.String(length=64), nullable=False),
    sa.Column('phone_cipher', sa.String(length=255), nullable=True),
    sa.Column('phone_index', sa.String(length=64), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('ethnicity', sa.String(length=20), nullable=True),
    sa.Column('relation_to_head', sa.String(length=20), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('grid_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_residents_grid_id_grids'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_residents_household_id_households'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_residents_id_number_index'))
    )
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residents_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index('ix_residents_household_id_id', ['household_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_phone_index'), ['phone_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_street_id'), ['street_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residents_street_id'))
        batch_op.drop_index(batch_op.f('ix_residents_phone_index'))
        batch_op.drop_index(batch_op.f('ix_residents_org_path'))
        batch_op.drop_index('ix_residents_household_id_id')
        batch_op.drop_index(batch_op.f('ix_residents_grid_id'))
        batch_op.drop_index(batch_op.f('ix_residents_community_id'))

    op.drop_table('residents')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_street_id'))
        batch_op.drop_index(batch_op.f('ix_households_org_path'))
        batch_op.drop_index(batch_op.f('ix_households_grid_id'))
        batch_op.drop_index(batch_op.f('ix_households_community_id'))
        batch_op.drop_index('ix_households_building_id_id')

    op.drop_table('households')
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buildings_street_id'))
        batch_op.drop_index(batch_op.f('ix_buildings_org_path'))
        batch_op.drop_index(batch_op.f('ix_buildings_grid_id'))
        batch_op.drop_index(batch_op.f('ix_buildings_community_id'))

    op.drop_table('buildings')

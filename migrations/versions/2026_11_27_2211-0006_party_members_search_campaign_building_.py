"""party members, search campaign, building-group and member-household links, 双报到, units,
agreements, cadres, wishes, resident imports; visits.household_id becomes a foreign key, filled
in from household_ref where one household of the grid matches it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 22:11:25.344261
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('units',
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone_cipher', sa.String(length=255), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_units_org_id_orgs'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_units_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_units_street_id'), ['street_id'], unique=False)

    op.create_table('agreements',
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('resources', sa.JSON(), nullable=False),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('signed_by', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['signed_by'], ['users.id'], name=op.f('fk_agreements_signed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_agreements_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_agreements_unit_id_id', ['unit_id', 'id'], unique=False)

    op.create_table('resident_imports',
    sa.Column('grid_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_created', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_resident_imports_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_resident_imports_grid_id_grids'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_imports'))
    )
    with op.batch_alter_table('resident_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_imports_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_imports_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_imports_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_imports_street_id'), ['street_id'], unique=False)

    op.create_table('seconded_cadres',
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('rank', sa.String(length=16), nullable=False),
    sa.Column('position', sa.String(length=100), nullable=True),
    sa.Column('phone_cipher', sa.String(length=255), nullable=True),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_seconded_cadres_org_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_seconded_cadres_unit_id_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_seconded_cadres_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seconded_cadres'))
    )
    with op.batch_alter_table('seconded_cadres', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seconded_cadres_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_seconded_cadres_community_id_rank', ['community_id', 'rank'], unique=False)
        batch_op.create_index(batch_op.f('ix_seconded_cadres_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seconded_cadres_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_seconded_cadres_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seconded_cadres_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seconded_cadres_user_id'), ['user_id'], unique=False)

    op.create_table('unit_registrations',
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('active_key', sa.String(length=64), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_registrations_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_registrations')),
    sa.UniqueConstraint('active_key', name=op.f('uq_unit_registrations_active_key'))
    )
    with op.batch_alter_table('unit_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_registrations_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_registrations_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_registrations_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_registrations_unit_id'), ['unit_id'], unique=False)

    op.create_table('agreement_projects',
    sa.Column('agreement_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_projects_agreement_id_agreements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_projects'))
    )
    with op.batch_alter_table('agreement_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_projects_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('agreement_reports',
    sa.Column('agreement_id', sa.BigInteger(), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_reports_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_agreement_reports_author_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_reports'))
    )
    with op.batch_alter_table('agreement_reports', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_reports_agreement_id_id', ['agreement_id', 'id'], unique=False)

    op.create_table('building_group_buildings',
    sa.Column('group_id', sa.BigInteger(), nullable=False),
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_building_group_buildings_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['orgs.id'], name=op.f('fk_building_group_buildings_group_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building_group_buildings')),
    sa.UniqueConstraint('building_id', name=op.f('uq_building_group_buildings_building_id'))
    )
    with op.batch_alter_table('building_group_buildings', schema=None) as batch_op:
        batch_op.create_index('ix_building_group_buildings_group_id_id', ['group_id', 'id'], unique=False)

    op.create_table('member_household_links',
    sa.Column('node_id', sa.BigInteger(), nullable=False),
    sa.Column('household_id', sa.BigInteger(), nullable=False),
    sa.Column('is_home', sa.Boolean(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_member_household_links_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['node_id'], ['orgs.id'], name=op.f('fk_member_household_links_node_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_household_links')),
    sa.UniqueConstraint('household_id', name=op.f('uq_member_household_links_household_id'))
    )
    with op.batch_alter_table('member_household_links', schema=None) as batch_op:
        batch_op.create_index('ix_member_household_links_node_id_id', ['node_id', 'id'], unique=False)

    op.create_table('party_members',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('gender', sa.String(length=8), nullable=True),
    sa.Column('id_number_cipher', sa.String(length=255), nullable=False),
    sa.Column('id_number_index', sa.String(length=64), nullable=False),
    sa.Column('phone_cipher', sa.String(length=255), nullable=True),
    sa.Column('phone_index', sa.String(length=64), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('education', sa.String(length=20), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('work_unit', sa.String(length=100), nullable=True),
    sa.Column('badge_posted', sa.Boolean(), nullable=False),
    sa.Column('resident_id', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_party_members_org_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_party_members_resident_id_residents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_party_members_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_members')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_party_members_id_number_index')),
    sa.UniqueConstraint('user_id', name=op.f('uq_party_members_user_id'))
    )
    with op.batch_alter_table('party_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_members_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_party_members_community_id_category', ['community_id', 'category'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_members_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_party_members_org_id_id', ['org_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_members_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_members_phone_index'), ['phone_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_members_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_members_street_id'), ['street_id'], unique=False)

    op.create_table('community_registrations',
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('active_member_id', sa.BigInteger(), nullable=True),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_community_registrations_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['party_members.id'], name=op.f('fk_community_registrations_member_id_party_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_registrations')),
    sa.UniqueConstraint('active_member_id', name=op.f('uq_community_registrations_active_member_id'))
    )
    with op.batch_alter_table('community_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_registrations_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_community_registrations_community_id_status_id', ['community_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_registrations_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_registrations_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_registrations_street_id'), ['street_id'], unique=False)

    op.create_table('member_findings',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('gender', sa.String(length=8), nullable=True),
    sa.Column('id_number_cipher', sa.String(length=255), nullable=False),
    sa.Column('id_number_index', sa.String(length=64), nullable=False),
    sa.Column('phone_cipher', sa.String(length=255), nullable=True),
    sa.Column('phone_index', sa.String(length=64), nullable=True),
    sa.Column('category_found', sa.String(length=16), nullable=False),
    sa.Column('work_unit', sa.String(length=100), nullable=True),
    sa.Column('badge_posted', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('branch_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reported_by', sa.BigInteger(), nullable=True),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('member_id', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['orgs.id'], name=op.f('fk_member_findings_branch_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_member_findings_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['party_members.id'], name=op.f('fk_member_findings_member_id_party_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_member_findings_org_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reported_by'], ['users.id'], name=op.f('fk_member_findings_reported_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_findings'))
    )
    with op.batch_alter_table('member_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_findings_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_findings_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_findings_id_number_index'), ['id_number_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_findings_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_findings_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_member_findings_org_id_status', ['org_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_findings_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_findings_street_id'), ['street_id'], unique=False)

    op.create_table('wishes',
    sa.Column('grid_id', sa.BigInteger(), nullable=False),
    sa.Column('resident_id', sa.BigInteger(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('posted_by', sa.BigInteger(), nullable=True),
    sa.Column('claimed_by_member_id', sa.BigInteger(), nullable=True),
    sa.Column('claimed_by_unit_id', sa.BigInteger(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('evidence_attachment_ids', sa.JSON(), nullable=False),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.BigInteger(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by_member_id'], ['party_members.id'], name=op.f('fk_wishes_claimed_by_member_id_party_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['claimed_by_unit_id'], ['units.id'], name=op.f('fk_wishes_claimed_by_unit_id_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['confirmed_by'], ['users.id'], name=op.f('fk_wishes_confirmed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_wishes_grid_id_grids'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['posted_by'], ['users.id'], name=op.f('fk_wishes_posted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_wishes_resident_id_residents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wishes'))
    )
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wishes_claimed_by_member_id'), ['claimed_by_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_claimed_by_unit_id'), ['claimed_by_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index('ix_wishes_grid_id_status_id', ['grid_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_street_id'), ['street_id'], unique=False)

    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wish_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_attachments_wish_id'), ['wish_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_attachments_wish_id_wishes'), 'wishes',
                                    ['wish_id'], ['id'], ondelete='CASCADE')

    _link_visits_to_households()
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_visits_household_id_households'), 'households', ['household_id'], ['id'], ondelete='SET NULL')



_TOKEN = re.compile(r"[0-9A-Za-z]+")


def _tokens(*parts: str | None) -> tuple[str, ...]:
    """"3栋2单元501", "3-2-501" and (building "3栋", unit "2", room "501") share one key."""
    return tuple(t.upper().lstrip("0") or "0" for p in parts if p for t in _TOKEN.findall(p))


def _link_visits_to_households() -> None:
    bind = op.get_bind()
    # Until now nothing checked the column: drop ids that name no household.
    bind.execute(sa.text(
        "UPDATE visits SET household_id = NULL WHERE household_id IS NOT NULL "
        "AND household_id NOT IN (SELECT id FROM households)"))
    rows = bind.execute(sa.text(
        "SELECT h.id, h.grid_id, b.name, h.unit_no, h.room FROM households h "
        "JOIN buildings b ON b.id = h.building_id")).all()
    keys: dict[tuple[int, tuple[str, ...]], int | None] = {}
    for hid, grid_id, building, unit_no, room in rows:
        key = (grid_id, _tokens(building, unit_no, room))
        keys[key] = None if key in keys else hid  # ambiguous keys link nothing
    visits = bind.execute(sa.text(
        "SELECT id, grid_id, household_ref FROM visits WHERE household_id IS NULL")).all()
    for vid, grid_id, ref in visits:
        hid = keys.get((grid_id, _tokens(ref)))
        if hid is not None:
            bind.execute(sa.text("UPDATE visits SET household_id = :h WHERE id = :v"),
                         {"h": hid, "v": vid})


def downgrade() -> None:
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_attachments_wish_id_wishes'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_attachments_wish_id'))
        batch_op.drop_column('wish_id')

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visits_household_id_households'), type_='foreignkey')

    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wishes_street_id'))
        batch_op.drop_index(batch_op.f('ix_wishes_resident_id'))
        batch_op.drop_index(batch_op.f('ix_wishes_org_path'))
        batch_op.drop_index('ix_wishes_grid_id_status_id')
        batch_op.drop_index(batch_op.f('ix_wishes_grid_id'))
        batch_op.drop_index(batch_op.f('ix_wishes_community_id'))
        batch_op.drop_index(batch_op.f('ix_wishes_claimed_by_unit_id'))
        batch_op.drop_index(batch_op.f('ix_wishes_claimed_by_member_id'))

    op.drop_table('wishes')
    with op.batch_alter_table('member_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_findings_street_id'))
        batch_op.drop_index(batch_op.f('ix_member_findings_org_path'))
        batch_op.drop_index('ix_member_findings_org_id_status')
        batch_op.drop_index(batch_op.f('ix_member_findings_org_id'))
        batch_op.drop_index(batch_op.f('ix_member_findings_member_id'))
        batch_op.drop_index(batch_op.f('ix_member_findings_id_number_index'))
        batch_op.drop_index(batch_op.f('ix_member_findings_community_id'))
        batch_op.drop_index(batch_op.f('ix_member_findings_branch_id'))

    op.drop_table('member_findings')
    with op.batch_alter_table('community_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_registrations_street_id'))
        batch_op.drop_index(batch_op.f('ix_community_registrations_org_path'))
        batch_op.drop_index(batch_op.f('ix_community_registrations_member_id'))
        batch_op.drop_index('ix_community_registrations_community_id_status_id')
        batch_op.drop_index(batch_op.f('ix_community_registrations_community_id'))

    op.drop_table('community_registrations')
    with op.batch_alter_table('party_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_members_street_id'))
        batch_op.drop_index(batch_op.f('ix_party_members_resident_id'))
        batch_op.drop_index(batch_op.f('ix_party_members_phone_index'))
        batch_op.drop_index(batch_op.f('ix_party_members_org_path'))
        batch_op.drop_index('ix_party_members_org_id_id')
        batch_op.drop_index(batch_op.f('ix_party_members_org_id'))
        batch_op.drop_index('ix_party_members_community_id_category')
        batch_op.drop_index(batch_op.f('ix_party_members_community_id'))

    op.drop_table('party_members')
    with op.batch_alter_table('member_household_links', schema=None) as batch_op:
        batch_op.drop_index('ix_member_household_links_node_id_id')

    op.drop_table('member_household_links')
    with op.batch_alter_table('building_group_buildings', schema=None) as batch_op:
        batch_op.drop_index('ix_building_group_buildings_group_id_id')

    op.drop_table('building_group_buildings')
    with op.batch_alter_table('agreement_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_reports_agreement_id_id')

    op.drop_table('agreement_reports')
    with op.batch_alter_table('agreement_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_projects_agreement_id'))

    op.drop_table('agreement_projects')
    with op.batch_alter_table('unit_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_registrations_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unit_registrations_street_id'))
        batch_op.drop_index(batch_op.f('ix_unit_registrations_org_path'))
        batch_op.drop_index(batch_op.f('ix_unit_registrations_community_id'))

    op.drop_table('unit_registrations')
    with op.batch_alter_table('seconded_cadres', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seconded_cadres_user_id'))
        batch_op.drop_index(batch_op.f('ix_seconded_cadres_unit_id'))
        batch_op.drop_index(batch_op.f('ix_seconded_cadres_street_id'))
        batch_op.drop_index(batch_op.f('ix_seconded_cadres_org_path'))
        batch_op.drop_index(batch_op.f('ix_seconded_cadres_org_id'))
        batch_op.drop_index('ix_seconded_cadres_community_id_rank')
        batch_op.drop_index(batch_op.f('ix_seconded_cadres_community_id'))

    op.drop_table('seconded_cadres')
    with op.batch_alter_table('resident_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_imports_street_id'))
        batch_op.drop_index(batch_op.f('ix_resident_imports_org_path'))
        batch_op.drop_index(batch_op.f('ix_resident_imports_grid_id'))
        batch_op.drop_index(batch_op.f('ix_resident_imports_community_id'))

    op.drop_table('resident_imports')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index('ix_agreements_unit_id_id')
        batch_op.drop_index(batch_op.f('ix_agreements_unit_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_street_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_org_path'))
        batch_op.drop_index(batch_op.f('ix_agreements_community_id'))

    op.drop_table('agreements')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_street_id'))
        batch_op.drop_index(batch_op.f('ix_units_org_path'))
        batch_op.drop_index(batch_op.f('ix_units_org_id'))

    op.drop_table('units')

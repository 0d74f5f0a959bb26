"""volunteers: activities, sign-ups (capacity, waiting list, attendance), the points ledger
with its accounts, the love supermarket's goods and redemptions, volunteer teams and profiles

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:03:23.210938
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('market_goods',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('price_points', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('price_points > 0', name=op.f('ck_market_goods_price_positive')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_market_goods_stock_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_goods'))
    )
    with op.batch_alter_table('market_goods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_goods_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_goods_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_goods_street_id'), ['street_id'], unique=False)

    op.create_table('volunteer_teams',
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('leader_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone_cipher', sa.String(length=255), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_volunteer_teams_org_id_orgs'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_teams'))
    )
    with op.batch_alter_table('volunteer_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_teams_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_teams_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_teams_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_teams_street_id'), ['street_id'], unique=False)

    op.create_table('activities',
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signup_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('accepted_count', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('radius_m', sa.Integer(), nullable=False),
    sa.Column('points_per_hour', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('accepted_count >= 0 AND accepted_count <= capacity', name=op.f('ck_activities_seats')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_activities_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_activities_org_id_orgs'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activities_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_activities_community_id_starts_at', ['community_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_activities_lat_lng', ['lat', 'lng'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_street_id'), ['street_id'], unique=False)

    op.create_table('points_accounts',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_points_accounts_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_points_accounts_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_accounts')),
    sa.UniqueConstraint('user_id', name=op.f('uq_points_accounts_user_id'))
    )
    op.create_table('volunteer_profiles',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('availability', sa.JSON(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_volunteer_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_profiles')),
    sa.UniqueConstraint('user_id', name=op.f('uq_volunteer_profiles_user_id'))
    )
    op.create_table('volunteer_team_members',
    sa.Column('team_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['volunteer_teams.id'], name=op.f('fk_volunteer_team_members_team_id_volunteer_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_volunteer_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_team_members')),
    sa.UniqueConstraint('team_id', 'user_id', name=op.f('uq_volunteer_team_members_team_id_user_id'))
    )
    with op.batch_alter_table('volunteer_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_team_members_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_team_members_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_team_members_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_team_members_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('activity_signups',
    sa.Column('activity_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('active_user_id', sa.BigInteger(), nullable=True),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('corrected_by', sa.BigInteger(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_signups_activity_id_activities'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['corrected_by'], ['users.id'], name=op.f('fk_activity_signups_corrected_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_signups_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_signups')),
    sa.UniqueConstraint('activity_id', 'active_user_id', name=op.f('uq_activity_signups_activity_id_active_user_id'))
    )
    with op.batch_alter_table('activity_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_signups_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index('ix_activity_signups_activity_id_status_id', ['activity_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_signups_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_signups_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_signups_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_signups_user_id'), ['user_id'], unique=False)

    op.create_table('points_entries',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('memo', sa.String(length=255), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('signup_id', sa.BigInteger(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_points_entries_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['signup_id'], ['activity_signups.id'], name=op.f('fk_points_entries_signup_id_activity_signups'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_entries'))
    )
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_entries_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entries_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entries_signup_id'), ['signup_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entries_street_id'), ['street_id'], unique=False)

    op.create_table('market_redemptions',
    sa.Column('goods_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=True),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_market_redemptions_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['points_entries.id'], name=op.f('fk_market_redemptions_entry_id_points_entries'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['goods_id'], ['market_goods.id'], name=op.f('fk_market_redemptions_goods_id_market_goods'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_market_redemptions_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_redemptions'))
    )
    with op.batch_alter_table('market_redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_redemptions_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_redemptions_goods_id'), ['goods_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_redemptions_org_path'), ['org_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_redemptions_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_redemptions_user_id'), ['user_id'], unique=False)

    op.create_table('points_postings',
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['points_entries.id'], name=op.f('fk_points_postings_entry_id_points_entries'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_points_postings_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_postings'))
    )
    with op.batch_alter_table('points_postings', schema=None) as batch_op:
        batch_op.create_index('ix_points_postings_account', ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_postings_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_points_postings_user_id_id', ['user_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('points_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_points_postings_user_id_id')
        batch_op.drop_index(batch_op.f('ix_points_postings_entry_id'))
        batch_op.drop_index('ix_points_postings_account')

    op.drop_table('points_postings')
    with op.batch_alter_table('market_redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_redemptions_user_id'))
        batch_op.drop_index(batch_op.f('ix_market_redemptions_street_id'))
        batch_op.drop_index(batch_op.f('ix_market_redemptions_org_path'))
        batch_op.drop_index(batch_op.f('ix_market_redemptions_goods_id'))
        batch_op.drop_index(batch_op.f('ix_market_redemptions_community_id'))

    op.drop_table('market_redemptions')
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_entries_street_id'))
        batch_op.drop_index(batch_op.f('ix_points_entries_signup_id'))
        batch_op.drop_index(batch_op.f('ix_points_entries_org_path'))
        batch_op.drop_index(batch_op.f('ix_points_entries_community_id'))

    op.drop_table('points_entries')
    with op.batch_alter_table('activity_signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_signups_user_id'))
        batch_op.drop_index(batch_op.f('ix_activity_signups_street_id'))
        batch_op.drop_index(batch_op.f('ix_activity_signups_org_path'))
        batch_op.drop_index(batch_op.f('ix_activity_signups_community_id'))
        batch_op.drop_index('ix_activity_signups_activity_id_status_id')
        batch_op.drop_index(batch_op.f('ix_activity_signups_activity_id'))

    op.drop_table('activity_signups')
    with op.batch_alter_table('volunteer_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_team_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_team_members_team_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_team_members_street_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_team_members_org_path'))
        batch_op.drop_index(batch_op.f('ix_volunteer_team_members_community_id'))

    op.drop_table('volunteer_team_members')
    op.drop_table('volunteer_profiles')
    op.drop_table('points_accounts')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activities_street_id'))
        batch_op.drop_index(batch_op.f('ix_activities_org_path'))
        batch_op.drop_index(batch_op.f('ix_activities_org_id'))
        batch_op.drop_index('ix_activities_lat_lng')
        batch_op.drop_index('ix_activities_community_id_starts_at')
        batch_op.drop_index(batch_op.f('ix_activities_community_id'))

    op.drop_table('activities')
    with op.batch_alter_table('volunteer_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_teams_street_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_teams_org_path'))
        batch_op.drop_index(batch_op.f('ix_volunteer_teams_org_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_teams_community_id'))

    op.drop_table('volunteer_teams')
    with op.batch_alter_table('market_goods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_goods_street_id'))
        batch_op.drop_index(batch_op.f('ix_market_goods_org_path'))
        batch_op.drop_index(batch_op.f('ix_market_goods_community_id'))

    op.drop_table('market_goods')

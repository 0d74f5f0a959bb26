"""assessment: scoring sheets, quarterly rounds and scores, year-end reviews

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:10:52.676033
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('assessment_sheets',
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('org_kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_assessment_sheets_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_assessment_sheets_org_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['previous_id'], ['assessment_sheets.id'], name=op.f('fk_assessment_sheets_previous_id_assessment_sheets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_sheets')),
    sa.UniqueConstraint('org_id', 'year', 'org_kind', 'version_no', name=op.f('uq_assessment_sheets_org_id_year_org_kind_version_no'))
    )
    op.create_index(op.f('ix_assessment_sheets_community_id'), 'assessment_sheets', ['community_id'], unique=False)
    op.create_index(op.f('ix_assessment_sheets_created_by'), 'assessment_sheets', ['created_by'], unique=False)
    op.create_index(op.f('ix_assessment_sheets_org_id'), 'assessment_sheets', ['org_id'], unique=False)
    op.create_index(op.f('ix_assessment_sheets_org_path'), 'assessment_sheets', ['org_path'], unique=False)
    op.create_index(op.f('ix_assessment_sheets_previous_id'), 'assessment_sheets', ['previous_id'], unique=False)
    op.create_index(op.f('ix_assessment_sheets_street_id'), 'assessment_sheets', ['street_id'], unique=False)
    op.create_table('reviews',
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('org_kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_reviews_window')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_reviews_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_reviews_org_id_orgs'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    op.create_index(op.f('ix_reviews_community_id'), 'reviews', ['community_id'], unique=False)
    op.create_index(op.f('ix_reviews_created_by'), 'reviews', ['created_by'], unique=False)
    op.create_index(op.f('ix_reviews_org_id'), 'reviews', ['org_id'], unique=False)
    op.create_index(op.f('ix_reviews_org_path'), 'reviews', ['org_path'], unique=False)
    op.create_index(op.f('ix_reviews_street_id'), 'reviews', ['street_id'], unique=False)
    op.create_table('assessment_items',
    sa.Column('sheet_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.CheckConstraint('weight > 0 AND max_score > 0', name=op.f('ck_assessment_items_positive')),
    sa.ForeignKeyConstraint(['sheet_id'], ['assessment_sheets.id'], name=op.f('fk_assessment_items_sheet_id_assessment_sheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_items')),
    sa.UniqueConstraint('sheet_id', 'position', name=op.f('uq_assessment_items_sheet_id_position'))
    )
    op.create_index(op.f('ix_assessment_items_sheet_id'), 'assessment_items', ['sheet_id'], unique=False)
    op.create_table('assessment_rounds',
    sa.Column('sheet_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('org_kind', sa.String(length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('quarter BETWEEN 1 AND 4', name=op.f('ck_assessment_rounds_quarter')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_assessment_rounds_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_assessment_rounds_org_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sheet_id'], ['assessment_sheets.id'], name=op.f('fk_assessment_rounds_sheet_id_assessment_sheets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_rounds')),
    sa.UniqueConstraint('sheet_id', 'org_id', 'year', 'quarter', name=op.f('uq_assessment_rounds_sheet_id_org_id_year_quarter'))
    )
    op.create_index(op.f('ix_assessment_rounds_community_id'), 'assessment_rounds', ['community_id'], unique=False)
    op.create_index(op.f('ix_assessment_rounds_created_by'), 'assessment_rounds', ['created_by'], unique=False)
    op.create_index(op.f('ix_assessment_rounds_org_id'), 'assessment_rounds', ['org_id'], unique=False)
    op.create_index(op.f('ix_assessment_rounds_org_path'), 'assessment_rounds', ['org_path'], unique=False)
    op.create_index(op.f('ix_assessment_rounds_sheet_id'), 'assessment_rounds', ['sheet_id'], unique=False)
    op.create_index(op.f('ix_assessment_rounds_street_id'), 'assessment_rounds', ['street_id'], unique=False)
    op.create_table('review_reports',
    sa.Column('review_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_reports_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_review_reports_org_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_reports_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reports')),
    sa.UniqueConstraint('review_id', 'org_id', name=op.f('uq_review_reports_review_id_org_id'))
    )
    op.create_index(op.f('ix_review_reports_author_id'), 'review_reports', ['author_id'], unique=False)
    op.create_index(op.f('ix_review_reports_community_id'), 'review_reports', ['community_id'], unique=False)
    op.create_index(op.f('ix_review_reports_org_id'), 'review_reports', ['org_id'], unique=False)
    op.create_index(op.f('ix_review_reports_org_path'), 'review_reports', ['org_path'], unique=False)
    op.create_index(op.f('ix_review_reports_review_id'), 'review_reports', ['review_id'], unique=False)
    op.create_index(op.f('ix_review_reports_street_id'), 'review_reports', ['street_id'], unique=False)
    op.create_table('assessment_scores',
    sa.Column('round_id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('entered_by', sa.BigInteger(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_assessment_scores_entered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['assessment_items.id'], name=op.f('fk_assessment_scores_item_id_assessment_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_assessment_scores_org_id_orgs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_rounds.id'], name=op.f('fk_assessment_scores_round_id_assessment_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_scores')),
    sa.UniqueConstraint('round_id', 'org_id', 'item_id', name=op.f('uq_assessment_scores_round_id_org_id_item_id'))
    )
    op.create_index(op.f('ix_assessment_scores_community_id'), 'assessment_scores', ['community_id'], unique=False)
    op.create_index(op.f('ix_assessment_scores_entered_by'), 'assessment_scores', ['entered_by'], unique=False)
    op.create_index(op.f('ix_assessment_scores_item_id'), 'assessment_scores', ['item_id'], unique=False)
    op.create_index(op.f('ix_assessment_scores_org_id'), 'assessment_scores', ['org_id'], unique=False)
    op.create_index(op.f('ix_assessment_scores_org_path'), 'assessment_scores', ['org_path'], unique=False)
    op.create_index(op.f('ix_assessment_scores_round_id'), 'assessment_scores', ['round_id'], unique=False)
    op.create_index(op.f('ix_assessment_scores_street_id'), 'assessment_scores', ['street_id'], unique=False)
    op.create_table('review_ratings',
    sa.Column('report_id', sa.BigInteger(), nullable=False),
    sa.Column('reviewer_id', sa.BigInteger(), nullable=False),
    sa.Column('grade', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('community_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['review_reports.id'], name=op.f('fk_review_ratings_report_id_review_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_review_ratings_reviewer_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_ratings')),
    sa.UniqueConstraint('report_id', 'reviewer_id', name=op.f('uq_review_ratings_report_id_reviewer_id'))
    )
    op.create_index(op.f('ix_review_ratings_community_id'), 'review_ratings', ['community_id'], unique=False)
    op.create_index(op.f('ix_review_ratings_org_path'), 'review_ratings', ['org_path'], unique=False)
    op.create_index(op.f('ix_review_ratings_report_id'), 'review_ratings', ['report_id'], unique=False)
    op.create_index(op.f('ix_review_ratings_reviewer_id'), 'review_ratings', ['reviewer_id'], unique=False)
    op.create_index(op.f('ix_review_ratings_street_id'), 'review_ratings', ['street_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_review_ratings_street_id'), table_name='review_ratings')
    op.drop_index(op.f('ix_review_ratings_reviewer_id'), table_name='review_ratings')
    op.drop_index(op.f('ix_review_ratings_report_id'), table_name='review_ratings')
    op.drop_index(op.f('ix_review_ratings_org_path'), table_name='review_ratings')
    op.drop_index(op.f('ix_review_ratings_community_id'), table_name='review_ratings')
    op.drop_table('review_ratings')
    op.drop_index(op.f('ix_assessment_scores_street_id'), table_name='assessment_scores')
    op.drop_index(op.f('ix_assessment_scores_round_id'), table_name='assessment_scores')
    op.drop_index(op.f('ix_assessment_scores_org_path'), table_name='assessment_scores')
    op.drop_index(op.f('ix_assessment_scores_org_id'), table_name='assessment_scores')
    op.drop_index(op.f('ix_assessment_scores_item_id'), table_name='assessment_scores')
    op.drop_index(op.f('ix_assessment_scores_entered_by'), table_name='assessment_scores')
    op.drop_index(op.f('ix_assessment_scores_community_id'), table_name='assessment_scores')
    op.drop_table('assessment_scores')
    op.drop_index(op.f('ix_review_reports_street_id'), table_name='review_reports')
    op.drop_index(op.f('ix_review_reports_review_id'), table_name='review_reports')
    op.drop_index(op.f('ix_review_reports_org_path'), table_name='review_reports')
    op.drop_index(op.f('ix_review_reports_org_id'), table_name='review_reports')
    op.drop_index(op.f('ix_review_reports_community_id'), table_name='review_reports')
    op.drop_index(op.f('ix_review_reports_author_id'), table_name='review_reports')
    op.drop_table('review_reports')
    op.drop_index(op.f('ix_assessment_rounds_street_id'), table_name='assessment_rounds')
    op.drop_index(op.f('ix_assessment_rounds_sheet_id'), table_name='assessment_rounds')
    op.drop_index(op.f('ix_assessment_rounds_org_path'), table_name='assessment_rounds')
    op.drop_index(op.f('ix_assessment_rounds_org_id'), table_name='assessment_rounds')
    op.drop_index(op.f('ix_assessment_rounds_created_by'), table_name='assessment_rounds')
    op.drop_index(op.f('ix_assessment_rounds_community_id'), table_name='assessment_rounds')
    op.drop_table('assessment_rounds')
    op.drop_index(op.f('ix_assessment_items_sheet_id'), table_name='assessment_items')
    op.drop_table('assessment_items')
    op.drop_index(op.f('ix_reviews_street_id'), table_name='reviews')
    op.drop_index(op.f('ix_reviews_org_path'), table_name='reviews')
    op.drop_index(op.f('ix_reviews_org_id'), table_name='reviews')
    op.drop_index(op.f('ix_reviews_created_by'), table_name='reviews')
    op.drop_index(op.f('ix_reviews_community_id'), table_name='reviews')
    op.drop_table('reviews')
    op.drop_index(op.f('ix_assessment_sheets_street_id'), table_name='assessment_sheets')
    op.drop_index(op.f('ix_assessment_sheets_previous_id'), table_name='assessment_sheets')
    op.drop_index(op.f('ix_assessment_sheets_org_path'), table_name='assessment_sheets')
    op.drop_index(op.f('ix_assessment_sheets_org_id'), table_name='assessment_sheets')
    op.drop_index(op.f('ix_assessment_sheets_created_by'), table_name='assessment_sheets')
    op.drop_index(op.f('ix_assessment_sheets_community_id'), table_name='assessment_sheets')
    op.drop_table('assessment_sheets')

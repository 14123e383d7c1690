"""match review (moderated proposals) and engine run snapshots

Revision ID: b3f1c2d4e5a6
Revises: b8d3e1f07a42
Create Date: 2026-12-05 20:40:00

Issue 12: a review state on Match, apart from its lifecycle status (None: not
moderated; pending, approved, hidden), with the reviewer's note, who and when; and
the proposals each engine run left open (engine_run_snapshot), for the run comparison.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f1c2d4e5a6'
down_revision = 'b8d3e1f07a42'
branch_labels = None
depends_on = None

REVIEW_ALLOWED = "review IS NULL OR review IN ('pending', 'approved', 'hidden')"


def upgrade():
    op.create_table('engine_run_snapshot',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('proposals', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['engine_run.id'], name=op.f('fk_engine_run_snapshot_run_id_engine_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_engine_run_snapshot'))
    )
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_match_review'), ['review'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_match_reviewed_by_id_user_account'), 'user_account', ['reviewed_by_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_match_review_allowed'), REVIEW_ALLOWED)


def downgrade():
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_match_review_allowed'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_match_reviewed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_match_review'))
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('review_note')
        batch_op.drop_column('review')
    op.drop_table('engine_run_snapshot')

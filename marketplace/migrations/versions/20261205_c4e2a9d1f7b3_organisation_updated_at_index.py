"""index on organisation.updated_at (kept search output reads max(updated_at))

Revision ID: c4e2a9d1f7b3
Revises: b3f1c2d4e5a6
Create Date: 2026-12-05 23:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e2a9d1f7b3'
down_revision = 'b3f1c2d4e5a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_updated_at', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_updated_at')

"""index on listing.updated_at (the search ranking cache reads max(updated_at))

Revision ID: 5c1f0e2a7b90
Revises: 7c0feb96533f
Create Date: 2026-12-05 20:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5c1f0e2a7b90'
down_revision = '7c0feb96533f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.create_index('ix_listing_updated_at', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_index('ix_listing_updated_at')

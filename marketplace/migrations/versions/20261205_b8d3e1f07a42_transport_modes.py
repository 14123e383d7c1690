"""transport modes of listings and matches

Revision ID: b8d3e1f07a42
Revises: 5c1f0e2a7b90
Create Date: 2026-12-05 20:30:00

Listings say how a stream travels (``transport_mode``; a need also how its current supply
travels, ``current_source_transport_mode``), and a match stores the mode the engine used
for its transport CO2. Existing rows default to truck, as the engine did before.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8d3e1f07a42"
down_revision = "5c1f0e2a7b90"
branch_labels = None
depends_on = None

MODES = "('truck', 'barge', 'rail', 'sea', 'pipeline')"


def upgrade():
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transport_mode", sa.String(length=8), server_default="truck", nullable=False)
        )
        batch_op.add_column(
            sa.Column("current_source_transport_mode", sa.String(length=8), nullable=True)
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_listing_transport_mode_allowed"), f"transport_mode IN {MODES}"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_listing_current_source_transport_mode_allowed"),
            "current_source_transport_mode IS NULL OR current_source_transport_mode IN "
            + MODES,
        )
    # Needs listed before modes existed were supplied by truck, as the engine assumed.
    op.execute(
        "UPDATE listing SET current_source_transport_mode = 'truck' WHERE kind = 'need'"
    )
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transport_mode", sa.String(length=8), server_default="truck", nullable=False)
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_match_transport_mode_allowed"), f"transport_mode IN {MODES}"
        )


def downgrade():
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_match_transport_mode_allowed"), type_="check")
        batch_op.drop_column("transport_mode")
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_listing_current_source_transport_mode_allowed"), type_="check"
        )
        batch_op.drop_constraint(batch_op.f("ck_listing_transport_mode_allowed"), type_="check")
        batch_op.drop_column("current_source_transport_mode")
        batch_op.drop_column("transport_mode")

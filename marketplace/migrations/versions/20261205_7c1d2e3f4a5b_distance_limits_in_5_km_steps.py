"""needs' distance limits in 5 km steps (rounded up)

Revision ID: 7c1d2e3f4a5b
Revises: 5ec0b1d5a7e1
Create Date: 2026-12-05 20:20:00

Data only: limits stored before the rule are rounded up like new ones
(``marketplace.core.disclosure.stepped_distance_limit_km``).
"""

import math

import sqlalchemy as sa
from alembic import op

revision = "7c1d2e3f4a5b"
down_revision = "5ec0b1d5a7e1"
branch_labels = None
depends_on = None

STEP_KM = 5


def upgrade():
    bind = op.get_bind()
    listing = sa.table("listing", sa.column("id", sa.Integer), sa.column("max_distance_km", sa.Float))
    rows = bind.execute(
        sa.select(listing.c.id, listing.c.max_distance_km).where(
            listing.c.max_distance_km.is_not(None)
        )
    ).all()
    for row_id, km in rows:
        stepped = float(max(1, math.ceil(round(km / STEP_KM, 9))) * STEP_KM)
        if stepped != km:
            bind.execute(
                listing.update().where(listing.c.id == row_id).values(max_distance_km=stepped)
            )


def downgrade():
    pass  # the exact limits are gone; the rounded ones stay valid

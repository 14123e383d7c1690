"""opaque public ids for listings, matches and organisations

Revision ID: 5ec0b1d5a7e1
Revises: 5a9077c34f36
Create Date: 2026-12-05 20:00:00

Every existing row gets a random public id before the column becomes NOT NULL.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "5ec0b1d5a7e1"
down_revision = "5a9077c34f36"
branch_labels = None
depends_on = None

TABLES = ("organisation", "listing", "match")


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        # The batch mode copies each table; with foreign keys on, dropping the old
        # organisation table would fail while listings point at it.
        op.execute("PRAGMA foreign_keys=OFF")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("public_id", sa.String(length=12), nullable=True))
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column("public_id", sa.String))
        ids = bind.execute(sa.select(rows.c.id)).scalars().all()
        for row_id in ids:
            bind.execute(
                rows.update()
                .where(rows.c.id == row_id)
                .values(public_id=secrets.token_urlsafe(9))
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "public_id", existing_type=sa.String(length=12), nullable=False
            )
            batch_op.create_index(batch_op.f(f"ix_{table}_public_id"), ["public_id"], unique=True)
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_public_id"))
            batch_op.drop_column("public_id")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")

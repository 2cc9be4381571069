"""deliveries name consumer and grant; call rows name their audit event

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21 23:42:33.301590
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govdata.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _new_delivery_table() -> None:
    op.create_table(
        "share_delivery",
        sa.Column("resource_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_id", sa.String(length=18), nullable=False),
        sa.Column("consumer_org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_org_id"], ["organization.id"], name=op.f("fk_share_delivery_consumer_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["catalog_resource.id"], name=op.f("fk_share_delivery_resource_id_catalog_resource")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_delivery")),
    )
    op.create_index("ix_share_delivery_resource_subject", "share_delivery", ["resource_id", "subject_id"])


def upgrade() -> None:
    with op.batch_alter_table("share_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audit_seq", sa.BigInteger(), nullable=True))
    # Deliveries now carry who received what under which grant themselves; the old rows are carried over.
    op.drop_index("ix_share_delivery_subject_id", table_name="share_delivery")
    op.rename_table("share_delivery", "share_delivery_old")
    if op.get_bind().dialect.name == "postgresql":  # constraint names are schema-wide there
        op.execute("ALTER TABLE share_delivery_old RENAME CONSTRAINT pk_share_delivery TO pk_share_delivery_old")
    _new_delivery_table()
    op.execute(
        "INSERT INTO share_delivery (resource_id, subject_id, consumer_org_id, grant_id, at) "
        "SELECT c.resource_id, d.subject_id, c.consumer_org_id, c.grant_id, c.at "
        "FROM share_delivery_old d JOIN share_call c ON c.id = d.call_id "
        "WHERE c.resource_id IS NOT NULL AND c.consumer_org_id IS NOT NULL AND c.grant_id IS NOT NULL"
    )
    op.drop_table("share_delivery_old")


def downgrade() -> None:
    op.drop_index("ix_share_delivery_resource_subject", table_name="share_delivery")
    op.drop_table("share_delivery")
    op.create_table(
        "share_delivery",
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_id", sa.String(length=18), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["share_call.id"], name=op.f("fk_share_delivery_call_id_share_call")),
        sa.PrimaryKeyConstraint("call_id", "subject_id", name=op.f("pk_share_delivery")),
    )
    op.create_index(op.f("ix_share_delivery_subject_id"), "share_delivery", ["subject_id"])
    with op.batch_alter_table("share_call", schema=None) as batch_op:
        batch_op.drop_column("audit_seq")

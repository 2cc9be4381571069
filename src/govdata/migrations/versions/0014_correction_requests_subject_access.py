"""correction requests (校核申请) and their steps

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govdata.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("reconciliation_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referred_at", govdata.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("referred_by_id", ID, nullable=True))
        batch_op.add_column(sa.Column("government_decision", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("government_decided_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("government_decided_on", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reconciliation_case_referred_by_id_app_user"), "app_user", ["referred_by_id"], ["id"]
        )

    op.create_table(
        "correction_request",
        sa.Column("requester_id", ID, nullable=False),
        sa.Column("subject_id", sa.String(length=18), nullable=False),
        sa.Column("resource_id", ID, nullable=False),
        sa.Column("pool_id", ID, nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.Enum("correct", "delete", name="correctionkind", native_enum=False, length=30),
                  nullable=False),
        sa.Column("field_name", sa.String(length=60), nullable=True),
        sa.Column("item_label", sa.String(length=100), nullable=True),
        sa.Column("current_value", sa.Text(), nullable=True),
        sa.Column("proposed_value", sa.Text(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("proof_shown", sa.Boolean(), nullable=False),
        sa.Column("filed_with", sa.Enum("department", "authority", name="filedwith", native_enum=False, length=30),
                  nullable=False),
        sa.Column(
            "state",
            sa.Enum("at_authority", "pending", "corrected", "deleted", "not_corrected", name="correctionstate",
                    native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("created_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("forward_due", sa.Date(), nullable=True),
        sa.Column("forwarded_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("forwarded_by_id", ID, nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("extended_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("extension_days", sa.Integer(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extension_approved_by", sa.String(length=100), nullable=True),
        sa.Column("extension_approved_on", sa.Date(), nullable=True),
        sa.Column("result_value", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_id", ID, nullable=True),
        sa.Column("answered_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("applied_batch_id", sa.BigInteger(), nullable=True),
        sa.Column("forward_flagged_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("overdue_flagged_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(["answered_by_id"], ["app_user.id"],
                                name=op.f("fk_correction_request_answered_by_id_app_user")),
        sa.ForeignKeyConstraint(["forwarded_by_id"], ["app_user.id"],
                                name=op.f("fk_correction_request_forwarded_by_id_app_user")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"],
                                name=op.f("fk_correction_request_org_id_organization")),
        sa.ForeignKeyConstraint(["pool_id"], ["pool.id"], name=op.f("fk_correction_request_pool_id_pool")),
        sa.ForeignKeyConstraint(["requester_id"], ["app_user.id"],
                                name=op.f("fk_correction_request_requester_id_app_user")),
        sa.ForeignKeyConstraint(["resource_id"], ["catalog_resource.id"],
                                name=op.f("fk_correction_request_resource_id_catalog_resource")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_request")),
    )  # fmt: skip
    with op.batch_alter_table("correction_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_correction_request_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_request_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_request_requester_id"), ["requester_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_request_state"), ["state"], unique=False)
        batch_op.create_index(
            "ix_correction_request_resource_state_subject", ["resource_id", "state", "subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("correction_request", schema=None) as batch_op:
        batch_op.drop_index("ix_correction_request_resource_state_subject")
        batch_op.drop_index(batch_op.f("ix_correction_request_state"))
        batch_op.drop_index(batch_op.f("ix_correction_request_requester_id"))
        batch_op.drop_index(batch_op.f("ix_correction_request_region_path"))
        batch_op.drop_index(batch_op.f("ix_correction_request_org_id"))
    op.drop_table("correction_request")
    with op.batch_alter_table("reconciliation_case", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reconciliation_case_referred_by_id_app_user"), type_="foreignkey")
        batch_op.drop_column("government_decided_on")
        batch_op.drop_column("government_decided_by")
        batch_op.drop_column("government_decision")
        batch_op.drop_column("referred_by_id")
        batch_op.drop_column("referred_at")

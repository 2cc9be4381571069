"""violations, rectification notices, spot checks, form items

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govdata.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "violation",
        sa.Column(
            "kind",
            sa.Enum(*_enum("ViolationKind"), name="violationkind", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(*_enum("ViolationState"), name="violationstate", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("object_type", sa.String(length=60), nullable=True),
        sa.Column("object_id", sa.String(length=60), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("detected_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("detected_by_id", _ID, nullable=True),
        sa.Column("closed_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_violation_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["detected_by_id"], ["app_user.id"], name=op.f("fk_violation_detected_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_violation_dedupe_key")),
    )
    for column in ("kind", "state", "org_id", "region_path", "occurred_on"):
        op.create_index(op.f(f"ix_violation_{column}"), "violation", [column])


def _enum(name: str) -> list[str]:
    """The values as they were when this revision was written (later revisions alter them explicitly)."""
    return {
        "ViolationKind": [
            "catalog_update_late",
            "catalog_review_late",
            "share_answer_late",
            "correction_late",
            "open_application_late",
            "open_correction_late",
            "refusal_without_basis",
            "duplicate_collection",
            "obtainable_by_sharing",
            "use_beyond_purpose",
            "pool_overdue",
            "other",
        ],
        "ViolationState": ["open", "notified", "rectified", "escalated", "dismissed"],
    }[name]


def downgrade() -> None:
    op.drop_table("violation")

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
    _create_notices()
    _create_checks()
    op.create_table(
        "form_item",
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("form_name", sa.String(length=200), nullable=False),
        sa.Column("item_name", sa.String(length=100), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", _ID, nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_form_item_org_id_organization")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_form_item_created_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_item")),
        sa.UniqueConstraint(
            "org_id", "form_name", "item_name", "subject_kind",
            name=op.f("uq_form_item_org_id_form_name_item_name_subject_kind"),
        ),
    )
    op.create_index(op.f("ix_form_item_org_id"), "form_item", ["org_id"])
    op.create_index(op.f("ix_form_item_region_path"), "form_item", ["region_path"])
    op.create_table(
        "job_run",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("started_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
    )
    op.create_index(op.f("ix_job_run_name"), "job_run", ["name"])
    op.create_index(op.f("ix_job_run_started_at"), "job_run", ["started_at"])


def _create_notices() -> None:
    op.create_table(
        "rectification_notice",
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("authority_org_id", _ID, nullable=True),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*_enum("NoticeState"), name="noticestate", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("issued_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", _ID, nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", _ID, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("escalated_to", sa.String(length=200), nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_rectification_notice_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["authority_org_id"],
            ["organization.id"],
            name=op.f("fk_rectification_notice_authority_org_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["app_user.id"], name=op.f("fk_rectification_notice_issued_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["app_user.id"], name=op.f("fk_rectification_notice_answered_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_notice")),
    )
    for column in ("org_id", "region_path", "state", "deadline"):
        op.create_index(op.f(f"ix_rectification_notice_{column}"), "rectification_notice", [column])
    op.create_table(
        "rectification_notice_violation",
        sa.Column("notice_id", _ID, nullable=False),
        sa.Column("violation_id", _ID, nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["rectification_notice.id"],
            name=op.f("fk_rectification_notice_violation_notice_id_rectification_notice"),
        ),
        sa.ForeignKeyConstraint(
            ["violation_id"],
            ["violation.id"],
            name=op.f("fk_rectification_notice_violation_violation_id_violation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_notice_violation")),
    )
    for column in ("notice_id", "violation_id"):
        op.create_index(
            op.f(f"ix_rectification_notice_violation_{column}"), "rectification_notice_violation", [column]
        )


def _create_checks() -> None:
    op.create_table(
        "spot_check",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("population", sa.String(length=30), nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("population_ids", sa.Text(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("drawn_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("drawn_by_id", _ID, nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["drawn_by_id"], ["app_user.id"], name=op.f("fk_spot_check_drawn_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check")),
    )
    op.create_index(op.f("ix_spot_check_region_path"), "spot_check", ["region_path"])
    op.create_table(
        "spot_check_finding",
        sa.Column("check_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("violation_id", _ID, nullable=True),
        sa.Column("recorded_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", _ID, nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["spot_check.id"], name=op.f("fk_spot_check_finding_check_id_spot_check")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_spot_check_finding_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["violation_id"], ["violation.id"], name=op.f("fk_spot_check_finding_violation_id_violation")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_spot_check_finding_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_finding")),
    )
    op.create_index(op.f("ix_spot_check_finding_check_id"), "spot_check_finding", ["check_id"])


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
        "NoticeState": ["issued", "answered", "returned", "accepted", "escalated"],
    }[name]


def downgrade() -> None:
    for table in (
        "job_run",
        "form_item",
        "spot_check_finding",
        "spot_check",
        "rectification_notice_violation",
        "rectification_notice",
        "violation",
    ):
        op.drop_table(table)

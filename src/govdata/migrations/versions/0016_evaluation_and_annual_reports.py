"""annual evaluation and annual reports

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govdata.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = govdata.db.UtcDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=30)


def upgrade() -> None:
    op.create_table(
        "evaluation_run",
        sa.Column("authority_org_id", _ID, nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state", _enum("evaluationstate", "draft", "published"), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("definitions", sa.Text(), nullable=False),
        sa.Column("computed_at", _TS, nullable=False),
        sa.Column("computed_by_id", _ID, nullable=True),
        sa.Column("published_at", _TS, nullable=True),
        sa.Column("published_by_id", _ID, nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_org_id"],
            ["organization.id"],
            name=op.f("fk_evaluation_run_authority_org_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["computed_by_id"], ["app_user.id"], name=op.f("fk_evaluation_run_computed_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["app_user.id"], name=op.f("fk_evaluation_run_published_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_run")),
        sa.UniqueConstraint("authority_org_id", "year", name=op.f("uq_evaluation_run_authority_org_id_year")),
    )
    for column in ("authority_org_id", "region_path"):
        op.create_index(op.f(f"ix_evaluation_run_{column}"), "evaluation_run", [column])

    op.create_table(
        "evaluation_score",
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("indicator", sa.String(length=60), nullable=False),
        sa.Column("numerator", sa.Float(), nullable=False),
        sa.Column("denominator", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("records", sa.Text(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["evaluation_run.id"], name=op.f("fk_evaluation_score_run_id_evaluation_run")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_evaluation_score_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_score")),
    )
    for column in ("run_id", "org_id"):
        op.create_index(op.f(f"ix_evaluation_score_{column}"), "evaluation_score", [column])

    op.create_table(
        "annual_report",
        sa.Column("kind", _enum("reportkind", "department", "authority"), nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state", _enum("reportstate", "draft", "submitted"), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("sections", sa.Text(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("submitted_at", _TS, nullable=True),
        sa.Column("submitted_by_id", _ID, nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_annual_report_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["app_user.id"], name=op.f("fk_annual_report_submitted_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annual_report")),
        sa.UniqueConstraint("kind", "org_id", "year", name=op.f("uq_annual_report_kind_org_id_year")),
    )
    for column in ("org_id", "region_path"):
        op.create_index(op.f(f"ix_annual_report_{column}"), "annual_report", [column])


def downgrade() -> None:
    for table in ("annual_report", "evaluation_score", "evaluation_run"):
        op.drop_table(table)

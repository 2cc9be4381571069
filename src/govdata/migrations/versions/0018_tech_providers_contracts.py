"""technical service providers and their contracts; backups

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-22 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govdata.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "provider_contract",
        sa.Column("provider_id", _ID, nullable=False),
        sa.Column("authority_id", _ID, nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("security_review_on", sa.Date(), nullable=True),
        sa.Column("security_review_by", sa.String(length=200), nullable=True),
        sa.Column("confidentiality_signed_on", sa.Date(), nullable=True),
        sa.Column(
            "state",
            sa.Enum("active", "ended", "closed", name="contractstate", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("ended_by_id", _ID, nullable=True),
        sa.Column("closed_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", _ID, nullable=True),
        sa.Column("created_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        _fk("provider_contract", "provider_id", "organization"),
        _fk("provider_contract", "authority_id", "organization"),
        _fk("provider_contract", "ended_by_id", "app_user"),
        _fk("provider_contract", "created_by_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_contract")),
        sa.UniqueConstraint("authority_id", "number", name=op.f("uq_provider_contract_authority_id_number")),
    )
    for column in ("provider_id", "authority_id", "region_path", "end_date", "state"):
        op.create_index(op.f(f"ix_provider_contract_{column}"), "provider_contract", [column])
    op.create_table(
        "provider_account",
        sa.Column("contract_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("created_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        _fk("provider_account", "contract_id", "provider_contract"),
        _fk("provider_account", "user_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_account")),
        sa.UniqueConstraint("user_id", name=op.f("uq_provider_account_user_id")),
    )
    op.create_index(op.f("ix_provider_account_contract_id"), "provider_account", ["contract_id"])
    op.create_table(
        "provider_destruction",
        sa.Column("contract_id", _ID, nullable=False),
        sa.Column("data_description", sa.Text(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "overwrite", "physical", "degauss", "crypto_erase",
                name="destructionmethod", native_enum=False, length=30,
            ),  # fmt: skip
            nullable=False,
        ),
        sa.Column("method_detail", sa.Text(), nullable=False),
        sa.Column("destroyed_on", sa.Date(), nullable=False),
        sa.Column("witnessed_by", sa.String(length=200), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("statement_signed_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_by_id", _ID, nullable=True),
        sa.Column("recorded_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        _fk("provider_destruction", "contract_id", "provider_contract"),
        _fk("provider_destruction", "recorded_by_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_destruction")),
        sa.UniqueConstraint("contract_id", name=op.f("uq_provider_destruction_contract_id")),
    )


def downgrade() -> None:
    op.drop_table("provider_destruction")
    op.drop_table("provider_account")
    op.drop_table("provider_contract")

"""IT projects and the data asset registry

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govdata.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IT projects and their catalogs (CAT-7), the data asset registry (DEV-1)
    op.create_table(
        "data_asset",
        sa.Column("asset_code", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("in_use", "suspended", "cancelled", name="assetstatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column(
            "value_grade",
            sa.Enum("high", "medium", "low", name="valuegrade", native_enum=False, length=30),
            nullable=True,
        ),
        sa.Column("appraised_value_yuan", sa.BigInteger(), nullable=True),
        sa.Column("value_basis", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("registered_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("registrar_name", sa.String(length=100), nullable=False),
        sa.Column("registrar_org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("updated_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_data_asset_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"], ["app_user.id"], name=op.f("fk_data_asset_registered_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["registrar_org_id"],
            ["organization.id"],
            name=op.f("fk_data_asset_registrar_org_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["catalog_resource.id"], name=op.f("fk_data_asset_resource_id_catalog_resource")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_asset")),
        sa.UniqueConstraint("asset_code", name=op.f("uq_data_asset_asset_code")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_data_asset_resource_id")),
    )
    with op.batch_alter_table("data_asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_asset_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_asset_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_asset_status"), ["status"], unique=False)

    op.create_table(
        "it_project",
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("region_path", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("budget_yuan", sa.BigInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("manager", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("systems", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "submitted",
                "returned",
                "approved",
                "building",
                "acceptance_requested",
                "accepted",
                "acceptance_refused",
                name="projectstate",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("submitted_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("decided_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("acceptance_requested_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("accepted_at", govdata.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("acceptance_comment", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"], ["app_user.id"], name=op.f("fk_it_project_accepted_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_it_project_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["app_user.id"], name=op.f("fk_it_project_decided_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_it_project_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_it_project")),
        sa.UniqueConstraint("code", name=op.f("uq_it_project_code")),
    )
    with op.batch_alter_table("it_project", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_it_project_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_it_project_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_it_project_state"), ["state"], unique=False)

    op.create_table(
        "data_asset_change",
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_data_asset_change_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["data_asset.id"], name=op.f("fk_data_asset_change_asset_id_data_asset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_asset_change")),
    )
    with op.batch_alter_table("data_asset_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_asset_change_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "it_project_entry",
        sa.Column("project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resource_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "role", sa.Enum("produce", "use", name="entryrole", native_enum=False, length=30), nullable=False
        ),
        sa.Column("system", sa.String(length=200), nullable=True),
        sa.Column("added_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("added_at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["app_user.id"], name=op.f("fk_it_project_entry_added_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["it_project.id"], name=op.f("fk_it_project_entry_project_id_it_project")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resource.id"],
            name=op.f("fk_it_project_entry_resource_id_catalog_resource"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_it_project_entry")),
        sa.UniqueConstraint(
            "project_id", "resource_id", name=op.f("uq_it_project_entry_project_id_resource_id")
        ),
    )
    with op.batch_alter_table("it_project_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_it_project_entry_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_it_project_entry_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "it_project_step",
        sa.Column("project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", govdata.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_it_project_step_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["it_project.id"], name=op.f("fk_it_project_step_project_id_it_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_it_project_step")),
    )
    with op.batch_alter_table("it_project_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_it_project_step_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("it_project_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_it_project_step_project_id"))

    op.drop_table("it_project_step")
    with op.batch_alter_table("it_project_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_it_project_entry_resource_id"))
        batch_op.drop_index(batch_op.f("ix_it_project_entry_project_id"))

    op.drop_table("it_project_entry")
    with op.batch_alter_table("data_asset_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_asset_change_asset_id"))

    op.drop_table("data_asset_change")
    with op.batch_alter_table("it_project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_it_project_state"))
        batch_op.drop_index(batch_op.f("ix_it_project_region_path"))
        batch_op.drop_index(batch_op.f("ix_it_project_org_id"))

    op.drop_table("it_project")
    with op.batch_alter_table("data_asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_asset_status"))
        batch_op.drop_index(batch_op.f("ix_data_asset_region_path"))
        batch_op.drop_index(batch_op.f("ix_data_asset_org_id"))

    op.drop_table("data_asset")

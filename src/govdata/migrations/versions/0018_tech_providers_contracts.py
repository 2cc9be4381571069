"""technical service providers and their contracts; backups

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-22 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import govdata.db  # noqa: F401

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

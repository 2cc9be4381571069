"""correction requests (校核申请) and their steps

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import govdata.db  # noqa: F401

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Annual evaluation and annual reports (SUP-2, SUP-3)."""

from __future__ import annotations

"""IT projects and their data-resource catalogs (CAT-7); the data asset registry (DEV-1)."""

from __future__ import annotations

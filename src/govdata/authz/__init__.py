"""Permissions are data: a role → permission table plus object checks (own department, own level and below)."""

from govdata.authz.core import (
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    can,
    in_jurisdiction,
    require,
    system_actor,
)

__all__ = [
    "ROLE_PERMISSIONS",
    "Actor",
    "Permission",
    "can",
    "in_jurisdiction",
    "require",
    "system_actor",
]

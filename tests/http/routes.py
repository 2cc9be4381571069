"""Every route the app serves, flattened: newer FastAPI keeps included routers as wrappers, not copies."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.routing import BaseRoute, Route


def all_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route, with included routers' prefixes applied."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            context = getattr(route, "include_context", None)
            if context is not None:
                walk(context.included_router.routes, prefix + context.prefix)
            elif isinstance(route, Route):
                for method in (route.methods or set()) - {"HEAD"}:
                    found.add((method, prefix + route.path))

    walk(app.routes, "")
    return found


_PARAM = re.compile(r"\{[^}]+\}")


def template(path: str, literals: dict[str, str] | None = None) -> str:
    """A path with every {parameter} (whatever its name or converter) written as {}, query dropped."""
    path = path.split("?")[0]
    for literal, placeholder in (literals or {}).items():
        path = path.replace(literal, placeholder)
    return _PARAM.sub("{}", path)

"""Malformed, oversized or hostile input to every write route: a 4xx with a Chinese message, and no change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from govdata.context import Ctx
from govdata.db import Base
from tests.http import helpers as h
from tests.http.test_permissions import CASES, Case
from tests.world import World

CALLERS = ("gongan_officer", "admin", "reviewer", "citizen", "minzheng_officer")
# A route no walked role may call (only an organisation's portal account applies for development) is driven with
# hostile input by its own tests (tests/opendata/test_development.py).
WRITE_CASES = [c for c in CASES if c.method in ("POST", "PUT", "DELETE") and c.ok & set(CALLERS)]
HOSTILE_TEXT = [
    "<script>alert('x')</script>",
    "正常文字<img src=x onerror=alert(1)>",
    "x'; DROP TABLE catalog_resource; --",
    "' OR '1'='1",
    "1 UNION SELECT password_hash FROM app_user",
]


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: the strongest possible 'nothing changed'."""
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(str, row)) for row in conn.execute(select(t)))
            for t in Base.metadata.sorted_tables
        }


def _caller(case: Case) -> str:
    for who in CALLERS:
        if who in case.ok:
            return who
    raise AssertionError(case)


def _string_paths(body: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(body, dict):
        return [p for k, v in body.items() for p in _string_paths(v, (*path, k))]
    if isinstance(body, list):
        return [p for i, v in enumerate(body) for p in _string_paths(v, (*path, i))]
    return [path] if isinstance(body, str) else []


def _replace(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def _free_text(path: tuple[Any, ...]) -> bool:
    """Enumerated or patterned fields reject anything unexpected anyway; free text is what the guard covers."""
    return path[-1] not in {
        "state",
        "kind",
        "decision",
        "role",
        "occurred_on",
        "field_name",
        "data_type",
        "identifier_kind",
        "username",
        "password",
        "classification",
        "update_cycle",
        "share_type",
        "open_type",
        "share_mode",
        "share_channels",
        "format_category",
    } and not (len(path) >= 2 and path[-2] == "share_channels")


@pytest.mark.parametrize("case", WRITE_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_write_route_refuses_bad_input_and_changes_nothing(
    client: TestClient, ctx: Ctx, world: World, engine: Engine, case: Case
) -> None:
    who = _caller(case)
    token = h.token_for(ctx, world, who)
    params = case.setup(ctx, world, who)
    ctx.session.commit()
    body = params.pop("body", case.body)
    path = case.path.format(**params)
    headers = h.auth(token)
    before = snapshot(engine)

    attempts: list[tuple[str, dict[str, Any]]] = [
        (
            "10 MB body",
            {
                "content": b"{" + b" " * (10 * 1024 * 1024) + b"}",
                "headers": {**headers, "content-type": "application/json"},
            },
        ),
    ]
    if body is not None:
        attempts.append(
            (
                "not JSON",
                {"content": b"{this is not json", "headers": {**headers, "content-type": "application/json"}},
            )
        )
        attempts.append(("JSON array", {"json": [1, 2, 3], "headers": headers}))
        attempts.append(("unknown field", {"json": {**body, "is_admin": True}, "headers": headers}))
        for field_path in _string_paths(body):
            attempts.append(
                (
                    f"wrong type at {field_path}",
                    {"json": _replace(body, field_path, {"$gt": ""}), "headers": headers},
                )
            )
            if _free_text(field_path):
                for text in HOSTILE_TEXT:
                    attempts.append(
                        (
                            f"hostile {text!r} at {field_path}",
                            {"json": _replace(body, field_path, text), "headers": headers},
                        )
                    )
    if "{id}" in case.path:
        attempts.append(
            ("non-numeric id", {"json": body, "headers": headers, "path": case.path.replace("{id}", "abc")})
        )
        attempts.append(
            ("unknown id", {"json": body, "headers": headers, "path": case.path.replace("{id}", "987654321")})
        )
    for label, kwargs in attempts:
        target = kwargs.pop("path", path)
        resp = client.request(case.method, target, **kwargs)
        assert 400 <= resp.status_code < 500, f"{label}: {resp.status_code} {resp.text[:200]}"
        message = resp.json()["error"]["message"]
        assert message and any("\u4e00" <= ch <= "\u9fff" for ch in message), f"{label}: {message}"
    assert snapshot(engine) == before

"""The baseline for bench/exchange_lookup.py: the same pool SELECT, served by the same application and server
stack (create_app, its middleware, uvicorn), with none of the platform's checks.

Started by the benchmark with `uvicorn --factory exchange_bare:create_app`; BENCH_TABLE and BENCH_ITEMS name
the pool table and the granted columns, GOVDATA_DATABASE_URL the database. The route is put first in the
router, so it pays no route matching: the difference to the platform's lookup is the checks themselves.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import text

from govdata.app import create_app as create_platform


def create_app() -> FastAPI:
    app = create_platform()
    engine = app.state.engine
    columns = ", ".join(["_row_id", "_subject_id", *os.environ["BENCH_ITEMS"].split(",")])
    statement = text(f"SELECT {columns} FROM {os.environ['BENCH_TABLE']} WHERE _subject_id = :s")

    def bare(subject: str) -> dict[str, object]:
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(statement, {"s": subject})]
        return {"rows": rows}

    app.add_api_route("/bare/{subject}", bare, methods=["GET"])
    app.router.routes.insert(0, app.router.routes.pop())
    return app

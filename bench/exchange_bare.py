"""The baseline for bench/exchange_lookup.py: the same pool SELECT behind FastAPI, with none of the checks.

Started by the benchmark with `uvicorn --factory exchange_bare:create_app`; BENCH_TABLE and BENCH_ITEMS name
the pool table and the granted columns, GOVDATA_DATABASE_URL the database (same engine settings as the app).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import text

from govdata.db import make_engine


def create_app() -> FastAPI:
    engine = make_engine(os.environ["GOVDATA_DATABASE_URL"])
    columns = ", ".join(["_row_id", "_subject_id", *os.environ["BENCH_ITEMS"].split(",")])
    statement = text(f"SELECT {columns} FROM {os.environ['BENCH_TABLE']} WHERE _subject_id = :s")
    app = FastAPI()

    @app.get("/bare/{subject}")
    def bare(subject: str) -> dict[str, object]:
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(statement, {"s": subject})]
        return {"rows": rows}

    @app.get("/docs")
    def ready() -> dict[str, str]:
        return {"ok": "ready"}

    return app

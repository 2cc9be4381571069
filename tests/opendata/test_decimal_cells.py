"""Decimals leave the portal as people write them (1200, 1200.5), not with the pool's ten places, on every path:
the Python writer, PostgreSQL's COPY, JSON, the preview and CKAN's datastore_search."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from fastapi.testclient import TestClient

from govdata.context import Ctx
from govdata.opendata import data
from govdata.opendata import service as open_service
from govdata.opendata.ckan_dicts import Site
from govdata.opendata.schemas import ListingIn, ReviewIn
from govdata.pool.models import LoadMode
from govdata.pool.service import load_file
from tests.http import helpers as h
from tests.http.test_catalog_pages import login
from tests.world import World

ITEMS = [
    {"name": "机构名称", "field_name": "org_name", "data_type": "string", "length": 100, "sensitivity": 1,
     "required": True},
    {"name": "月收费标准", "field_name": "fee", "data_type": "decimal", "sensitivity": 1},
    {"name": "床位数", "field_name": "beds", "data_type": "integer", "sensitivity": 1},
]  # fmt: skip
FEES = ["1200", "1200.50", "0", "-3.25", "", "0.0000001", "98765.4321"]
PLAIN = ["1200", "1200.5", "0", "-3.25", "", "0.0000001", "98765.4321"]


def fee_listing(ctx: Ctx, world: World, tmp_path: Path) -> int:
    res = h.published(ctx, world, "minzheng_officer", name="养老机构收费信息", items=ITEMS, open_type="unconditional",
                      grade=1,                      open_basis=None, share_type="unconditional", share_conditions=None, share_basis=None)  # fmt: skip
    ctx.session.commit()
    path = tmp_path / "fees.csv"
    lines = ["机构名称,月收费标准,床位数", *[f"养老院{n},{fee},{n * 10}" for n, fee in enumerate(FEES)]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_file(ctx, world.actor("minzheng_officer"), res.id, path, mode=LoadMode.REPLACE)
    officer = world.actor("minzheng_officer")
    body = {"resource_id": res.id, "title": "养老机构收费", "domain": "社会保障", "tags": ["养老"],
            "formats": ["csv", "json", "xlsx"],
            "items": [{"field_name": i["field_name"], "treatment": "keep"} for i in ITEMS]}  # fmt: skip
    listing = open_service.compile_listing(ctx, officer, ListingIn.model_validate(body))
    open_service.submit_listing(ctx, officer, listing.id)
    open_service.review_listing(
        ctx, world.actor("reviewer"), listing.id, ReviewIn(approve=True, comment="同意")
    )
    ctx.session.commit()
    return listing.id


def test_decimals_are_written_plainly_on_every_path(
    client: TestClient, ctx: Ctx, world: World, tmp_path: Path
) -> None:
    listing_id = fee_listing(ctx, world, tmp_path)
    listing = open_service.get_listing(ctx, listing_id)
    cols = data.columns(ctx, listing)
    fast = data.copy_sql(ctx, listing, cols)
    assert (fast is not None) == (ctx.session.get_bind().dialect.name == "postgresql")
    python = [row[cols.fields.index("fee")] for chunk in data.batches(ctx, listing, cols) for row in chunk]
    assert python == [p or None for p in PLAIN]
    login(client, "citizen")
    served = client.get(f"/open/datasets/{listing_id}/download/csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(served.split("\n", 1)[1])))
    assert sorted(r["fee"] for r in rows) == sorted(PLAIN)  # COPY on PostgreSQL, Python on SQLite
    doc = json.loads(client.get(f"/open/datasets/{listing_id}/download/json").content)
    assert [r["fee"] for r in doc["records"]] == [p or None for p in PLAIN]
    page = client.get(f"/open/datasets/{listing_id}").text
    assert "<td>1200.5</td>" in page and "1200.5000000000" not in page
    token = h.token_for(ctx, world, "citizen")
    ctx.session.commit()
    resource = Site.of(ctx, "http://testserver").uid("resource:csv", listing_id)
    found = client.get("/api/3/action/datastore_search", params={"resource_id": resource},
                       headers={"Authorization": token}).json()  # fmt: skip
    assert [r["fee"] for r in found["result"]["records"]] == [p or None for p in PLAIN]

"""Subject access (QUAL-4): the citizen's records across pools, the golden record, who accessed the data and
why, the copy to download, and filing a correction from the page — API and pages, with bad input refused."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

from govdata.context import Ctx
from tests.http import helpers as h
from tests.http.correction_cases import CITIZEN_ID, citizen_pool
from tests.http.test_catalog_pages import csrf, login
from tests.sharing.fixtures import credential, granted
from tests.world import World

PURPOSE = "低保对象身份核查"


def _looked_up(client: TestClient, ctx: Ctx, world: World) -> int:
    rid, _row = citizen_pool(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world)
    resp = client.get(
        f"/api/v1/exchange/{rid}/records/{CITIZEN_ID}", params={"purpose": PURPOSE}, headers=h.auth(key)
    )
    assert resp.status_code == 200, resp.text
    return rid


def test_api_records_accesses_and_filing(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = _looked_up(client, ctx, world)
    token = h.auth(h.token_for(ctx, world, "citizen"))
    ctx.session.commit()
    records = client.get("/api/v1/me/records", headers=token).json()
    assert len(records) == 1 and records[0]["resource_id"] == rid and not records[0]["under_verification"]
    values = {f["field_name"]: f["value"] for f in records[0]["fields"]}
    assert values["name"] == "赵六" and values["id_number"] == CITIZEN_ID
    accesses = client.get("/api/v1/me/accesses", headers=token).json()
    assert (
        accesses[0]["purpose"] == PURPOSE
        and accesses[0]["consumer"]
        and accesses[0]["operation"] == "按标识查询"
    )
    assert client.get("/api/v1/me/base-records", headers=token).status_code == 200

    body = {"resource_id": rid, "row_id": records[0]["row_id"], "field_name": "name", "proposed_value": "赵陆",
            "problem": "姓名有误"}  # fmt: skip
    filed = client.post("/api/v1/corrections", json=body, headers=token)
    assert filed.status_code == 201, filed.text
    assert filed.json()["due_date"] == "2026-11-27" and filed.json()["state"] == "pending"
    again = client.post("/api/v1/corrections", json=body, headers=token)
    assert again.status_code == 409 and "重复" in again.json()["error"]["message"]
    assert client.get("/api/v1/me/records", headers=token).json()[0]["under_verification"] is True
    for bad in (
        {**body, "row_id": 0},
        {**body, "kind": "burn"},
        {**body, "problem": ""},
        {**body, "row_id": 999999},
    ):
        resp = client.post("/api/v1/corrections", json=bad, headers=token)
        assert resp.status_code in (404, 422), resp.text
        assert resp.json()["error"]["message"]
    listed = client.get("/api/v1/corrections", headers=token).json()
    assert [r["id"] for r in listed] == [filed.json()["id"]]


def test_pages_and_downloads(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = _looked_up(client, ctx, world)
    login(client, "citizen")
    page = client.get("/me/data")
    assert page.status_code == 200
    assert "赵六" in page.text and PURPOSE in page.text and "申请更正" in page.text
    copy = json.loads(client.get("/me/data.json").content)
    assert copy["subject_id"] == CITIZEN_ID and copy["records"][0]["fields"]["name"] == "赵六"
    assert copy["accesses"][0]["purpose"] == PURPOSE
    rows = list(csv.reader(io.StringIO(client.get("/me/data.csv").content.decode("utf-8-sig"))))
    assert rows[0][0] == "目录条目代码" and any(r[6] == "赵六" for r in rows[1:])
    row_id = copy["records"][0]["row_id"]
    form = client.get(f"/me/data/request?resource_id={rid}&row_id={row_id}")
    assert form.status_code == 200 and "应当的值" in form.text
    token = csrf(client, "/me/data")
    posted = client.post("/me/corrections", data={"csrf_token": token, "resource_id": str(rid), "row_id": str(row_id),
                         "kind": "delete", "problem": "已迁出本地", "filed_with": "authority"},
                         follow_redirects=False)  # fmt: skip
    assert posted.status_code == 303, posted.text
    detail = client.get(posted.headers["location"])
    assert "2026-11-24" in detail.text and "待主管机构转交" in detail.text
    assert "核实中" in client.get("/me/data").text
    bad = client.post(
        "/me/corrections", data={"csrf_token": token, "resource_id": "x", "row_id": str(row_id)}
    )
    assert bad.status_code == 422
    assert client.get("/me/data/request?resource_id=99999&row_id=1").status_code == 404

"""The JSON API of projects and assets: the catalog with its checklist, refusals as 409 with what is missing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from govdata.context import Ctx
from tests.http import helpers as h
from tests.http.project_cases import project_body
from tests.world import World, entry_data


def test_project_api_flow(client: TestClient, ctx: Ctx, world: World) -> None:
    officer = h.auth(h.token_for(ctx, world, "gongan_officer"))
    reviewer = h.auth(h.token_for(ctx, world, "reviewer"))
    admin = h.auth(h.token_for(ctx, world, "admin"))
    ctx.session.commit()
    made = client.post("/api/v1/projects", json=project_body("api"), headers=officer)
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    assert made.json()["budget_wan"] == "560.25" and made.json()["catalog"] == []
    client.post(f"/api/v1/projects/{pid}/submit", headers=officer)
    refused = client.post(f"/api/v1/projects/{pid}/approve", headers=reviewer)
    assert refused.status_code == 409 and "尚未编制项目政务数据资源目录" in refused.json()["error"]["message"]
    client.post(f"/api/v1/projects/{pid}/return", json={"comment": "请编制目录"}, headers=reviewer)
    new = client.post(
        f"/api/v1/projects/{pid}/entries/new",
        json={"entry": entry_data(name="项目新编条目"), "role": "produce", "system": "人口信息采集系统"},
        headers=officer,
    )
    assert new.status_code == 201, new.text
    line = new.json()["catalog"][0]
    assert line["version_state"] == "draft" and "目录条目尚未发布" in line["problems"]
    client.post(f"/api/v1/projects/{pid}/submit", headers=officer)
    ok = client.post(f"/api/v1/projects/{pid}/approve", json={"comment": "同意"}, headers=reviewer)
    assert ok.status_code == 200 and ok.json()["state"] == "approved"
    gone = client.delete(f"/api/v1/projects/{pid}/entries/{line['resource_id']}", headers=officer)
    assert gone.status_code == 409 and "不能移出" in gone.json()["error"]["message"]
    client.post(f"/api/v1/projects/{pid}/start", headers=officer)
    client.post(f"/api/v1/projects/{pid}/request-acceptance", headers=officer)
    accept = client.post(f"/api/v1/projects/{pid}/accept", headers=reviewer)
    body = accept.json()["error"]
    assert accept.status_code == 409 and body["details"]["missing"][0]["code"] == line["code"]
    detail = client.get(f"/api/v1/projects/{pid}", headers=reviewer).json()
    assert [s["action"] for s in detail["steps"]][-1] == "request_acceptance" and not detail[
        "acceptance_ready"
    ]
    # The asset registry over the API.
    res = h.published(ctx, world)
    ctx.session.commit()
    assert [c["resource_id"] for c in client.get("/api/v1/assets/candidates", headers=admin).json()] == [
        res.id
    ]
    asset = client.post("/api/v1/assets", json={"resource_id": res.id}, headers=admin).json()
    patched = client.patch(
        f"/api/v1/assets/{asset['id']}", json={"appraised_value_wan": "12.5", "value_basis": "成本法",
                                               "reason": "评估"}, headers=admin,
    )  # fmt: skip
    assert patched.status_code == 200 and patched.json()["appraised_value_wan"] == "12.5"
    assert {c["field"] for c in patched.json()["changes"]} == {"appraised_value_wan", "value_basis"}
    bad = client.patch(f"/api/v1/assets/{asset['id']}", json={"appraised_value_wan": "1e999", "reason": "x评估"},
                       headers=admin)  # fmt: skip
    assert bad.status_code == 422 and "评估价值" in bad.json()["error"]["message"]

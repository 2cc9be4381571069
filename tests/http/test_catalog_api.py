"""The catalog through the JSON API, as a department system and the authority's tools would use it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from govdata.context import Ctx
from tests.http import helpers as h
from tests.world import PASSWORD, World, entry_data


def _tokens(ctx: Ctx, world: World, *names: str) -> dict[str, dict[str, str]]:
    tokens = {n: h.auth(h.token_for(ctx, world, n)) for n in names}
    ctx.session.commit()
    return tokens


def test_compile_review_publish_and_version_through_the_api(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    t = _tokens(ctx, world, "gongan_officer", "reviewer", "minzheng_officer")
    created = client.post("/api/v1/catalog/entries", json=entry_data(), headers=t["gongan_officer"])
    assert created.status_code == 201, created.text
    entry = created.json()
    rid = entry["id"]
    assert entry["version"]["state"] == "draft" and len(entry["version"]["items"]) == 4
    # Another department cannot find or open the draft.
    assert client.get(f"/api/v1/catalog/entries/{rid}", headers=t["minzheng_officer"]).status_code == 404
    found = client.get("/api/v1/catalog/entries", params={"q": "人口"}, headers=t["minzheng_officer"]).json()
    assert found["total"] == 0
    assert (
        client.get("/api/v1/catalog/entries", params={"q": "人口"}, headers=t["gongan_officer"]).json()[
            "total"
        ]
        == 1
    )

    submitted = client.post(f"/api/v1/catalog/entries/{rid}/submit", headers=t["gongan_officer"]).json()
    assert submitted["version"]["review_due"] == "2026-11-27"
    queue = client.get("/api/v1/catalog/review-queue", headers=t["reviewer"]).json()
    assert [row["resource_id"] for row in queue] == [rid]
    work = client.get("/api/v1/me/work", headers=t["reviewer"]).json()
    assert work[0]["kind"] == "目录待审核" and "2026-11-27" in work[0]["due"]["label"]

    returned = client.post(
        f"/api/v1/catalog/entries/{rid}/review",
        json={"decision": "return", "comment": "请写明条款"},
        headers=t["reviewer"],
    ).json()
    assert (
        returned["version"]["state"] == "returned" and returned["version"]["review_comment"] == "请写明条款"
    )
    client.put(
        f"/api/v1/catalog/entries/{rid}", json=entry_data(summary="补充了条款"), headers=t["gongan_officer"]
    )
    client.post(f"/api/v1/catalog/entries/{rid}/submit", headers=t["gongan_officer"])
    approved = client.post(
        f"/api/v1/catalog/entries/{rid}/review", json={"decision": "approve"}, headers=t["reviewer"]
    ).json()
    assert approved["version"]["state"] == "published"
    assert (
        client.get("/api/v1/catalog/entries", params={"q": "户籍"}, headers=t["minzheng_officer"]).json()[
            "total"
        ]
        == 1
    )

    # A change to the published entry is a new version; the old one stays and can be compared.
    changed = client.put(
        f"/api/v1/catalog/entries/{rid}",
        json=entry_data(name="户籍人口基本信息（含迁移）", change_reason="增加迁移记录"),
        headers=t["gongan_officer"],
    ).json()
    assert changed["head_version_number"] == 2 and changed["published_version_number"] == 1
    other_view = client.get(f"/api/v1/catalog/entries/{rid}", headers=t["minzheng_officer"]).json()
    assert other_view["version"]["number"] == 1
    diff = client.get(
        f"/api/v1/catalog/entries/{rid}/compare?from=1&to=2", headers=t["gongan_officer"]
    ).json()
    assert diff["fields"][0]["field"] == "资源名称"


def test_errors_are_json_with_a_chinese_message(client: TestClient, ctx: Ctx, world: World) -> None:
    t = _tokens(ctx, world, "gongan_officer")
    bad = client.post(
        "/api/v1/catalog/entries", json=entry_data(share_basis=None), headers=t["gongan_officer"]
    )
    assert bad.status_code == 422
    assert "法律法规或政策依据" in bad.json()["error"]["message"]
    missing = client.post("/api/v1/catalog/entries", json={"name": "x"}, headers=t["gongan_officer"])
    assert missing.status_code == 422 and "必须填写" in missing.json()["error"]["message"]
    assert (
        client.get("/api/v1/catalog/entries/999999", headers=t["gongan_officer"]).json()["error"]["code"]
        == "not_found"
    )
    assert (
        client.get("/api/v1/catalog/entries", params={"size": 1000}, headers=t["gongan_officer"]).status_code
        == 422
    )
    unauth = client.get("/api/v1/catalog/entries")
    assert unauth.status_code == 401 and "令牌" in unauth.json()["error"]["message"]


def test_password_login_for_a_token_and_lockout(client: TestClient, world: World) -> None:
    ok = client.post(
        "/api/v1/auth/token", json={"username": "gongan_officer", "password": PASSWORD, "name": "脚本"}
    )
    assert ok.status_code == 201 and ok.json()["token"].startswith("gd_")
    me = client.get("/api/v1/me", headers=h.auth(ok.json()["token"])).json()
    assert me["org_name"] == "四川省公安厅"
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"username": "minzheng_officer", "password": "wrong"})
    locked = client.post("/api/v1/auth/token", json={"username": "minzheng_officer", "password": PASSWORD})
    assert locked.status_code == 401 and "锁定" in locked.json()["error"]["message"]


def test_browser_session_calls_need_the_csrf_header(client: TestClient, world: World) -> None:
    login = client.post(
        "/login", data={"username": "gongan_officer", "password": PASSWORD}, follow_redirects=False
    )
    assert login.status_code == 303
    assert client.get("/api/v1/me").status_code == 200  # reads with the cookie are fine
    refused = client.post("/api/v1/catalog/entries", json=entry_data())
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]


def test_calendar_and_profile_endpoints(client: TestClient, ctx: Ctx, world: World) -> None:
    t = _tokens(ctx, world, "gongan_officer")
    due = client.get(
        "/api/v1/calendar/add-workdays", params={"date": "2026-09-30", "n": 5}, headers=t["gongan_officer"]
    )
    assert due.json()["due"] == "2026-10-13"
    missing = client.get(
        "/api/v1/calendar/add-workdays", params={"date": "2027-05-01", "n": 5}, headers=t["gongan_officer"]
    )
    assert missing.status_code == 422 and "2027" in missing.json()["error"]["message"]
    profile = client.get("/api/v1/profile", headers=t["gongan_officer"]).json()
    assert profile["time_limits"]["share_answer"]["days"] == 7  # Aba: AB25


def test_api_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/catalog/entries" in spec["paths"]


def test_the_transaction_commits_before_the_response_is_sent() -> None:
    """A browser following a redirect at once must find the change (it once raced the session's commit)."""
    from govdata.web_support import CtxDep

    assert CtxDep.__metadata__[0].scope == "function"


def test_an_id_past_the_databases_range_is_bad_input_not_a_crash(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    """PostgreSQL refuses a bigint past 2^63 and sqlite3 overflows: both answer 422 with a message."""
    token = h.token_for(ctx, world, "admin")
    ctx.session.commit()
    for path in ("/api/v1/catalog/entries/99999999999999999999", "/api/v1/catalog/entries/9223372036854775808"):
        resp = client.get(path, headers=h.auth(token))
        assert resp.status_code == 422 and resp.json()["error"]["message"] == "编号或数值超出允许范围"
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    page = client.get("/catalog/99999999999999999999")
    assert page.status_code == 422 and "编号或数值超出允许范围" in page.text

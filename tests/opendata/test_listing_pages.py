"""Staff pages of open listings: compile with item treatments, refused forms kept, review, suspend."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata.context import Ctx
from govdata.opendata.models import ListingState, OpenListing
from tests.http.test_catalog_pages import csrf, login, text
from tests.opendata.fixtures import open_population
from tests.world import World


def _form(token: str, **overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": token,
        "title": "户籍人口（脱敏）",
        "domain": "公共安全",
        "summary": "脱敏后的户籍人口信息",
        "open_type": "unconditional",
        "update_cycle": "monthly",
        "tags": "人口，户籍",
        "formats": ["csv", "json"],
        "treatment-id_number": "mask",
        "rule-id_number": "id_number",
        "treatment-name": "mask",
        "rule-name": "name",
        "treatment-birth_date": "generalise",
        "rule-birth_date": "year_only",
        "treatment-address": "remove",
        "rule-address": "none",
    }
    form.update(overrides)
    return form


def test_department_compiles_and_authority_publishes(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = open_population(ctx, world)
    login(client, "gongan_officer")
    manage = text(client.get("/open/manage"))
    assert "可编入开放清单的目录条目" in manage and f"resource_id={rid}" in manage
    page = text(client.get(f"/open/manage/listings/new?resource_id={rid}"))
    assert "⚠" in page and 'value="id_number" selected' in page  # the safe default is proposed
    token = csrf(client, "/open/manage")
    bad = client.post(
        f"/open/manage/listings/new?resource_id={rid}", data=_form(token, **{"treatment-id_number": "keep"})
    )
    assert (
        bad.status_code == 422
        and "须脱敏、泛化或去除" in text(bad)
        and 'value="户籍人口（脱敏）"' in text(bad)
    )
    assert ctx.session.scalar(select(OpenListing.id)) is None
    ok = client.post(
        f"/open/manage/listings/new?resource_id={rid}", data=_form(token), follow_redirects=False
    )
    assert ok.status_code == 303
    listing_id = int(ok.headers["location"].split("/")[-1].split("?")[0])
    resp = client.post(
        f"/open/manage/listings/{listing_id}/submit", data={"csrf_token": token}, follow_redirects=False
    )
    assert resp.status_code == 303
    client.cookies.clear()
    login(client, "reviewer")
    assert "户籍人口（脱敏）" in text(client.get("/open/manage"))
    token = csrf(client, "/open/manage")
    back = client.post(
        f"/open/manage/listings/{listing_id}/review",
        data={"csrf_token": token, "decision": "return", "comment": ""},
    )
    assert back.status_code == 422 and "退回时须写明审核意见" in text(back)
    client.post(
        f"/open/manage/listings/{listing_id}/review",
        data={"csrf_token": token, "decision": "approve", "comment": "同意"},
    )
    ctx.session.expire_all()
    listing = ctx.session.get(OpenListing, listing_id)
    assert listing.state == ListingState.PUBLISHED and listing.formats == "csv,json"
    assert [i.treatment.value for i in listing.items] == ["mask", "mask", "generalise", "remove"]
    assert "户籍人口（脱敏）" in text(client.get("/open/datasets?q=户籍"))
    missing = client.post(
        f"/open/manage/listings/{listing_id}/suspend", data={"csrf_token": token, "reason": ""}
    )
    assert missing.status_code == 422 and "须写明理由" in text(missing)
    client.post(
        f"/open/manage/listings/{listing_id}/suspend", data={"csrf_token": token, "reason": "发现数据有误"}
    )
    ctx.session.expire_all()
    assert ctx.session.get(OpenListing, listing_id).state == ListingState.SUSPENDED

"""我的待办 gathers what waits in the exchange and on the open side, with due dates, beside the catalog's work."""

from __future__ import annotations

from fastapi.testclient import TestClient

from govdata.context import Ctx
from govdata.opendata import feedback
from govdata.opendata import service as open_service
from govdata.opendata.schemas import ListingIn
from govdata.sharing import service as sharing
from govdata.sharing.schemas import ShareRequestIn
from tests.http import helpers as h
from tests.http.test_catalog_pages import login
from tests.opendata.fixtures import listing_body, open_population, published_listing
from tests.opendata.test_applications import submit
from tests.sharing.fixtures import request_body
from tests.world import World


def test_share_requests_open_applications_and_listing_reviews_are_on_the_work_list(
    ctx: Ctx, world: World, client: TestClient
) -> None:
    conditional = published_listing(ctx, world, "conditional")  # 公安's population entry, open on conditions
    application = submit(ctx, world, conditional)
    correction = feedback.submit_correction(
        ctx, world.actor("citizen"), feedback.CorrectionIn(listing_id=conditional.id, content="更新频率应为每月")
    )
    other = h.published(ctx, world, name="户籍迁移登记信息")
    request = sharing.submit_request(
        ctx, world.actor("minzheng_officer"), ShareRequestIn.model_validate(request_body(other.id))
    )
    officer = world.actor("gongan_officer")
    entry = open_population(ctx, world, name="出生登记信息")
    waiting = open_service.compile_listing(
        ctx, officer, ListingIn.model_validate(listing_body(entry, title="出生登记（脱敏）"))
    )
    open_service.submit_listing(ctx, officer, waiting.id)
    ctx.session.commit()

    login(client, "gongan_officer")
    page = client.get("/").text
    assert "共享申请待答复" in page and f"/sharing/requests/{request.id}" in page
    assert request.due_date is not None and request.due_date.isoformat() in page
    assert "开放申请待答复" in page and f"/open/applications/{application.id}" in page
    assert application.due_date is not None and application.due_date.isoformat() in page
    assert "开放目录纠错待答复" in page and f"/open/corrections/{correction.id}" in page
    assert "开放清单待审核" not in page  # the department compiles; the authority reviews
    client.cookies.clear()
    login(client, "reviewer")
    page = client.get("/").text
    assert "开放清单待审核" in page and f"/open/manage/listings/{waiting.id}" in page
    assert "共享申请待答复" not in page and "开放申请待答复" not in page

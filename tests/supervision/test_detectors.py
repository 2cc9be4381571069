"""The other detectors over real records: late catalog updates and reviews, pools past their cycle, exchange
calls outside a grant's purpose, duplicate collection after a designation."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata.catalog import changes
from govdata.catalog.models import TriggerKind
from govdata.catalog.schemas import TriggerIn
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.supervision import detect
from govdata.supervision.models import Violation, ViolationKind
from tests.http import helpers as h
from tests.sharing.fixtures import PEOPLE, credential, granted, population
from tests.world import World


def _kinds(ctx: Ctx) -> dict[ViolationKind, list[Violation]]:
    found: dict[ViolationKind, list[Violation]] = {}
    for v in ctx.session.scalars(select(Violation).order_by(Violation.id)):
        found.setdefault(v.kind, []).append(v)
    return found


def test_late_review_and_late_trigger_update(ctx: Ctx, world: World, clock: FixedClock) -> None:
    h.submitted(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    res = h.published(ctx, world)
    changes.record_trigger(
        ctx,
        world.actor("gongan_officer"),
        res.id,
        TriggerIn(kind=TriggerKind.LAW, description="户籍管理条例修订", occurred_on=dt.date(2026, 11, 19)),
    )
    assert detect.detect_all(ctx)["catalog"] == 0  # nothing late yet
    clock.set(dt.datetime(2026, 12, 28, 10, 0, tzinfo=CHINA_TZ))
    detect.detect_all(ctx)
    kinds = _kinds(ctx)
    (review,) = kinds[ViolationKind.CATALOG_REVIEW_LATE]
    assert review.org_id == world.orgs["prov_auth"].id  # the reviewing authority's
    (update,) = kinds[ViolationKind.CATALOG_UPDATE_LATE]
    assert update.org_id == world.orgs["gongan"].id and update.object_id == str(res.id)
    assert detect.detect_all(ctx)["catalog"] == 0


def test_pool_past_its_cycle(ctx: Ctx, world: World, clock: FixedClock) -> None:
    population(ctx, world)  # a daily entry, loaded today
    assert detect.detect_all(ctx)["pool"] == 0
    clock.set(dt.datetime(2026, 11, 25, 10, 0, tzinfo=CHINA_TZ))
    assert detect.detect_all(ctx)["pool"] == 1
    (v,) = _kinds(ctx)[ViolationKind.POOL_OVERDUE]
    assert v.org_id == world.orgs["gongan"].id


def test_call_outside_the_grants_purpose(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = population(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world)
    url = f"/api/v1/exchange/{rid}/records/{PEOPLE[0][0]}"
    for _ in range(2):
        wrong = client.get(url, params={"purpose": "招商引资"}, headers={"Authorization": f"Bearer {key}"})
        assert wrong.status_code == 403
    client.app.state.exchange.log.close()  # type: ignore[attr-defined]
    ctx.session.expire_all()
    assert detect.detect_all(ctx)["purpose"] == 1  # one per department, entry and purpose
    (v,) = _kinds(ctx)[ViolationKind.USE_BEYOND_PURPOSE]
    assert v.org_id == world.orgs["minzheng"].id and "招商引资" in v.summary


def test_duplicate_collection_after_designation(ctx: Ctx, world: World) -> None:
    from govdata.catalog.item_sources import designate_item_source
    from govdata.catalog.models import IdentifierKind

    people = h.published(ctx, world)
    h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    assert detect.detect_all(ctx)["duplicate"] == 0  # no source designated yet
    designate_item_source(
        ctx, world.actor("admin"), "姓名", IdentifierKind.PERSON, people.id, "户籍登记由公安采集"
    )
    assert detect.detect_all(ctx)["duplicate"] == 1
    (v,) = _kinds(ctx)[ViolationKind.DUPLICATE_COLLECTION]
    assert v.org_id == world.orgs["minzheng"].id and "姓名" in v.summary


def test_late_open_listing_review(ctx: Ctx, world: World, clock: FixedClock) -> None:
    """Charged to the reviewing authority; one violation per submission, also once the review is done late."""
    from govdata.opendata import service
    from govdata.opendata.schemas import ListingIn, ReviewIn
    from tests.opendata.fixtures import listing_body, open_population

    officer = world.actor("gongan_officer")
    listing = service.compile_listing(
        ctx, officer, ListingIn.model_validate(listing_body(open_population(ctx, world)))
    )
    service.submit_listing(ctx, officer, listing.id)
    due = listing.review_due
    assert due is not None and detect.detect_all(ctx)["open_review"] == 0
    clock.set(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(10), tzinfo=CHINA_TZ))
    assert detect.detect_all(ctx)["open_review"] == 1
    (v,) = _kinds(ctx)[ViolationKind.OPEN_REVIEW_LATE]
    assert (
        v.org_id == world.orgs["prov_auth"].id
        and v.object_id == str(listing.id)
        and due.isoformat() in v.summary
    )
    service.review_listing(ctx, world.actor("reviewer"), listing.id, ReviewIn(approve=True, comment="同意"))
    assert listing.review_due == due  # kept after the review, for the record
    assert detect.detect_all(ctx)["open_review"] == 0  # the same late review, already on record


def test_open_listing_reviewed_in_time_is_no_violation(ctx: Ctx, world: World, clock: FixedClock) -> None:
    from tests.opendata.fixtures import published_listing

    listing = published_listing(ctx, world)
    clock.set(dt.datetime(2027, 3, 1, 10, 0, tzinfo=CHINA_TZ))
    assert listing.review_due is not None and detect.detect_all(ctx)["open_review"] == 0

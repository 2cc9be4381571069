"""Open listings: compile from own published entries, de-identification required, review, publish, suspend."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import data, search, service
from govdata.opendata.models import ListingState, ListingStep, OpenListing
from govdata.opendata.schemas import ListingIn, ReviewIn
from tests.opendata.fixtures import PEOPLE, listing_body, open_population, published_listing
from tests.world import World


def _compile(ctx: Ctx, world: World, resource_id: int, **overrides: object) -> OpenListing:
    body = ListingIn.model_validate(listing_body(resource_id, **overrides))
    return service.compile_listing(ctx, world.actor("gongan_officer"), body)


def test_personal_items_open_only_deidentified(ctx: Ctx, world: World) -> None:
    rid = open_population(ctx, world)
    items = [
        {"field_name": "id_number", "treatment": "keep"},
        {"field_name": "name", "treatment": "mask", "rule": "name"},
    ]
    with pytest.raises(InvalidInput, match=r"公民身份号码.*须脱敏、泛化或去除"):
        _compile(ctx, world, rid, items=items)
    with pytest.raises(InvalidInput, match="须选用规则"):
        _compile(
            ctx, world, rid, items=[{"field_name": "address", "treatment": "generalise", "rule": "name"}]
        )
    assert ctx.session.scalar(select(OpenListing.id)) is None  # nothing half written


def test_items_not_listed_are_recorded_as_removed(ctx: Ctx, world: World) -> None:
    rid = open_population(ctx, world)
    listing = _compile(ctx, world, rid, items=[{"field_name": "name", "treatment": "mask", "rule": "name"}])
    treatments = {i.field_name: i.treatment.value for i in listing.items}
    assert treatments == {"id_number": "remove", "name": "mask", "birth_date": "remove", "address": "remove"}


def test_only_own_entries_and_not_wider_than_the_catalog(ctx: Ctx, world: World) -> None:
    rid = open_population(ctx, world, "conditional")
    with pytest.raises(Forbidden):
        service.compile_listing(
            ctx, world.actor("minzheng_officer"), ListingIn.model_validate(listing_body(rid))
        )
    with pytest.raises(InvalidInput, match="不得宽于目录"):
        _compile(ctx, world, rid, open_type="unconditional")
    listing = _compile(ctx, world, rid)
    assert listing.open_type.value == "conditional" and listing.basis and listing.conditions
    with pytest.raises(Conflict, match="已编入开放清单"):
        _compile(ctx, world, rid)


def test_review_publishes_and_search_finds_chinese(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    assert listing.state == ListingState.PUBLISHED and listing.published_at is not None
    steps = ctx.session.scalars(
        select(ListingStep.to_state).where(ListingStep.listing_id == listing.id)
    ).all()
    assert list(steps) == ["draft", "submitted", "published"]
    for q, hits in (("户籍", 1), ("人口 脱敏", 1), ("户人", 0), ("公安厅", 1), ("交通", 0)):
        assert search.search(ctx.session, search.Query(q=q)).total == hits, q
    result = search.search(ctx.session, search.Query(q="人口", formats=["json"]))
    assert dict(result.facets["open_type"]) == {"unconditional": 1}
    assert dict(result.facets["format"]) == {"csv": 1, "xlsx": 1, "json": 1}


def test_return_needs_a_comment_and_only_the_level_reviews(ctx: Ctx, world: World) -> None:
    listing = _compile(ctx, world, open_population(ctx, world))
    service.submit_listing(ctx, world.actor("gongan_officer"), listing.id)
    with pytest.raises(Forbidden):
        service.review_listing(ctx, world.actor("city_reviewer"), listing.id, ReviewIn(approve=True))
    with pytest.raises(InvalidInput, match="审核意见"):
        service.review_listing(ctx, world.actor("reviewer"), listing.id, ReviewIn(approve=False))
    service.review_listing(
        ctx, world.actor("reviewer"), listing.id, ReviewIn(approve=False, comment="摘要过简")
    )
    assert listing.state == ListingState.RETURNED
    assert search.search(ctx.session, search.Query(q="户籍")).total == 0


def test_rows_leave_deidentified_with_source_and_date(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    cols, rows = data.preview(ctx, listing)
    assert cols.fields == ["id_number", "name", "birth_date", "address"]
    assert len(rows) == len(PEOPLE)
    first = dict(zip(cols.fields, rows[0], strict=True))
    assert first["name"] == "张*" and first["id_number"].startswith("513221") and "*" in first["id_number"]
    assert first["birth_date"] == "1980年" and first["address"].endswith("****")
    cite = data.citation(ctx, listing, "http://portal.test")
    body = b"".join(
        b for b, _ in data.csv_payload(cols, cite, data.batches(ctx, listing, cols)).chunks()
    ).decode("utf-8-sig")
    lines = body.splitlines()
    assert (
        lines[0].startswith("# 数据来源：四川省公安厅《户籍人口基本信息（脱敏）》")
        and "获取日期：2026-11-20" in lines[0]
    )
    parsed = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    assert [p["name"] for p in parsed] == ["张*", "李*", "王*"]
    doc = json.loads(
        b"".join(b for b, _ in data.json_payload(cols, cite, data.batches(ctx, listing, cols)).chunks())
    )
    assert (
        doc["retrieved"] == "2026-11-20" and len(doc["records"]) == 3 and doc["records"][1]["name"] == "李*"
    )


def test_suspend_stops_data_and_restore_brings_it_back(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    with pytest.raises(Forbidden):
        service.suspend_listing(ctx, world.actor("minzheng_officer"), listing.id, "数据有误")
    service.suspend_listing(ctx, world.actor("gongan_officer"), listing.id, "发现含有未脱敏信息，正在核查")
    with pytest.raises(Forbidden, match="暂停开放"):
        service.require_usable(listing)
    with pytest.raises(InvalidTransition):
        service.suspend_listing(ctx, world.actor("reviewer"), listing.id, "再次暂停")
    service.restore_listing(ctx, world.actor("reviewer"), listing.id, "核查无误")
    service.require_usable(listing)
    service.withdraw_listing(ctx, world.actor("gongan_officer"), listing.id, "数据不再更新")
    with pytest.raises(NotFound):
        service.require_usable(listing)
    assert search.search(ctx.session, search.Query(q="户籍")).total == 0


def test_a_filtered_facet_still_counts_its_alternatives(ctx: Ctx, world: World) -> None:
    published_listing(ctx, world)  # csv, xlsx, json · 公共安全
    other = published_listing(ctx, world, formats=["csv"], domain="社会保障", title="户籍人口年度统计")
    assert other.formats == "csv"
    everything = search.search(ctx.session, search.Query(q="户籍"))
    assert everything.total == 2
    assert dict(everything.facets["format"]) == {"csv": 2, "xlsx": 1, "json": 1}
    chosen = search.search(ctx.session, search.Query(q="户籍", domains=["社会保障"]))
    assert chosen.total == 1 and [x.id for x in chosen.listings] == [other.id]
    assert dict(chosen.facets["domain"]) == {"公共安全": 1, "社会保障": 1}  # its own filter left out
    assert dict(chosen.facets["format"]) == {"csv": 1}  # the others follow the filter


def test_cached_answers_last_only_until_a_listing_changes_state(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    cache = search.ResultCache()
    query = search.Query(q="户籍")
    assert search.search(ctx.session, query, cache=cache).total == 1
    search.unindex(ctx.session, listing.id)  # behind the use cases' back: no step, so the answer is reused
    again = search.search(ctx.session, query, cache=cache)
    assert again.total == 1 and [x.id for x in again.listings] == [listing.id]
    assert search.search(ctx.session, query).total == 0  # uncached, the database says otherwise
    service.suspend_listing(
        ctx, world.actor("gongan_officer"), listing.id, "核查"
    )  # a step: a new generation
    assert search.search(ctx.session, query, cache=cache).total == 0

"""Facet counts from the per-process cube of facet groups equal the database's; CKAN fq answers are cached
under their values, never under another filter's."""

from __future__ import annotations

from sqlalchemy import select

from govdata.catalog.models import OpenType, UpdateCycle
from govdata.context import Ctx
from govdata.opendata import search, service
from govdata.opendata.models import OpenListing
from tests.opendata.fixtures import published_listing
from tests.world import World

QUERIES = [
    search.Query(),
    search.Query(domains=["社会保障"]),
    search.Query(formats=["json"]),
    search.Query(formats=["csv", "json"], domains=["公共安全"]),
    search.Query(open_types=[OpenType.UNCONDITIONAL]),
    search.Query(update_cycles=[UpdateCycle.MONTHLY]),
    search.Query(update_cycles=[UpdateCycle.DAILY, UpdateCycle.MONTHLY], formats=["xlsx"]),
    search.Query(region_path="/no-such-region/"),
    search.Query(sort="title", offset=1, limit=1),
]


def three_listings(ctx: Ctx, world: World) -> list[OpenListing]:
    return [
        published_listing(ctx, world),  # csv, xlsx, json · 公共安全
        published_listing(ctx, world, formats=["csv"], domain="社会保障", title="户籍人口年度统计"),
        published_listing(ctx, world, formats=["json", "xlsx"], domain="社会保障", title="人口变动情况"),
    ]


def same(a: search.Result, b: search.Result) -> bool:
    return (
        a.total == b.total
        and [x.id for x in a.listings] == [x.id for x in b.listings]
        and {k: sorted(v) for k, v in a.facets.items()} == {k: sorted(v) for k, v in b.facets.items()}
    )


def test_counts_from_the_cube_equal_the_databases(ctx: Ctx, world: World) -> None:
    listings = three_listings(ctx, world)
    orgs = sorted({x.org_id for x in listings})
    region = listings[0].region_path
    queries = [
        *QUERIES, search.Query(org_ids=orgs), search.Query(org_ids=[orgs[0]], domains=["社会保障"]),
        search.Query(region_path=region), search.Query(region_path=region[: len(region) // 2]),
    ]  # fmt: skip
    cache = search.ResultCache(0)  # no answers kept: every one computed, from the cube
    for query in queries:
        from_cube = search.search(ctx.session, query, cache=cache)
        from_sql = search.search(ctx.session, query)
        assert same(from_cube, from_sql), query
    assert search.search(ctx.session, search.Query(), cache=cache).total == 3
    assert dict(
        search.search(ctx.session, search.Query(domains=["社会保障"]), cache=cache).facets["domain"]
    ) == {
        "公共安全": 1,
        "社会保障": 2,
    }  # its own filter left out


def test_the_cube_follows_every_change_of_the_catalog(ctx: Ctx, world: World) -> None:
    first, *_ = three_listings(ctx, world)
    cache = search.ResultCache(0)
    assert search.search(ctx.session, search.Query(domains=["公共安全"]), cache=cache).total == 1
    service.withdraw_listing(ctx, world.actor("gongan_officer"), first.id, "数据不再更新")
    after = search.search(ctx.session, search.Query(), cache=cache)
    assert after.total == 2 and dict(after.facets["domain"]) == {"社会保障": 2}


def test_fq_answers_are_kept_under_their_own_values(ctx: Ctx, world: World) -> None:
    three_listings(ctx, world)
    cache = search.ResultCache()

    def by_domain(domain: str) -> search.Result:
        query = search.Query(where=[OpenListing.domain == domain])
        return search.search(ctx.session, query, cache=cache)

    assert by_domain("公共安全").total == 1 and by_domain("社会保障").total == 2
    assert by_domain("公共安全").total == 1  # the second time from the cache, still its own answer
    with_in = search.Query(where=[OpenListing.domain.in_(["公共安全", "社会保障"])])
    assert search.search(ctx.session, with_in, cache=cache).total == 3
    kept = ctx.session.scalars(select(OpenListing.id)).all()
    assert len(kept) == 3

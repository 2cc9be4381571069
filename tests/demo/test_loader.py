"""The demo jurisdiction through the services, on whichever database the suite runs on."""

from __future__ import annotations

from sqlalchemy import func, select

from govdata.authz import system_actor
from govdata.catalog import duplicates, service
from govdata.catalog.models import Resource, ResourceVersion, VersionState
from govdata.catalog.queries import SearchFilters, pending_work, search_entries
from govdata.context import Ctx
from govdata.demo import content
from govdata.demo.loader import load_demo
from govdata.org.models import User
from govdata.org.service import actor_for


def _head_states(ctx: Ctx) -> dict[str, int]:
    rows = ctx.session.execute(
        select(ResourceVersion.state, func.count())
        .join(Resource, Resource.head_version_id == ResourceVersion.id)
        .group_by(ResourceVersion.state)
    ).all()
    return {state.value: n for state, n in rows}


def test_demo_has_every_state_a_duplicate_pair_and_is_idempotent(ctx: Ctx) -> None:
    first = load_demo(ctx)
    ctx.session.commit()
    assert first.created and first.counts["目录条目"] == len(content.ENTRIES)
    states = _head_states(ctx)
    assert {"draft", "submitted", "returned", "approved", "published"} <= set(states)
    second = load_demo(ctx)
    ctx.session.commit()
    assert not second.created and second.counts == first.counts
    # The likely duplicate pair is found across departments at review.
    reviewer = actor_for(
        ctx.session.execute(select(User).where(User.username == "prov_reviewer")).scalar_one()
    )
    queue = [
        v
        for v in ctx.session.execute(
            select(ResourceVersion).where(ResourceVersion.state == VersionState.SUBMITTED)
        ).scalars()
    ]
    found = {
        (v.name, ctx.session.get(ResourceVersion, c.version_id).name)  # type: ignore[union-attr]
        for v in queue
        for c in duplicates.likely_duplicates(ctx, reviewer, v)
    }
    assert found, "the demo's duplicate pair should be detected"
    # Two-character searches find realistic entries; the reviewer has pending work with due dates.
    for word in ("人口", "婚姻", "社保"):
        assert search_entries(ctx, reviewer, SearchFilters(q=word)).total >= 1, word
    board = pending_work(ctx, reviewer)
    assert any(item.due for item in board.items)
    any_entry = ctx.session.execute(select(Resource).limit(1)).scalar_one()
    assert service.visible_version(ctx, system_actor(), any_entry)


def test_demo_sharing_has_every_request_state_and_calls_on_record(ctx: Ctx) -> None:
    from govdata.sharing import queries
    from govdata.sharing.models import ExchangeCall, ShareRequest

    report = load_demo(ctx)
    ctx.session.commit()
    assert report.app_credential and report.app_credential.startswith("gdx")
    states = set(ctx.session.execute(select(ShareRequest.state)).scalars())
    assert {"granted", "pending", "awaiting_access", "refused", "coordinating"} <= {s.value for s in states}
    calls = ctx.session.execute(select(func.count(), func.sum(ExchangeCall.records))).one()
    assert calls[0] >= 4 and calls[1] >= 12
    reviewer = actor_for(
        ctx.session.execute(select(User).where(User.username == "prov_reviewer")).scalar_one()
    )
    overdue = queries.overdue_requests(ctx, reviewer)
    assert overdue and all(row.due and row.due.overdue for row in overdue)
    today = ctx.clock.today()
    assert queries.usage(ctx, reviewer, today.replace(day=1), today)


def test_demo_open_portal_has_listings_in_every_state_and_downloads(ctx: Ctx) -> None:
    from govdata.opendata.models import ListingState, OpenListing, Retrieval

    load_demo(ctx)
    ctx.session.commit()
    states = dict(
        ctx.session.execute(select(OpenListing.state, func.count()).group_by(OpenListing.state)).all()
    )
    assert {ListingState.DRAFT, ListingState.SUBMITTED, ListingState.RETURNED, ListingState.SUSPENDED} <= set(
        states
    )
    assert states[ListingState.PUBLISHED] >= 10
    types = set(
        ctx.session.scalars(select(OpenListing.open_type).where(OpenListing.state == ListingState.PUBLISHED))
    )
    assert {"unconditional", "conditional", "none"} <= {t.value for t in types}
    ctx.session.expire_all()
    taken = ctx.session.scalars(select(Retrieval)).all()
    assert taken and all(t.rows for t in taken), [(t.listing_id, t.rows) for t in taken]

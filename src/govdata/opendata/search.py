"""Search over the published open catalog, with facets, on SQLite and PostgreSQL alike.

The same gram scheme as the catalog's (`catalog.search`): a published listing stores the bigrams of its Chinese
text and its ASCII words; every term of a query must hit all its grams, and the candidates are then checked for
the exact substring. The portal, the CKAN `package_search` and the DCAT catalog all call `search` here.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, desc, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from govdata.catalog import search as grams
from govdata.catalog.models import OpenType, UpdateCycle
from govdata.opendata.models import ListingGram, ListingState, ListingStep, OpenListing
from govdata.org.models import Organization

FACETS = ("org", "domain", "format", "open_type", "update_cycle")
SORTS = {
    "newest": (desc(OpenListing.published_at), desc(OpenListing.id)),
    "updated": (desc(OpenListing.updated_at), desc(OpenListing.id)),
    "title": (OpenListing.title, OpenListing.id),
    "downloads": (desc(OpenListing.download_count), desc(OpenListing.id)),
}
LISTED = (ListingState.PUBLISHED, ListingState.SUSPENDED)  # suspended ones stay visible, marked, without data


def document(listing: OpenListing, org_name: str) -> str:
    parts = [listing.title, listing.summary, listing.domain, listing.tags.replace(",", " "), org_name]
    parts.extend(item.name for item in listing.items if item.treatment != "remove")
    return grams.normalise(" ".join(parts))


def index(session: Session, listing: OpenListing) -> None:
    unindex(session, listing.id)
    org = session.get(Organization, listing.org_id)
    listing.search_text = document(listing, org.name if org else "")
    rows = [{"gram": g, "listing_id": listing.id} for g in sorted(grams.grams(listing.search_text))]
    if rows:
        session.execute(insert(ListingGram), rows)


def unindex(session: Session, listing_id: int) -> None:
    session.execute(delete(ListingGram).where(ListingGram.listing_id == listing_id))


@dataclass
class Query:
    q: str = ""
    org_ids: list[int] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    open_types: list[OpenType] = field(default_factory=list)
    update_cycles: list[UpdateCycle] = field(default_factory=list)
    region_path: str | None = None  # one portal per level (OPEN-3): this level and below
    sort: str = "newest"
    offset: int = 0
    limit: int = 20
    # Added for the CKAN API (ckan.py): further filters (its `fq`), applied to the results and every facet alike,
    # and an explicit order (its `sort`) that overrides `sort`.
    where: list[ColumnElement[bool]] = field(default_factory=list)
    order_by: tuple[ColumnElement[object], ...] = ()
    # The portal counts a filtered facet without its own filter (it shows the alternatives); CKAN (Solr) counts
    # every facet under every filter.
    own_facets: bool = True


@dataclass
class Result:
    total: int
    listings: list[OpenListing]
    facets: dict[str, list[tuple[str, int]]]


def _text_filter(q: str) -> list[ColumnElement[bool]]:
    """Every gram of every term in one grouped subquery (a subquery per term makes PostgreSQL re-aggregate the
    second term's grams for each candidate of the first), then each term as an exact substring."""
    terms = grams.query_terms(q)
    needed = sorted(set().union(*(grams.term_grams(t) for t in terms))) if terms else []
    conditions: list[ColumnElement[bool]] = []
    if needed:
        hits = (
            select(ListingGram.listing_id)
            .where(ListingGram.gram.in_(needed))
            .group_by(ListingGram.listing_id)
            .having(func.count() == len(needed))
        )
        conditions.append(OpenListing.id.in_(hits))
    conditions.extend(OpenListing.search_text.like(grams.like_pattern(t), escape="\\") for t in terms)
    return conditions


def _conditions(query: Query, skip: str | None = None) -> list[ColumnElement[bool]]:
    """Filters of the query; `skip` leaves one facet's own filter out so its counts show the alternatives."""
    out: list[ColumnElement[bool]] = [OpenListing.state.in_(LISTED), *_text_filter(query.q), *query.where]
    if query.region_path:
        out.append(OpenListing.region_path.startswith(query.region_path))
    if query.org_ids and skip != "org":
        out.append(OpenListing.org_id.in_(query.org_ids))
    if query.domains and skip != "domain":
        out.append(OpenListing.domain.in_(query.domains))
    if query.open_types and skip != "open_type":
        out.append(OpenListing.open_type.in_(query.open_types))
    if query.update_cycles and skip != "update_cycle":
        out.append(OpenListing.update_cycle.in_(query.update_cycles))
    if query.formats and skip != "format":
        out.append(or_(*[_has_format(f) for f in query.formats]))
    return out


def _has_format(fmt: str) -> ColumnElement[bool]:
    return (literal(",") + OpenListing.formats + literal(",")).like(f"%,{fmt},%")


_GROUPED = (
    OpenListing.org_id,
    OpenListing.domain,
    OpenListing.open_type,
    OpenListing.update_cycle,
    OpenListing.formats,
)


def _active(query: Query) -> set[str]:
    chosen = {
        "org": query.org_ids,
        "domain": query.domains,
        "format": query.formats,
        "open_type": query.open_types,
        "update_cycle": query.update_cycles,
    }
    return {name for name, values in chosen.items() if values}


def _value(v: object) -> str:
    """An enum's stored value (the ORM gives members, the cube plain strings)."""
    return str(getattr(v, "value", v))


def _tally(rows: Sequence[Any]) -> dict[str, Counter[str]]:
    """Facet counts from rows grouped by every facet column at once (the sixth column is the count)."""
    out: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for org_id, domain, open_type, cycle, formats, n, *_ in rows:
        out["org"][str(org_id)] += n
        out["domain"][domain] += n
        out["open_type"][_value(open_type)] += n
        out["update_cycle"][_value(cycle)] += n
        for fmt in (formats or "").split(","):
            if fmt:
                out["format"][fmt] += n
    return out


def _grouped(session: Session, where: list[ColumnElement[bool]]) -> Sequence[Any]:
    return session.execute(select(*_GROUPED, func.count()).where(*where).group_by(*_GROUPED)).all()


def _top(counts: Counter[str], limit: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda c: (-c[1], c[0]))[:limit]


class Cube:
    """The listed catalog grouped by every facet column and region: ~10,000 groups for 50,000 datasets, kept per
    catalog generation. A query without words or extra SQL filters is counted from it in Python instead of by a
    GROUP BY over every matching listing (the costly part of broad queries: 150–450 ms for the whole catalog)."""

    def __init__(self, generation: int, rows: list[tuple[Any, ...]]) -> None:
        self.generation = generation
        # (org_id, domain, open_type, update_cycle, formats, count, region_path, set of formats)
        self.rows = rows
        self._tallies: dict[tuple[Any, ...], dict[str, Counter[str]]] = {}

    @classmethod
    def build(cls, session: Session, generation: int) -> Cube:
        found = session.execute(
            select(*_GROUPED, func.count(), OpenListing.region_path)
            .where(OpenListing.state.in_(LISTED))
            .group_by(*_GROUPED, OpenListing.region_path)
        ).all()
        rows = [
            (org, domain, _value(ot), _value(cycle), formats or "", n, region, frozenset((formats or "").split(",")))
            for org, domain, ot, cycle, formats, n, region in found
        ]  # fmt: skip
        return cls(generation, rows)

    def tally(self, query: Query, skip: str | None = None) -> dict[str, Counter[str]]:
        """The facet counts of the groups `_conditions(query, skip)` would select (the query has no words and no
        `where`), kept per filter: the whole catalog's counts, say, are summed once per generation."""

        def chosen(name: str, values: Sequence[Any]) -> frozenset[Any] | None:
            return (
                frozenset(v if name == "org" else _value(v) for v in values)
                if values and skip != name
                else None
            )

        orgs, domains = chosen("org", query.org_ids), chosen("domain", query.domains)
        types, cycles = chosen("open_type", query.open_types), chosen("update_cycle", query.update_cycles)
        formats, region = chosen("format", query.formats), query.region_path or ""
        key = (orgs, domains, types, cycles, formats, region)
        found = self._tallies.get(key)
        if found is None:
            found = _tally([
                row
                for row in self.rows
                if (orgs is None or row[0] in orgs)
                and (domains is None or row[1] in domains)
                and (types is None or row[2] in types)
                and (cycles is None or row[3] in cycles)
                and (formats is None or not formats.isdisjoint(row[7]))
                and (not region or row[6].startswith(region))
            ])  # fmt: skip
            if len(self._tallies) >= 1024:  # bounded: the filters people combine are few
                self._tallies.clear()
            self._tallies[key] = found
        return found


class ResultCache:
    """Per serving process: recent answers of the portal's searches (at most `size`; 0 keeps none) and the cube
    of facet groups. Both are exact: used only while no listing has changed state since they were computed (every
    change adds a ListingStep, so the newest step id is the catalog's generation). Answers ordered by downloads
    are not kept (downloads change without a step)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._entries: OrderedDict[
            tuple[Any, ...], tuple[int, int, list[int], dict[str, list[tuple[str, int]]]]
        ]
        self._entries = OrderedDict()
        self._lock = threading.Lock()
        self._cube: Cube | None = None
        self._cube_lock = threading.Lock()

    def get(
        self, key: tuple[Any, ...], generation: int
    ) -> tuple[int, list[int], dict[str, list[tuple[str, int]]]] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != generation:
                return None
            self._entries.move_to_end(key)
            return found[1], found[2], found[3]

    def put(self, key: tuple[Any, ...], generation: int, result: Result) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = (generation, result.total, [x.id for x in result.listings], result.facets)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def cube(self, session: Session, generation: int) -> Cube:
        with self._cube_lock:  # one build per generation, whoever asks first
            if self._cube is None or self._cube.generation != generation:
                self._cube = Cube.build(session, generation)
            return self._cube


def _cache_key(query: Query, facets: Sequence[str], facet_limit: int) -> tuple[Any, ...] | None:
    order = tuple(str(column) for column in query.order_by)
    if query.sort == "downloads" or any("download_count" in column for column in order):
        return None  # downloads change without a step
    where = []
    for condition in query.where:  # CKAN's fq: its SQL and values (a NOW in fq gives new values each time)
        compiled = condition.compile()
        where.append((str(compiled), repr(sorted(compiled.params.items()))))
    return (
        order, tuple(where), query.q, tuple(query.org_ids), tuple(query.domains), tuple(query.formats),
        tuple(query.open_types), tuple(query.update_cycles), query.region_path, query.sort, query.offset,
        query.limit, query.own_facets, tuple(facets), facet_limit,
    )  # fmt: skip


def search(
    session: Session,
    query: Query,
    *,
    facets: Sequence[str] = FACETS,
    facet_limit: int = 50,
    cache: ResultCache | None = None,
) -> Result:
    if cache is None:
        return _search(session, query, facets, facet_limit, None)
    generation = session.execute(select(func.max(ListingStep.id))).scalar_one() or 0
    key = _cache_key(query, facets, facet_limit)
    hit = cache.get(key, generation) if key is not None else None
    if hit is not None:
        total, ids, found = hit
        rows = (
            {x.id: x for x in session.scalars(select(OpenListing).where(OpenListing.id.in_(ids)))}
            if ids
            else {}
        )
        return Result(total=total, listings=[rows[i] for i in ids if i in rows], facets=found)
    counted = not query.where and not grams.query_terms(query.q)
    cube = cache.cube(session, generation) if counted and facets else None
    result = _search(session, query, facets, facet_limit, cube)
    if key is not None:
        cache.put(key, generation, result)
    return result


def _search(
    session: Session, query: Query, facets: Sequence[str], facet_limit: int, cube: Cube | None
) -> Result:
    """One pass grouped by every facet column gives the total and each facet whose own filter is not set; a facet
    that is filtered is counted without its own filter (so it shows the alternatives), one pass each. The passes
    read the cube when the caller has one for this query, else the listings."""
    where = _conditions(query)
    if cube is not None:
        shared = cube.tally(query)
        total = sum(shared["org"].values())  # every listing has one publisher
    else:
        grouped = _grouped(session, where)
        total = sum(row[5] for row in grouped)
        shared = _tally(grouped)
    active = _active(query) if query.own_facets else set()
    order = query.order_by or SORTS.get(query.sort, SORTS["newest"])
    listings = list(
        session.scalars(
            select(OpenListing).where(*where).order_by(*order).offset(query.offset).limit(query.limit)
        )
    )

    def alone(name: str) -> Counter[str]:
        if cube is not None:
            return cube.tally(query, skip=name)[name]
        return _tally(_grouped(session, _conditions(query, skip=name)))[name]

    found = {
        name: _top(alone(name) if name in active else shared[name], facet_limit)
        for name in facets
        if name in FACETS
    }
    return Result(total=total, listings=listings, facets=found)

"""The open catalog as linked data (DCAT in JSON-LD and Turtle) and each dataset as a Frictionless Data Package.

Machine-readable, standardised metadata (SX15) that data portals and harvesters read without our help. One small
graph is built per document and written out twice, so the JSON-LD and the Turtle always say the same thing.
Vocabularies: W3C DCAT 2, Dublin Core terms, the EU frequency / access-right / file-type authority tables, IANA
media types, and Hydra for paging the catalog. Suspended and not-open datasets are listed (their metadata is
public, HN20) without any distribution or download link, with a note saying why.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import select
from starlette.responses import Response

from govdata.catalog.models import OpenType, UpdateCycle
from govdata.context import Ctx
from govdata.errors import InvalidInput
from govdata.opendata import data, search
from govdata.opendata.ckan_dicts import (
    LICENCE,
    MIMETYPES,
    NAME_PREFIX,
    TABLE_TYPES,
    Site,
    access_status,
    group_slug,
    iso,
    opened_type,
    usable,
)
from govdata.opendata.models import OpenListing, Treatment
from govdata.opendata.portal import public_listing
from govdata.opendata.service import require_usable
from govdata.opendata.workflow import FORMAT_LABELS, TREATMENT_LABELS
from govdata.web_support import CtxDep

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
PAGE_MAX = 1000
PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
EU = "http://publications.europa.eu/resource/authority"
FREQUENCY = {
    UpdateCycle.REALTIME: "UPDATE_CONT",
    UpdateCycle.DAILY: "DAILY",
    UpdateCycle.WEEKLY: "WEEKLY",
    UpdateCycle.MONTHLY: "MONTHLY",
    UpdateCycle.QUARTERLY: "QUARTERLY",
    UpdateCycle.HALF_YEARLY: "ANNUAL_2",
    UpdateCycle.YEARLY: "ANNUAL",
    UpdateCycle.IRREGULAR: "IRREG",
}
ACCESS_RIGHTS = {
    OpenType.UNCONDITIONAL: "PUBLIC",
    OpenType.CONDITIONAL: "RESTRICTED",
    OpenType.NONE: "NON_PUBLIC",
}
FILE_TYPES = {"csv": "CSV", "xlsx": "XLSX", "json": "JSON"}


# --- a tiny RDF model: enough for these documents, written as JSON-LD and as Turtle --------------------------


@dataclass(frozen=True)
class IRI:
    value: str


@dataclass(frozen=True)
class Lit:
    value: str
    lang: str | None = None
    datatype: str | None = None  # a prefixed name, e.g. xsd:dateTime


@dataclass
class Node:
    """A subject with its types and (predicate, object) pairs; `iri` None is a blank node written inline."""

    iri: str | None
    types: list[str]
    props: list[tuple[str, IRI | Lit | Node]] = field(default_factory=list)

    def add(self, predicate: str, obj: IRI | Lit | Node | str | None, lang: str | None = None) -> None:
        if obj is None or obj == "":
            return
        self.props.append((predicate, Lit(obj, lang) if isinstance(obj, str) else obj))


def zh(text: str) -> Lit:
    return Lit(text, "zh")


def when(value: dt.datetime | None) -> Lit | None:
    return Lit(iso(value) or "", datatype="xsd:dateTime") if value is not None else None


def _iri(value: str) -> str:
    """An IRI safe inside Turtle's <…>: characters it forbids are percent-encoded."""
    return quote(value, safe=":/?#[]@!$&'()*+,;=%-._~")


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


def _turtle_object(obj: IRI | Lit | Node, indent: str) -> str:
    if isinstance(obj, IRI):
        return f"<{_iri(obj.value)}>"
    if isinstance(obj, Lit):
        suffix = f"@{obj.lang}" if obj.lang else (f"^^{obj.datatype}" if obj.datatype else "")
        return _string(obj.value) + suffix
    return "[\n" + _turtle_body(obj, indent + "    ") + f"\n{indent}]"


def _turtle_body(node: Node, indent: str) -> str:
    lines = []
    if node.types:
        lines.append(f"{indent}a {', '.join(node.types)}")
    for predicate, obj in node.props:
        lines.append(f"{indent}{predicate} {_turtle_object(obj, indent)}")
    return " ;\n".join(lines)


def turtle(nodes: list[Node]) -> str:
    head = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
    parts = [f"<{_iri(n.iri or '')}>\n" + _turtle_body(n, "    ") + " ." for n in nodes]
    return head + "\n" + "\n\n".join(parts) + "\n"


def _jsonld_object(obj: IRI | Lit | Node) -> Any:
    if isinstance(obj, IRI):
        return {"@id": _iri(obj.value)}
    if isinstance(obj, Lit):
        if obj.lang:
            return {"@value": obj.value, "@language": obj.lang}
        if obj.datatype:
            return {"@value": obj.value, "@type": obj.datatype}
        return obj.value
    return _jsonld_node(obj)


def _jsonld_node(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"@id": _iri(node.iri)} if node.iri else {}
    if node.types:
        out["@type"] = node.types[0] if len(node.types) == 1 else node.types
    for predicate, obj in node.props:
        value = _jsonld_object(obj)
        if predicate in out:
            out[predicate] = (
                [*out[predicate], value] if isinstance(out[predicate], list) else [out[predicate], value]
            )
        else:
            out[predicate] = value
    return out


def jsonld(nodes: list[Node]) -> dict[str, Any]:
    return {"@context": dict(PREFIXES), "@graph": [_jsonld_node(n) for n in nodes]}


# --- DCAT ---------------------------------------------------------------------------------------------------


def _organisation(name: str) -> Node:
    org = Node(None, ["foaf:Organization"])
    org.add("foaf:name", zh(name))
    return org


def _theme(site: Site, domain: str) -> Node:
    theme = Node(f"{site.base}/open/catalog#theme-{group_slug(domain)}", ["skos:Concept"])
    theme.add("skos:prefLabel", zh(domain))
    return theme


def dataset_nodes(site: Site, listing: OpenListing) -> Iterator[Node]:
    """The dataset, its distributions (only when data can be taken) and its theme."""
    landing = site.landing(listing.id)
    org = listing.org
    ds = Node(landing, ["dcat:Dataset"])
    ds.add("dct:identifier", Lit(site.uid("package", listing.id)))
    ds.add("dct:title", zh(listing.title))
    ds.add("dct:description", zh(listing.summary))
    ds.add("dct:publisher", _organisation(org.name))
    contact = Node(None, ["vcard:Organization"])
    contact.add("vcard:fn", zh(org.name))
    ds.add("dcat:contactPoint", contact)
    for tag in site.tags(listing):
        ds.add("dcat:keyword", zh(tag))
    theme = _theme(site, listing.domain)
    ds.add("dcat:theme", IRI(theme.iri or ""))
    ds.add("dct:accrualPeriodicity", IRI(f"{EU}/frequency/{FREQUENCY[listing.update_cycle]}"))
    ds.add("dct:issued", when(listing.published_at or listing.created_at))
    ds.add("dct:modified", when(listing.updated_at))
    ds.add("dct:accessRights", IRI(f"{EU}/access-right/{ACCESS_RIGHTS[listing.open_type]}"))
    ds.add("dcat:landingPage", IRI(landing))
    ds.add("skos:editorialNote", zh(access_status(listing)))
    if listing.basis:  # conditional and not-open data say on what terms and by which law (OPEN-1, HN20)
        rights = Node(None, ["dct:RightsStatement"])
        if listing.conditions and listing.open_type == OpenType.CONDITIONAL:
            rights.add("rdfs:label", zh(f"开放条件：{listing.conditions}"))
        rights.add("rdfs:label", zh(f"法律法规或政策依据：{listing.basis}"))
        ds.add("dct:rights", rights)
    ds.add("dct:bibliographicCitation", zh(data.citation(site.ctx, listing, site.base).line()))
    distributions = []
    if usable(listing):
        for fmt in (f for f in listing.formats.split(",") if f):
            dist = Node(f"{landing}#{fmt}", ["dcat:Distribution"])
            dist.add("dct:title", zh(f"{listing.title}（{FORMAT_LABELS.get(fmt, fmt)}）"))
            dist.add("dcat:downloadURL", IRI(site.download(listing.id, fmt)))
            dist.add("dcat:accessURL", IRI(landing))
            dist.add("dcat:mediaType", IRI(f"https://www.iana.org/assignments/media-types/{MIMETYPES[fmt]}"))
            dist.add("dct:format", IRI(f"{EU}/file-type/{FILE_TYPES[fmt]}"))
            dist.add("dct:license", IRI(site.licence_url()))
            dist.add("dct:modified", when(listing.updated_at))
            ds.add("dcat:distribution", IRI(dist.iri or ""))
            distributions.append(dist)
    yield ds
    yield from distributions
    yield theme


def _media(body: str, ttl: bool) -> Response:
    if ttl:
        return Response(body, media_type="text/turtle; charset=utf-8")
    return Response(body, media_type="application/ld+json")


def _document(nodes: list[Node], ttl: bool) -> Response:
    unique: dict[str | None, Node] = {}
    for node in nodes:  # a theme shared by several datasets is written once
        unique.setdefault(node.iri, node)
    graph = list(unique.values())
    return _media(turtle(graph) if ttl else json.dumps(jsonld(graph), ensure_ascii=False, indent=1), ttl)


def _since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        at = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"modified_since 须为 ISO 时间（如 2026-11-20T00:00:00Z），收到：{value}"
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def catalog(
    request: Request, ctx: Ctx, *, ttl: bool, page: int, limit: int, q: str, modified_since: str | None
) -> Response:
    site = Site.of(ctx, str(request.base_url))
    since = _since(modified_since)
    where = [OpenListing.updated_at >= since] if since is not None else []
    query = search.Query(
        q=q, where=where, order_by=(OpenListing.id.asc(),), offset=(page - 1) * limit, limit=limit
    )
    result = search.search(ctx.session, query, facets=())
    site.preload(result.listings)
    profile = ctx.profile
    cat = Node(f"{site.base}/open/catalog", ["dcat:Catalog"])
    cat.add("dct:title", zh(profile.bodies.open_portal))
    cat.add(
        "dct:description",
        zh(f"{profile.bodies.jurisdiction}政务数据开放目录（含有条件开放和不予开放的数据及其依据）"),
    )
    cat.add("dct:publisher", _organisation(profile.bodies.authority))
    cat.add("foaf:homepage", IRI(f"{site.base}/open"))
    cat.add("dct:language", IRI(f"{EU}/language/ZHO"))
    cat.add("dct:license", IRI(site.licence_url()))
    latest = ctx.session.scalar(
        select(OpenListing.updated_at)
        .where(OpenListing.state.in_(search.LISTED))
        .order_by(OpenListing.updated_at.desc())
        .limit(1)
    )
    cat.add("dct:modified", when(latest))
    nodes: list[Node] = [cat]
    for listing in result.listings:
        cat.add("dcat:dataset", IRI(site.landing(listing.id)))
        nodes.extend(dataset_nodes(site, listing))
    nodes.append(_paging(site, request, ttl, page, limit, result.total))
    return _document(nodes, ttl)


def _paging(site: Site, request: Request, ttl: bool, page: int, limit: int, total: int) -> Node:
    """Hydra paging, as ckanext-dcat writes it: the page, its size, the total and the neighbouring pages."""
    path = f"{site.base}/open/catalog.{'ttl' if ttl else 'jsonld'}"
    kept = {k: v for k, v in request.query_params.items() if k not in ("page",)}

    def url(n: int) -> IRI:
        return IRI(f"{path}?{urlencode(kept | {'page': n})}")

    last = max(1, -(-total // limit))
    node = Node(url(page).value, ["hydra:PagedCollection"])
    node.add("hydra:totalItems", Lit(str(total), datatype="xsd:integer"))
    node.add("hydra:itemsPerPage", Lit(str(limit), datatype="xsd:integer"))
    node.add("hydra:firstPage", url(1))
    node.add("hydra:lastPage", url(last))
    if page > 1:
        node.add("hydra:previousPage", url(min(page - 1, last)))
    if page < last:
        node.add("hydra:nextPage", url(page + 1))
    return node


def dataset(request: Request, ctx: Ctx, listing_id: int, *, ttl: bool) -> Response:
    listing = public_listing(ctx, listing_id)
    site = Site.of(ctx, str(request.base_url))
    site.preload([listing])
    return _document(list(dataset_nodes(site, listing)), ttl)


# --- Frictionless Data Package -------------------------------------------------------------------------------


def datapackage(site: Site, listing: OpenListing) -> dict[str, Any]:
    """Data Package v1 of a dataset whose data can be taken: the resources are its downloads."""
    opened = [i for i in listing.items if i.treatment != Treatment.REMOVE]
    schema = {
        "fields": [
            {
                "name": i.field_name,
                "title": i.name,
                "type": opened_type(i, TABLE_TYPES),
                "description": TREATMENT_LABELS[i.treatment]
                + (f"：{i.description}" if i.description else ""),
            }
            for i in opened
        ]
    }
    cite = data.citation(site.ctx, listing, site.base)
    resources = []
    for fmt in (f for f in listing.formats.split(",") if f):
        resource: dict[str, Any] = {
            "name": f"{NAME_PREFIX}{listing.id}-{fmt}",
            "title": f"{listing.title}（{FORMAT_LABELS.get(fmt, fmt)}）",
            "path": site.download(listing.id, fmt),
            "format": fmt,
            "mediatype": MIMETYPES[fmt],
            "profile": "tabular-data-resource" if fmt == "csv" else "data-resource",
            "schema": schema,
        }
        if fmt != "xlsx":
            resource["encoding"] = "utf-8"
        if fmt == "csv":  # the first line is the source and retrieval date (AB36), as a comment
            resource["dialect"] = {"delimiter": ",", "header": True, "commentChar": "#"}
        resources.append(resource)
    conditional = listing.open_type == OpenType.CONDITIONAL
    return {
        "profile": "tabular-data-package",
        "id": site.uid("package", listing.id),
        "name": f"{NAME_PREFIX}{listing.id}",
        "title": listing.title,
        "description": listing.summary
        + ("\n\n有条件开放：" + (listing.conditions or "") if conditional else "")
        + "\n\n"
        + cite.line(),
        "homepage": site.landing(listing.id),
        "created": iso(listing.published_at or listing.created_at),
        "keywords": site.tags(listing),
        "licenses": [{"name": LICENCE.id, "path": site.licence_url(), "title": LICENCE.title}],
        "sources": [{"title": f"{cite.org_name}《{listing.title}》", "path": site.landing(listing.id)}],
        "contributors": [{"title": cite.org_name, "role": "publisher"}],
        "resources": resources,
    }


# --- routes -------------------------------------------------------------------------------------------------

PageNo = Query(1, ge=1, le=1_000_000, title="页码")
Limit = Query(PAGE_SIZE, ge=1, le=PAGE_MAX, title="每页数据集数")


@router.get("/open/catalog.jsonld")
def catalog_jsonld(
    request: Request,
    ctx: CtxDep,
    page: int = PageNo,
    limit: int = Limit,
    q: str = Query("", max_length=200),
    modified_since: str | None = Query(None, max_length=40),
) -> Response:
    return catalog(request, ctx, ttl=False, page=page, limit=limit, q=q, modified_since=modified_since)


@router.get("/open/catalog.ttl")
def catalog_ttl(
    request: Request,
    ctx: CtxDep,
    page: int = PageNo,
    limit: int = Limit,
    q: str = Query("", max_length=200),
    modified_since: str | None = Query(None, max_length=40),
) -> Response:
    return catalog(request, ctx, ttl=True, page=page, limit=limit, q=q, modified_since=modified_since)


@router.get("/open/datasets/{listing_id}/dcat.jsonld")
def dataset_jsonld(request: Request, ctx: CtxDep, listing_id: int) -> Response:
    return dataset(request, ctx, listing_id, ttl=False)


@router.get("/open/datasets/{listing_id}/dcat.ttl")
def dataset_ttl(request: Request, ctx: CtxDep, listing_id: int) -> Response:
    return dataset(request, ctx, listing_id, ttl=True)


@router.get("/open/datasets/{listing_id}/datapackage.json")
def dataset_datapackage(request: Request, ctx: CtxDep, listing_id: int) -> Response:
    """Refused (with the reason) for a suspended or not-open dataset: a Data Package must name its data."""
    listing = public_listing(ctx, listing_id)
    require_usable(listing)
    site = Site.of(ctx, str(request.base_url))
    site.preload([listing])
    return JSONResponse(datapackage(site, listing), media_type="application/json")


@router.get("/open/licence")
def licence() -> Response:
    """The licence every dataset is opened under (CKAN license_url, DCAT dct:license)."""
    return PlainTextResponse(LICENCE.text)

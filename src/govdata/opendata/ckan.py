"""The open catalog through CKAN's Action API v3, so CKAN clients (`ckanapi`) and harvesters work unchanged.

`/api/3/action/<name>` and `/api/action/<name>`, GET with query parameters or POST with a JSON (or form) body,
answered in CKAN's envelope `{"help", "success", "result"}` and its errors (`Not Found Error` 404, `Validation
Error` 409, `Authorization Error` 403, an unknown action 400). Everything is read-only: the catalog is kept
through the platform's review workflow, so CKAN's write actions are refused. Metadata is public; data
(`datastore_search`) needs an API key, because taking data needs an identity (OPEN-4) and is recorded (OPEN-7).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from govdata import labels
from govdata.authz import Actor
from govdata.catalog.models import OpenType, UpdateCycle
from govdata.errors import DomainError, Forbidden, NotFound, Unauthenticated
from govdata.opendata import data, portal, search
from govdata.opendata.ckan_dicts import (
    DATASTORE_TYPES,
    LICENCE,
    NAME_PREFIX,
    ORG_PREFIX,
    Site,
    group_slug,
    opened_type,
)
from govdata.opendata.ckan_params import (
    DEFAULT_SORT,
    Lookups,
    Payload,
    SearchQueryError,
    ValidationFailed,
    facet_picks,
    has_fields,
    order,
    param_bool,
    param_int,
    param_list,
    param_required,
    param_str,
    parse,
    read_payload,
)
from govdata.opendata.models import OpenListing, Treatment
from govdata.opendata.workflow import FORMAT_LABELS, OPEN_TYPE_LABELS, TREATMENT_LABELS
from govdata.org.models import Organization
from govdata.org.service import resolve_api_token
from govdata.web_support import CtxDep

router = APIRouter(include_in_schema=False)

ROWS_MAX = 1000  # CKAN's ckan.search.rows_max
DATASTORE_ROWS_MAX = 32000  # CKAN's ckan.datastore.search.rows_max
CKAN_VERSION = "2.10.0"  # the CKAN release whose Action API this answers like
_WRITE = re.compile(
    r"^(?:\w+_(?:create|update|patch|delete|purge|upsert|revise|reorder|clear|cancel|invite|undelete|run)"
    r"|(?:un)?follow_\w+|bulk_update_\w+|send_\w+|dashboard_mark_\w+|datastore_search_sql)$"
)
NO_KEY = (
    "获取数据须实名认证：请先在开放平台注册（或登录），在“API 令牌”页面创建令牌，"
    "并以请求头 Authorization: <令牌> 调用"
)


@dataclass
class Call:
    """One action call: context, site view (ids, urls), and the request for the API key."""

    site: Site
    request: Request

    @property
    def session(self) -> Session:
        return self.site.ctx.session

    def actor(self) -> Actor:
        key = _api_key(self.request)
        if not key:
            raise Forbidden(NO_KEY)
        try:
            return resolve_api_token(self.site.ctx, key)
        except Unauthenticated as exc:
            raise Forbidden(f"{exc.message}。{NO_KEY}") from None


def _api_key(request: Request) -> str | None:
    """CKAN's raw `Authorization: <key>`, `Authorization: Bearer <key>`, or `X-CKAN-API-Key: <key>`."""
    header = request.headers.get("authorization", "").strip()
    if header:
        return header[7:].strip() if header.lower().startswith("bearer ") else header
    return request.headers.get("x-ckan-api-key", "").strip() or None


# --- lookups ------------------------------------------------------------------------------------------------


def _listed(call: Call, listing_id: int | None) -> OpenListing:
    listing = call.session.get(OpenListing, listing_id) if listing_id is not None else None
    if listing is None or listing.state not in search.LISTED:
        raise NotFound("数据集不存在或未在开放目录中发布")
    return listing


def _org_counts(call: Call) -> dict[int, int]:
    rows = call.session.execute(
        select(OpenListing.org_id, func.count())
        .where(OpenListing.state.in_(search.LISTED))
        .group_by(OpenListing.org_id)
    ).all()
    return {int(org_id): int(n) for org_id, n in rows}


def _domain_counts(call: Call) -> dict[str, int]:
    rows = call.session.execute(
        select(OpenListing.domain, func.count())
        .where(OpenListing.state.in_(search.LISTED))
        .group_by(OpenListing.domain)
    ).all()
    return {str(domain): int(n) for domain, n in rows}


def _org_ids(call: Call, ref: str) -> list[int]:
    org_id = call.site.org_id(ref)
    return [org_id] if org_id is not None else []


def _domains(call: Call, ref: str) -> list[str]:
    ref = ref.strip()
    return [d for d in _domain_counts(call) if ref in (d, group_slug(d), call.site.group_id(d))]


def _lookups(call: Call) -> Lookups:
    return Lookups(
        org_ids=lambda ref: _org_ids(call, ref),
        domains=lambda ref: _domains(call, ref),
        listing_id=call.site.listing_id,
        licence_id=LICENCE.id,
    )


def _sorted(rows: list[dict[str, Any]], sort: str, default: str) -> list[dict[str, Any]]:
    words = (sort or default).split()
    key, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
    if key not in ("name", "title", "package_count") or direction not in ("asc", "desc"):
        raise ValidationFailed({"sort": ["可用：name、title、package_count，加 asc 或 desc"]})
    return sorted(rows, key=lambda r: (r.get(key, 0), r["name"]), reverse=direction == "desc")


# --- actions ------------------------------------------------------------------------------------------------

_FACETS = {"organization": "org", "groups": "domain", "res_format": "format"}
_FACETS |= {"open_type": "open_type", "update_cycle": "update_cycle"}


def package_search(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """搜索数据集。参数：q（中文按词检索，或 Solr 字段写法）、fq、fq_list、rows（默认 10，最多 1000）、start、
    sort（score desc, metadata_modified desc / metadata_modified asc|desc / name / title_string / id）、
    facet.field（JSON 列表：organization、groups、tags、res_format、license_id）、facet.limit。"""
    q = param_str(params, "q").strip()
    rows = min(param_int(params, "rows", 10), ROWS_MAX)
    start = param_int(params, "start", 0)
    sort = param_str(params, "sort").strip() or DEFAULT_SORT
    facet_fields = param_list(params, "facet.field") if param_bool(params, "facet", True) else []
    facet_limit = param_int(params, "facet.limit", 50, minimum=-1)
    facet_limit = 10_000 if facet_limit < 0 else facet_limit
    param_bool(
        params, "include_private", False
    )  # read, but nothing is private: every listed dataset is public
    lookups, now = _lookups(call), call.site.ctx.clock.now()
    where = []
    if q and has_fields(q):
        where.append(parse(q, lookups, now))
        q = ""
    fqs = [fq for fq in [param_str(params, "fq"), *param_list(params, "fq_list")] if fq.strip()]
    picks = facet_picks(fqs, lookups)
    if picks is None:
        where += [parse(fq, lookups, now) for fq in fqs]
    query = search.Query(q=q, where=where, order_by=order(sort), offset=start, limit=rows, own_facets=False)
    if picks is not None:
        query = replace(query, **asdict(picks))
    ours = [_FACETS[f] for f in facet_fields if f in _FACETS]
    result = search.search(
        call.session, query, facets=ours, facet_limit=facet_limit, cache=call.request.app.state.open_search
    )
    call.site.preload(result.listings)
    facets = {f: _facet(call, f, query, result, facet_limit) for f in facet_fields}
    return {
        "count": result.total,
        "results": [call.site.package(listing) for listing in result.listings],
        "sort": sort,
        "facets": {f: {item["name"]: item["count"] for item in items} for f, items in facets.items()},
        "search_facets": {f: {"title": f, "items": items} for f, items in facets.items()},
    }


def _facet(
    call: Call, name: str, query: search.Query, result: search.Result, limit: int
) -> list[dict[str, Any]]:
    counts: list[tuple[str, int]]
    if name == "tags":
        # The tag facet is not one of search's: count the comma-separated tags of every hit.
        tagged = call.session.scalars(select(OpenListing.tags).where(*search._conditions(query))).all()
        counted = Counter(t for tags in tagged for t in tags.split(",") if t)
        counts = sorted(counted.items(), key=lambda c: (-c[1], c[0]))[:limit]
    elif name == "license_id":
        counts = [(LICENCE.id, result.total)] if result.total else []
    else:
        counts = result.facets.get(_FACETS.get(name, ""), [])
    items = []
    orgs: dict[int, Organization] = {}
    if name == "organization":
        orgs = {
            o.id: o
            for o in call.session.scalars(
                select(Organization).where(Organization.id.in_([int(v) for v, _ in counts]))
            )
        }
    for value, n in counts:
        item: dict[str, Any] = {"name": value, "display_name": value, "count": n}
        if name == "organization" and int(value) in orgs:
            item |= {
                "name": f"{ORG_PREFIX}{value}",
                "display_name": orgs[int(value)].name,
                "type": "organization",
            }
        elif name == "groups":
            item |= {"name": group_slug(value), "type": "group"}
        elif name == "res_format":
            item |= {
                "name": FORMAT_LABELS.get(value, value.upper()),
                "display_name": FORMAT_LABELS.get(value, value),
            }
        elif name == "license_id":
            item["display_name"] = LICENCE.title
        elif name == "open_type":
            item["display_name"] = OPEN_TYPE_LABELS[OpenType(value)]
        elif name == "update_cycle":
            item["display_name"] = labels.UPDATE_CYCLE[UpdateCycle(value)]
        items.append(item)
    return items


def package_show(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """一个数据集的完整元数据。参数：id（数据集的 id 或 name）。"""
    listing = _listed(call, call.site.listing_id(param_required(params, "id", "name_or_id")))
    call.site.preload([listing])
    return call.site.package(listing)


def package_list(call: Call, params: dict[str, Any]) -> list[str]:
    """开放目录中全部数据集的 name。参数：limit、offset。"""
    limit, offset = param_int(params, "limit", 0), param_int(params, "offset", 0)
    stmt = select(OpenListing.id).where(OpenListing.state.in_(search.LISTED)).order_by(OpenListing.id)
    if limit:
        stmt = stmt.limit(limit)
    ids = call.session.scalars(stmt.offset(offset)).all()
    return [f"{NAME_PREFIX}{i}" for i in ids]


def current_package_list_with_resources(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    """最近更新的数据集（含资源），按更新时间倒序。参数：limit（默认 10，最多 1000）、offset。"""
    limit = min(param_int(params, "limit", 10), ROWS_MAX)
    query = search.Query(
        order_by=order("metadata_modified desc"),
        offset=param_int(params, "offset", 0),
        limit=limit,
    )
    listings = search.search(call.session, query, facets=()).listings
    call.site.preload(listings)
    return [call.site.package(listing) for listing in listings]


def _page(rows: list[Any], params: dict[str, Any]) -> list[Any]:
    offset, limit = param_int(params, "offset", 0), param_int(params, "limit", 0)
    return rows[offset : offset + limit] if limit else rows[offset:]


def organization_list(call: Call, params: dict[str, Any]) -> list[Any]:
    """在开放目录中有数据集的单位。参数：all_fields、sort（title asc / name / package_count）、organizations、
    limit、offset。"""
    counts = _org_counts(call)
    orgs = call.session.scalars(select(Organization).where(Organization.id.in_(list(counts)))).all()
    rows = [call.site.organization(o, package_count=counts[o.id]) for o in orgs]
    wanted = set(param_list(params, "organizations"))
    if wanted:
        rows = [r for r in rows if r["name"] in wanted or r["id"] in wanted]
    rows = _page(_sorted(rows, param_str(params, "sort"), "title asc"), params)
    return rows if param_bool(params, "all_fields", False) else [r["name"] for r in rows]


def organization_show(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """一个单位及其数据集数。参数：id（id 或 name）、include_datasets（默认 false，最多返回 1000 个）。"""
    ids = _org_ids(call, param_required(params, "id"))
    counts = _org_counts(call)
    org = call.session.get(Organization, ids[0]) if ids and ids[0] in counts else None
    if org is None:
        raise NotFound("该单位不存在或在开放目录中没有数据集")
    out = call.site.organization(org, package_count=counts[org.id])
    out |= {"users": [], "extras": [], "groups": [], "tags": []}
    if param_bool(params, "include_datasets", False):
        found = package_search(call, {"fq": f"organization:{ORG_PREFIX}{org.id}", "rows": ROWS_MAX})
        out["packages"] = found["results"]
    return out


def group_list(call: Call, params: dict[str, Any]) -> list[Any]:
    """开放主题领域（每个领域一个 CKAN 分组）。参数：all_fields、sort、groups、limit、offset。"""
    rows = [call.site.group(d, package_count=n) for d, n in _domain_counts(call).items()]
    wanted = set(param_list(params, "groups"))
    if wanted:
        rows = [r for r in rows if r["name"] in wanted or r["id"] in wanted or r["title"] in wanted]
    rows = _page(_sorted(rows, param_str(params, "sort"), "title asc"), params)
    return rows if param_bool(params, "all_fields", False) else [r["name"] for r in rows]


def group_show(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """一个主题领域。参数：id（id、name 或领域名称）、include_datasets。"""
    domains = _domains(call, param_required(params, "id"))
    if not domains:
        raise NotFound("该主题领域不存在或没有数据集")
    out = call.site.group(domains[0], package_count=_domain_counts(call)[domains[0]])
    out |= {"users": [], "extras": [], "groups": [], "tags": []}
    if param_bool(params, "include_datasets", False):
        found = package_search(call, {"fq": f"groups:{group_slug(domains[0])}", "rows": ROWS_MAX})
        out["packages"] = found["results"]
    return out


def tag_list(call: Call, params: dict[str, Any]) -> list[Any]:
    """开放目录中用到的关键词。参数：query（包含该文字的）、all_fields。"""
    tagged = call.session.scalars(select(OpenListing.tags).where(OpenListing.state.in_(search.LISTED))).all()
    names = sorted({t for tags in tagged for t in tags.split(",") if t})
    query = param_str(params, "query").strip() or param_str(params, "q").strip()
    if query:
        names = [n for n in names if query.lower() in n.lower()]
    return [call.site.tag(n) for n in names] if param_bool(params, "all_fields", False) else names


def resource_show(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """一个资源（数据集的一种下载格式）。参数：id。"""
    ref = call.site.resource_ref(param_required(params, "id"))
    listing = _listed(call, ref[0]) if ref else None
    found = (
        [r for r in call.site.resources(listing) if r["id"] == call.site.uid(f"resource:{ref[1]}", ref[0])]
        if listing and ref
        else []
    )
    if not found:
        raise NotFound("资源不存在（数据集未发布、已暂停开放或不予开放时没有资源）")
    return found[0]


def status_show(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """站点信息。"""
    profile = call.site.ctx.profile
    return {
        "site_title": profile.bodies.open_portal,
        "site_description": f"{profile.bodies.jurisdiction}政务数据开放平台（CKAN Action API v3 兼容接口，只读）",
        "site_url": call.site.base,
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore", "dcat"],
    }


def license_list(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    """本平台使用的开放许可。"""
    return [
        {
            "id": LICENCE.id,
            "title": LICENCE.title,
            "url": call.site.licence_url(),
            "status": "active",
            "od_conformance": "approved",
            "osd_conformance": "not reviewed",
            "domain_content": False,
            "domain_data": True,
            "domain_software": False,
            "family": "",
            "maintainer": call.site.ctx.profile.bodies.authority,
            "is_generic": False,
        }
    ]


def site_read(call: Call, params: dict[str, Any]) -> bool:
    """站点是否可读。"""
    return True


def help_show(call: Call, params: dict[str, Any]) -> str:
    """某个接口的说明。参数：name。"""
    name = param_required(params, "name")
    fn = ACTIONS.get(name)
    if fn is None:
        raise NotFound(f"接口 {name} 不存在")
    return " ".join((fn.__doc__ or "").split())


def _filter_values(item_type: str, field: str, raw: object) -> list[object]:
    values = raw if isinstance(raw, list) else [raw]
    out: list[object] = []
    for value in values:
        try:
            if item_type == "integer":
                number = int(str(value))
                if not -(2**63) <= number < 2**63:  # beyond BIGINT: no row holds it
                    raise ValueError(value)
                out.append(number)
            elif item_type == "decimal":
                out.append(decimal.Decimal(str(value)))
            elif item_type == "date":
                out.append(dt.date.fromisoformat(str(value)))
            elif item_type == "boolean":
                out.append(str(value).lower() in ("true", "1", "t", "yes"))
            else:
                out.append(str(value))
        except (ValueError, decimal.InvalidOperation):
            raise ValidationFailed({"filters": [f"{field} 的取值“{value}”类型不符"]}) from None
    return out


def datastore_search(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """查询数据（须 API 令牌，调用记入使用记录）。参数：resource_id、limit（默认 100，最多 32000）、offset、
    fields、filters（仅对原样开放的信息项按值相等筛选）。返回的数据已按开放清单脱敏。"""
    resource_id = param_required(params, "resource_id", "id")
    limit = min(param_int(params, "limit", 100), DATASTORE_ROWS_MAX)
    offset = param_int(params, "offset", 0)
    wanted = param_list(params, "fields")
    filters = params.get("filters") or {}
    if isinstance(filters, str):
        try:
            filters = json.loads(filters)
        except ValueError:
            raise ValidationFailed({"filters": ["须为 JSON 对象"]}) from None
    if not isinstance(filters, dict):
        raise ValidationFailed({"filters": ["须为 JSON 对象"]})
    if param_str(params, "q").strip():
        raise ValidationFailed({"q": ["不提供全文检索：请用 filters 按原样开放的信息项筛选"]})
    if param_str(params, "sort").strip() not in ("", "_id", "_id asc"):
        raise ValidationFailed({"sort": ["只能按 _id 升序"]})
    ref = call.site.resource_ref(resource_id)
    listing = _listed(call, ref[0]) if ref else None
    if listing is None or ref is None or (call.site.datastore_format(listing) not in (None, ref[1])):
        raise NotFound(f'Resource "{resource_id}" was not found.')
    actor = call.actor()
    access = portal.retrieve(call.site.ctx, actor, listing.id, "api")
    cols, items = access.columns, {i.field_name: i for i in listing.items}
    unknown = [f for f in wanted if f not in cols.fields and f != "_id"]
    if unknown:
        raise ValidationFailed({"fields": [f"不存在或未获准的信息项：{'、'.join(unknown)}"]})
    equals: dict[str, list[object]] = {}
    for name, raw in filters.items():
        if name not in cols.fields:
            raise ValidationFailed({"filters": [f"不存在或未获准的信息项：{name}"]})
        if items[name].treatment != Treatment.KEEP:
            raise ValidationFailed(
                {
                    "filters": [
                        f"信息项“{items[name].name}”{TREATMENT_LABELS[items[name].treatment]}，不能按其取值筛选"
                    ]
                }
            )
        equals[name] = _filter_values(items[name].data_type, name, raw)
    shown = [f for f in cols.fields if not wanted or f in wanted]
    chosen = cols.subset(shown)
    total, rows = data.offset_page(call.site.ctx, listing, chosen, offset=offset, limit=limit, equals=equals)
    portal.count_rows(call.site.ctx, access.retrieval_id, len(rows))
    fields = [{"id": "_id", "type": "int"}] + [
        {
            "id": f,
            "type": opened_type(items[f], DATASTORE_TYPES),
            "info": {"label": label, "notes": TREATMENT_LABELS[items[f].treatment]},
        }
        for f, label in zip(chosen.fields, chosen.labels, strict=True)
    ]
    link = {"resource_id": resource_id} | ({"limit": limit} if "limit" in params else {})
    path = "/api/3/action/datastore_search"
    return {
        "resource_id": resource_id,
        "fields": fields,
        "records": [
            {"_id": rid, **{f: data.cell(v) for f, v in zip(chosen.fields, row, strict=True)}}
            for rid, row in rows
        ],
        "records_format": "objects",
        "total": total,
        "total_was_estimated": False,
        "limit": limit,
        "offset": offset,
        "filters": filters,
        "_links": {
            "start": f"{path}?{urlencode(link)}",
            "next": f"{path}?{urlencode({'offset': offset + limit} | link)}",
        },
        "citation": data.citation(call.site.ctx, listing, call.site.base).line(),
    }


ACTIONS: dict[str, Callable[[Call, dict[str, Any]], Any]] = {
    fn.__name__: fn
    for fn in (
        package_search,
        package_show,
        package_list,
        current_package_list_with_resources,
        organization_list,
        organization_show,
        group_list,
        group_show,
        tag_list,
        resource_show,
        status_show,
        license_list,
        site_read,
        help_show,
        datastore_search,
    )
}


# --- the endpoint -------------------------------------------------------------------------------------------


def _error(help_url: str, status: int, error: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"help": help_url, "success": False, "error": error}, status_code=status)


def _run(call: Call, name: str, payload: Payload) -> Response:
    help_url = f"{call.site.base}/api/3/action/help_show?name={name}"
    if name not in ACTIONS and _WRITE.match(name) is None:
        return JSONResponse(f"Bad request - Action name not known: {name}", status_code=400)
    if payload.error:
        return JSONResponse(f"Bad request - {payload.error}", status_code=400)
    try:
        if name == "datastore_search_sql":
            raise Forbidden(
                "不提供 SQL 查询接口：请用 datastore_search，或在开放平台申请沙箱查询（可用不可见）"
            )
        if name not in ACTIONS:
            raise Forbidden(
                "本目录只读：数据集经政务数据开放清单的编制、审核和发布流程维护，不能通过 CKAN 接口修改"
            )
        result = ACTIONS[name](call, payload.data)
    except DomainError as exc:
        call.session.rollback()  # a refused call leaves nothing behind, not even its usage record
        if isinstance(exc, ValidationFailed):
            return _error(help_url, 409, {"__type": "Validation Error", "message": exc.message, **exc.fields})
        if isinstance(exc, SearchQueryError):
            return _error(
                help_url,
                400,
                {"__type": "Search Query Error", "message": f"Search Query is invalid: {exc.message}"},
            )
        if isinstance(exc, NotFound):
            return _error(
                help_url, 404, {"__type": "Not Found Error", "message": f"Not found: {exc.message}"}
            )
        if isinstance(exc, Forbidden | Unauthenticated):
            return _error(
                help_url, 403, {"__type": "Authorization Error", "message": f"Access denied: {exc.message}"}
            )
        return _error(help_url, 409, {"__type": "Validation Error", "message": exc.message})
    return JSONResponse({"help": help_url, "success": True, "result": result})


PayloadDep = Annotated[Payload, Depends(read_payload)]


@router.api_route("/api/3/action/{name}", methods=["GET", "POST"])
@router.api_route("/api/action/{name}", methods=["GET", "POST"])
def action(name: str, request: Request, ctx: CtxDep, payload: PayloadDep) -> Response:
    return _run(Call(Site.of(ctx, str(request.base_url)), request), name, payload)


@router.get("/api/3")
def api_version() -> dict[str, int]:
    """CKAN's API root: clients read the version from it."""
    return {"version": 3}

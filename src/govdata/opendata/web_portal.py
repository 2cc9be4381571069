"""The public open-data portal (开放平台, OPEN-3): home, search with facets, dataset pages with a preview and
downloads, the published not-open and conditional lists, registration and the user's own page.

Browsing and previewing unconditional data need no account; downloads need an identity (OPEN-4) and are
streamed with the source and retrieval date inside the file (OPEN-7).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import func, select
from starlette.responses import Response

from govdata.catalog.models import OpenType, UpdateCycle
from govdata.context import Ctx
from govdata.errors import DomainError, InvalidInput
from govdata.labels import UPDATE_CYCLE
from govdata.opendata import data, feedback, files, portal, queries, search, users
from govdata.opendata.models import ListingState, OpenListing, Retrieval, Treatment
from govdata.opendata.workflow import FORMAT_LABELS, OPEN_TYPE_LABELS, TREATMENT_LABELS
from govdata.org.models import Organization, SubjectKind
from govdata.org.service import org_names
from govdata.sharing.masking import MASK_RULE_LABELS, MaskRule
from govdata.web_support import CtxDep, LoginRequired, PageActor, VisitorActor, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
FACET_TITLES = {
    "org": "提供部门",
    "domain": "领域",
    "format": "格式",
    "open_type": "开放类型",
    "update_cycle": "更新频率",
}


def _common(ctx: Ctx) -> dict[str, Any]:
    return {
        "portal_name": ctx.profile.bodies.open_portal,
        "open_types": OPEN_TYPE_LABELS,
        "cycles": UPDATE_CYCLE,
        "formats": FORMAT_LABELS,
    }


def _facet_label(name: str, value: str, orgs: dict[int, str]) -> str:
    if name == "org":
        return orgs.get(int(value), value)
    if name == "open_type":
        return OPEN_TYPE_LABELS[OpenType(value)]
    if name == "update_cycle":
        return UPDATE_CYCLE.get(UpdateCycle(value), value)
    if name == "format":
        return FORMAT_LABELS.get(value, value)
    return value


@router.get("/open")
def home(request: Request, ctx: CtxDep, actor: VisitorActor) -> Response:
    s = ctx.session
    listed = OpenListing.state == ListingState.PUBLISHED
    by_type = dict(
        s.execute(
            select(OpenListing.open_type, func.count()).where(listed).group_by(OpenListing.open_type)
        ).all()
    )
    counts = {
        "datasets": sum(by_type.values()),
        "unconditional": by_type.get(OpenType.UNCONDITIONAL, 0),
        "conditional": by_type.get(OpenType.CONDITIONAL, 0),
        "not_open": by_type.get(OpenType.NONE, 0),
        "publishers": s.execute(
            select(func.count(func.distinct(OpenListing.org_id))).where(listed)
        ).scalar_one(),
        "downloads": s.execute(select(func.count()).select_from(Retrieval)).scalar_one(),
    }
    newest = search.search(
        s, search.Query(limit=8), facets=("domain",), facet_limit=12, cache=request.app.state.open_search
    )
    orgs = org_names(ctx.session, {listing.org_id for listing in newest.listings})
    return render(
        request, "open/home.html", counts=counts, newest=newest.listings, domains=newest.facets["domain"],
        orgs=orgs, **_common(ctx),
    )  # fmt: skip


@router.get("/open/datasets")
def datasets(
    request: Request,
    ctx: CtxDep,
    actor: VisitorActor,
    q: str = Query("", max_length=200),
    org: list[int] = Query(default_factory=list),
    domain: list[str] = Query(default_factory=list),
    format: list[str] = Query(default_factory=list),
    open_type: list[OpenType] = Query(default_factory=list),
    update_cycle: list[UpdateCycle] = Query(default_factory=list),
    sort: str = Query("newest", pattern="^(newest|updated|title|downloads)$"),
    page: int = Query(1, ge=1, le=5000),
) -> Response:
    query = search.Query(
        q.strip(), org, domain, format, open_type, update_cycle, sort=sort,
        offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
    )  # fmt: skip
    found = search.search(ctx.session, query, facet_limit=15, cache=request.app.state.open_search)
    org_ids = {listing.org_id for listing in found.listings} | {
        int(v) for v, _ in found.facets.get("org", [])
    }
    orgs = org_names(ctx.session, org_ids)
    chosen = {
        "org": [str(o) for o in org], "domain": domain, "format": format,
        "open_type": [t.value for t in open_type], "update_cycle": [c.value for c in update_cycle],
    }  # fmt: skip
    params: list[tuple[str, str]] = [("q", q)] if q else []
    params += [(name, v) for name, values in chosen.items() for v in values]
    if sort != "newest":
        params.append(("sort", sort))

    def toggle(name: str, value: str) -> str:
        pair = (name, value)
        kept = [p for p in params if p != pair] if pair in params else [*params, pair]
        return "/open/datasets" + (f"?{urlencode(kept)}" if kept else "")

    def page_url(n: int) -> str:
        return "/open/datasets?" + urlencode([*params, ("page", str(n))])

    facets = [
        (
            name,
            FACET_TITLES[name],
            [(v, _facet_label(name, v, orgs), n, v in chosen[name]) for v, n in values],
        )
        for name, values in found.facets.items()
    ]
    pages = (found.total + PAGE_SIZE - 1) // PAGE_SIZE
    return render(
        request, "open/datasets.html", found=found, q=q, sort=sort, facets=facets, toggle=toggle, orgs=orgs,
        page=page, pages=pages, page_url=page_url, any_filter=bool(params), **_common(ctx),
    )  # fmt: skip


def _rule_words(item: Any) -> str:
    if item.treatment in (Treatment.KEEP, Treatment.REMOVE):
        return TREATMENT_LABELS[item.treatment]
    return f"{TREATMENT_LABELS[item.treatment]}：{MASK_RULE_LABELS[MaskRule(item.rule)]}"


@router.get("/open/datasets/{listing_id}")
def dataset(request: Request, ctx: CtxDep, actor: VisitorActor, listing_id: int) -> Response:
    listing = portal.public_listing(ctx, listing_id)
    org = ctx.session.get(Organization, listing.org_id)
    opened = [i for i in listing.items if i.treatment != Treatment.REMOVE]
    removed = [i for i in listing.items if i.treatment == Treatment.REMOVE]
    previewable = listing.state == ListingState.PUBLISHED and listing.open_type == OpenType.UNCONDITIONAL
    cols, rows = data.preview(ctx, listing) if previewable else (None, [])
    base = str(request.base_url).rstrip("/")
    application = portal.active_application(ctx, actor, listing.id) if actor else None
    qualification = portal.active_qualification(ctx, actor, listing.id) if actor and not application else None
    return render(
        request, "open/dataset.html", listing=listing, org=org, opened=opened, removed=removed, cols=cols,
        rows=rows, total_rows=data.row_count(ctx, listing) if listing.open_type != OpenType.NONE else 0,
        rule_words=_rule_words, citation=data.citation(ctx, listing, base), base=base, application=application,
        qualification=qualification, fmt_list=[f for f in listing.formats.split(",") if f], **_common(ctx),
    )  # fmt: skip


@router.get("/open/datasets/{listing_id}/download/{fmt}")
def download(request: Request, actor: VisitorActor, listing_id: int, fmt: str) -> Response:
    """Streamed in keyset chunks with its own session: the file may be larger than memory."""
    if fmt not in data.FORMATS:
        raise InvalidInput("格式只能是 csv、xlsx 或 json")
    if actor is None:
        raise LoginRequired("下载开放数据须先登录（实名认证）")
    ctx = Ctx(session=request.app.state.session_factory(), clock=request.app.state.clock)
    try:
        access = portal.retrieve(ctx, actor, listing_id, "download", fmt)
        ctx.session.commit()  # the taking is on record before any row leaves
    except BaseException:
        ctx.session.rollback()
        ctx.session.close()
        raise
    cite = data.citation(ctx, access.listing, str(request.base_url))

    def chunks() -> Iterator[tuple[bytes, int]]:
        if fmt == "xlsx":
            return data.xlsx_chunks(access.columns, cite, data.batches(ctx, access.listing, access.columns))
        store = request.app.state.open_files
        return files.payload(ctx, store, access.listing, access.columns, cite, fmt).chunks()

    def body() -> Iterator[bytes]:
        sent = 0
        try:
            for chunk, count in chunks():
                sent += count
                if chunk:
                    yield chunk
        finally:
            try:
                ctx.session.rollback()
                portal.count_rows(ctx, access.retrieval_id, sent)
                ctx.session.commit()
            finally:
                ctx.session.close()

    name = f"open-{listing_id}-{ctx.clock.today().isoformat()}.{fmt}"
    return StreamingResponse(
        body(),
        media_type=data.MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Data-Source": _ascii(cite.url)},
    )


def _ascii(text: str) -> str:
    return text.encode("ascii", "ignore").decode()


@router.get("/open/not-open")
def not_open(request: Request, ctx: CtxDep, actor: VisitorActor) -> Response:
    """HN20: the not-open and conditional lists are published with their legal bases."""
    rows = list(
        ctx.session.scalars(
            select(OpenListing)
            .where(
                OpenListing.state.in_(search.LISTED),
                OpenListing.open_type.in_([OpenType.NONE, OpenType.CONDITIONAL]),
            )
            .order_by(OpenListing.open_type, OpenListing.org_id, OpenListing.title)
        )
    )
    orgs = org_names(ctx.session, {r.org_id for r in rows})
    return render(
        request, "open/not_open.html", closed=[r for r in rows if r.open_type == OpenType.NONE],
        conditional=[r for r in rows if r.open_type == OpenType.CONDITIONAL], orgs=orgs, **_common(ctx),
    )  # fmt: skip


def _form_value(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.get("/open/register")
def register_form(request: Request, ctx: CtxDep, actor: VisitorActor) -> Response:
    if actor is not None:
        return RedirectResponse("/open/me", status_code=303)
    return render(
        request, "open/register.html", form={"subject_kind": "person"}, problem=None, **_common(ctx)
    )


@router.post("/open/register")
async def register(request: Request) -> Response:
    form = await request.form()
    values = {k: _form_value(form, k) for k in ("username", "display_name", "subject_kind", "subject_id")}
    password, again = form.get("password"), form.get("password_again")
    session = request.app.state.session_factory()
    ctx = Ctx(session=session, clock=request.app.state.clock)
    try:
        try:
            if not isinstance(password, str) or password != again:
                raise InvalidInput("两次输入的密码不一致")
            try:
                kind = SubjectKind(values["subject_kind"])
            except ValueError:
                raise InvalidInput("请选择主体类型：自然人或法人/其他组织") from None
            if len(values["display_name"]) < 2:
                raise InvalidInput("请填写姓名或单位全称")
            users.register(
                ctx,
                users.Registration(
                    values["username"], values["display_name"], kind, values["subject_id"], password
                ),
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            return render(
                request,
                "open/register.html",
                status_code=422,
                form=values,
                problem=exc.message,
                **_common(ctx),
            )
    finally:
        session.close()
    return RedirectResponse("/login?next=/open/me&msg=" + "注册成功，请登录", status_code=303)


@router.get("/open/me")
def me(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    from govdata.org.models import User

    user = ctx.session.get(User, actor.user_id) if actor.user_id else None
    held = users.active_suspension(ctx, actor.user_id) if actor.user_id else None
    taken = queries.retrievals_of_user(ctx, actor.user_id, 30) if actor.user_id else []
    titles = dict(
        ctx.session.execute(
            select(OpenListing.id, OpenListing.title).where(OpenListing.id.in_({t.listing_id for t in taken}))
        ).all()
    ) if taken else {}  # fmt: skip
    return render(
        request, "open/me.html", user=user, held=held, taken=taken, titles=titles,
        masked_subject=feedback.mask_subject(user.subject_id if user else None), **_common(ctx),
    )  # fmt: skip

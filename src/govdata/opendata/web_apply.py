"""Pages of conditional-open applications (OPEN-4) and the sandbox (OPEN-8).

Applicants use portal pages: the application form (what happens next and by when), their list, one application
with the full texts to sign, the download links once active, and the sandbox. Providers and the authority use
staff pages: the inbox with due labels and the answer forms on the same application page. Routes only read and
call the use cases; every POST carries the session's CSRF token; a refused form is shown again with what was
typed and the Chinese reason, and nothing of it is written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from govdata.audit.service import sm3_hex
from govdata.authz import Actor, Permission, can
from govdata.context import Ctx
from govdata.errors import DomainError, Forbidden, InvalidInput
from govdata.opendata import agreements, applications, sandbox
from govdata.opendata.applications import (
    AnswerIn,
    ApplicationIn,
    ExtendIn,
    RefuseIn,
    SignIn,
    item_list,
)
from govdata.opendata.models import AgreementKind, ApplicationState, OpenApplication, OpenListing
from govdata.opendata.schemas import ReasonIn
from govdata.opendata.service import get_listing
from govdata.opendata.workflow import FORMAT_LABELS, OPEN_TYPE_LABELS, TREATMENT_LABELS
from govdata.org.models import Role
from govdata.profiles.schema import Limit
from govdata.web_support import (
    FORM_ERRORS,
    CtxDep,
    PageActor,
    Posted,
    check_csrf,
    parse_form,
    redirect_with,
    render,
)
from govdata.web_support import form_text as _text

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
S = ApplicationState

LABELS = {
    "listing_id": "数据集",
    "purpose": "使用用途",
    "items": "信息项",
    "security_measures": "安全保护措施",
    "term_days": "使用期限（天）",
    "sandbox_only": "只申请沙箱查询",
    "days": "天数",
    "note": "答复意见",
    "reason": "理由",
    "basis": "法律法规或政策依据",
    "head_approved": "主要负责人同意",
    "kind": "签署的文本",
    "agree": "我已阅读并同意",
    "text_sm3": "文本摘要",
}


# ---------------------------------------------------------------- plumbing


def _parse(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return parse_form(model, data, LABELS)


_go = redirect_with


def _limit(ctx: Ctx) -> dict[str, Any]:
    """The answer limit of the profile in the words a reader needs: days, due date, extension rule, basis."""
    limit = ctx.profile.limit(Limit.OPEN_APPLICATION_ANSWER)
    code = ctx.profile.code
    if limit.basis == "default":
        basis = f"《{ctx.profile.regulation}》未规定期限，平台按默认 {limit.days} 个工作日"
    elif limit.basis.startswith(code) and limit.basis[len(code) :].isdigit():
        basis = f"依据《{ctx.profile.regulation}》第{limit.basis[len(code) :]}条"
    else:
        basis = f"依据《{ctx.profile.regulation}》{limit.basis}"
    return {
        "days": limit.days,
        "due": ctx.calendar.add_workdays(ctx.clock.today(), limit.days),
        "extension_days": limit.extension_days,
        "extension_requires": limit.extension_requires,
        "basis": basis,
        "note": limit.note,
    }


def _common(ctx: Ctx) -> dict[str, Any]:
    return {
        "portal_name": ctx.profile.bodies.open_portal,
        "authority": ctx.profile.bodies.authority,
        "STATES": applications.STATE_LABELS,
        "TREATMENTS": TREATMENT_LABELS,
        "OPEN_TYPES": OPEN_TYPE_LABELS,
        "FORMATS": FORMAT_LABELS,
        "KINDS": agreements.KIND_LABELS,
        "today": ctx.clock.today(),
    }


def _is_applicant_view(actor: Actor) -> bool:
    return actor.role == Role.PUBLIC_USER


# ---------------------------------------------------------------- the application form


def _form_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    listing: OpenListing,
    *,
    values: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    existing = applications.open_application(ctx, actor.user_id or 0, listing.id)
    opened = [i for i in listing.items if i.field_name in applications.opened_items(listing)]
    return render(
        request,
        "open/apply_form.html",
        status_code=status_code,
        listing=listing,
        opened=opened,
        existing=existing,
        v=values
        or {
            "items": [i.field_name for i in opened],
            "purpose": "",
            "security_measures": "",
            "term_days": "90",
            "sandbox_only": False,
        },
        errors=errors or [],
        limit=_limit(ctx),
        k=ctx.profile.open_min_group_size,
        max_term=applications.MAX_TERM_DAYS,
        **_common(ctx),
    )


def _applicable(ctx: Ctx, actor: Actor, listing_id: int) -> OpenListing:
    applications.applicant_user(ctx, actor)
    listing = get_listing(ctx, listing_id)
    applications.require_applicable(listing)
    return listing


@router.get("/open/datasets/{listing_id:int}/apply")
def apply_form(request: Request, ctx: CtxDep, actor: PageActor, listing_id: int) -> Response:
    return _form_page(request, ctx, actor, _applicable(ctx, actor, listing_id))


@router.post("/open/datasets/{listing_id:int}/apply", dependencies=[Csrf])
def apply_submit(request: Request, ctx: CtxDep, actor: PageActor, listing_id: int, form: Posted) -> Response:
    listing = _applicable(ctx, actor, listing_id)
    values = {
        "items": [i for i in form.getlist("items") if isinstance(i, str) and i],
        "purpose": _text(form, "purpose", 2000),
        "security_measures": _text(form, "security_measures"),
        "term_days": _text(form, "term_days", 10),
        "sandbox_only": bool(_text(form, "sandbox_only", 10)),
    }
    try:
        if not values["items"]:
            raise InvalidInput("请至少选择一个要申请的信息项")
        data = _parse(ApplicationIn, {**values, "listing_id": listing.id})
        application = applications.submit(ctx, actor, data)
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _form_page(
            request, ctx, actor, listing, values=values, errors=[exc.message], status_code=exc.http_status
        )
    due = application.due_date.isoformat() if application.due_date else "规定时限内"
    return _go(
        f"/open/applications/{application.id}",
        f"申请已提交（编号 {application.id}），{listing.org.name}应于 {due} 前答复",
    )


# ---------------------------------------------------------------- lists


@router.get("/open/me/applications")
def my_applications(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    rows = applications.list_applications(ctx, actor, "mine")
    return render(request, "open/apply_mine.html", rows=rows, limit=_limit(ctx), **_common(ctx))


@router.get("/open/manage/applications")
def manage_applications(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    scope: str = Query("", max_length=20),
    state: str = Query("", max_length=20),
) -> Response:
    tabs = []
    if can(actor, Permission.OPEN_ANSWER) and actor.org_id is not None:
        tabs.append(("inbox", "本单位数据集的申请"))
    if can(actor, Permission.OPEN_SUPERVISE):
        tabs.append(("jurisdiction", "本级及下级的申请"))
    if not tabs:
        raise Forbidden("只有数据提供单位和数据主管机构可以办理有条件开放申请")
    if scope not in {key for key, _ in tabs}:
        scope = tabs[0][0]
    rows = applications.list_applications(ctx, actor, scope)
    waiting = sum(1 for r in rows if r.application.state == S.PENDING)
    late = sum(1 for r in rows if r.due is not None and r.due.overdue)
    if state in {s.value for s in S}:
        rows = [r for r in rows if r.application.state.value == state]
    else:
        state = ""
    rows.sort(
        key=lambda r: (
            r.application.state != S.PENDING,
            r.application.due_date or r.application.created_at.date(),
        )
    )
    return render(
        request,
        "open/manage_applications.html",
        rows=rows,
        tabs=tabs,
        scope=scope,
        state=state,
        waiting=waiting,
        late=late,
        limit=_limit(ctx),
        **_common(ctx),
    )


# ---------------------------------------------------------------- one application


def _can(actor: Actor, application: OpenApplication) -> dict[str, bool]:
    """Which forms the viewer may use: the use cases' own rules, so only forms that can succeed are offered."""
    state = application.state
    provider = can(actor, Permission.OPEN_ANSWER) and actor.org_id == application.provider_org_id
    applicant = actor.user_id == application.applicant_id
    answering = provider and state == S.PENDING
    return {
        "provider": provider,
        "applicant": applicant,
        "answer": answering,
        "extend": answering and application.extended_at is None,
        "withdraw": applicant and state in (S.PENDING, S.APPROVED),
        "sign": applicant and state == S.APPROVED,
        "revoke": provider and state == S.ACTIVE,
    }


def _detail(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    application_id: int,
    *,
    errors: list[str] | None = None,
    failed: str = "",
    kept: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    application = applications.get_application(ctx, actor, application_id)
    listing = application.listing
    names = {i.field_name: i.name for i in listing.items}
    done = applications.signed(ctx, application.id)
    to_sign = []
    if application.state == S.APPROVED:
        for kind in applications.SIGNED_KINDS:
            if kind not in done:
                words = applications.agreement_text(ctx, application, kind)
                to_sign.append((kind, words, sm3_hex(words.encode("utf-8"))))
    today = ctx.clock.today()
    in_term = (
        application.state == S.ACTIVE
        and application.access_from is not None
        and application.access_until is not None
        and application.access_from <= today <= application.access_until
    )
    asked = item_list(application.items)
    kept = kept or {}
    limit = _limit(ctx)
    return render(
        request,
        "open/apply_detail.html",
        status_code=status_code,
        layout="open/base.html" if _is_applicant_view(actor) else "base.html",
        a=application,
        listing=listing,
        names=names,
        asked=[(f, names.get(f, f)) for f in asked],
        approved=[(f, names.get(f, f)) for f in item_list(application.approved_items)],
        shown_state=applications.shown_state(application, today),
        due=applications.answer_due(ctx, application),
        signed=[(kind, done[kind]) for kind in applications.SIGNED_KINDS if kind in done],
        intact={kind: agreements.verify(a) for kind, a in done.items()},
        to_sign=to_sign,
        in_term=in_term,
        downloads=[] if application.sandbox_only else listing.formats.split(","),
        can=_can(actor, application),
        limit=limit,
        errors=errors or [],
        failed=failed,
        kept={
            "items": kept.get("items", asked),
            "days": kept.get("days", str(application.term_days)),
            "sandbox_only": kept.get("sandbox_only", application.sandbox_only),
            **{k: v for k, v in kept.items() if k not in ("items", "days", "sandbox_only")},
        },
        **_common(ctx),
    )


@router.get("/open/applications/{application_id:int}")
def application_page(request: Request, ctx: CtxDep, actor: PageActor, application_id: int) -> Response:
    return _detail(request, ctx, actor, application_id)


def _failed(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    application_id: int,
    exc: DomainError,
    failed: str,
    kept: dict[str, Any],
) -> Response:
    ctx.session.rollback()  # nothing of a refused form may remain
    return _detail(
        request, ctx, actor, application_id, errors=[exc.message], failed=failed, kept=kept,
        status_code=exc.http_status,
    )  # fmt: skip


@router.post("/open/applications/{application_id:int}/approve", dependencies=[Csrf])
def approve(request: Request, ctx: CtxDep, actor: PageActor, application_id: int, form: Posted) -> Response:
    in_part = _text(form, "mode", 20) == "partial"
    kept: dict[str, Any] = {"note": _text(form, "note", 2000)}
    body: dict[str, Any] = {"note": kept["note"]}
    if in_part:
        kept |= {
            "items": [i for i in form.getlist("items") if isinstance(i, str) and i],
            "days": _text(form, "days", 10),
            "sandbox_only": bool(_text(form, "sandbox_only", 10)),
        }
        body |= {"items": kept["items"], "days": kept["days"], "sandbox_only": kept["sandbox_only"]}
    try:
        if in_part and not kept["items"]:
            raise InvalidInput("至少同意一个信息项；全部不同意请选择“不予同意”并说明理由和依据")
        application = applications.approve(ctx, actor, application_id, _parse(AnswerIn, body))
    except FORM_ERRORS as exc:
        return _failed(request, ctx, actor, application_id, exc, "partial" if in_part else "approve", kept)
    return _go(
        f"/open/applications/{application.id}",
        f"已{'部分' if in_part else ''}同意，申请人在线签署安全承诺书和数据使用协议后即可使用",
    )


@router.post("/open/applications/{application_id:int}/refuse", dependencies=[Csrf])
def refuse(request: Request, ctx: CtxDep, actor: PageActor, application_id: int, form: Posted) -> Response:
    kept = {"reason": _text(form, "reason", 2000), "basis": _text(form, "basis", 2000)}
    try:
        application = applications.refuse(ctx, actor, application_id, _parse(RefuseIn, kept))
    except FORM_ERRORS as exc:
        return _failed(request, ctx, actor, application_id, exc, "refuse", kept)
    return _go(f"/open/applications/{application.id}", "已答复不予同意，理由和依据已告知申请人")


@router.post("/open/applications/{application_id:int}/extend", dependencies=[Csrf])
def extend(request: Request, ctx: CtxDep, actor: PageActor, application_id: int, form: Posted) -> Response:
    kept: dict[str, Any] = {
        "extend_days": _text(form, "days", 10),
        "extend_reason": _text(form, "reason", 2000),
        "head_approved": bool(_text(form, "head_approved", 10)),
    }
    body = {
        "days": kept["extend_days"],
        "reason": kept["extend_reason"],
        "head_approved": kept["head_approved"],
    }
    try:
        application = applications.extend(ctx, actor, application_id, _parse(ExtendIn, body))
    except FORM_ERRORS as exc:
        return _failed(request, ctx, actor, application_id, exc, "extend", kept)
    due = application.due_date.isoformat() if application.due_date else ""
    return _go(f"/open/applications/{application.id}", f"答复期限已延长至 {due}，延期理由已告知申请人")


@router.post("/open/applications/{application_id:int}/withdraw", dependencies=[Csrf])
def withdraw(request: Request, ctx: CtxDep, actor: PageActor, application_id: int) -> Response:
    try:
        application = applications.withdraw(ctx, actor, application_id)
    except FORM_ERRORS as exc:
        return _failed(request, ctx, actor, application_id, exc, "withdraw", {})
    return _go(f"/open/applications/{application.id}", f"已撤回申请（编号 {application.id}）")


@router.post("/open/applications/{application_id:int}/sign", dependencies=[Csrf])
def sign(request: Request, ctx: CtxDep, actor: PageActor, application_id: int, form: Posted) -> Response:
    raw_kind = _text(form, "kind", 40)
    body = {
        "kind": raw_kind,
        "agree": bool(_text(form, "agree", 10)),
        "text_sm3": _text(form, "text_sm3", 64),
    }
    try:
        application = applications.sign(ctx, actor, application_id, _parse(SignIn, body))
    except FORM_ERRORS as exc:
        return _failed(request, ctx, actor, application_id, exc, f"sign-{raw_kind}", {})
    label = agreements.KIND_LABELS.get(AgreementKind(raw_kind), raw_kind)
    if application.state == S.ACTIVE:
        until = application.access_until.isoformat() if application.access_until else ""
        message = f"已签署《{label}》，申请已生效：使用期限至 {until}"
    else:
        message = f"已签署《{label}》，请继续签署另一份文本"
    return _go(f"/open/applications/{application.id}", message)


@router.post("/open/applications/{application_id:int}/revoke", dependencies=[Csrf])
def revoke(request: Request, ctx: CtxDep, actor: PageActor, application_id: int, form: Posted) -> Response:
    kept = {"revoke_reason": _text(form, "reason", 2000)}
    try:
        application = applications.revoke(
            ctx, actor, application_id, _parse(ReasonIn, {"reason": kept["revoke_reason"]})
        )
    except FORM_ERRORS as exc:
        return _failed(request, ctx, actor, application_id, exc, "revoke", kept)
    return _go(f"/open/applications/{application.id}", "已终止使用，申请人不能再获取数据，应删除已获取的数据")


# ---------------------------------------------------------------- the sandbox


def _sandbox_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    application_id: int,
    *,
    sql: str = "",
    result: sandbox.SandboxResult | None = None,
    status_code: int = 200,
) -> Response:
    application = sandbox.usable_application(ctx, actor, application_id)
    return render(
        request,
        "open/apply_sandbox.html",
        status_code=status_code,
        a=application,
        listing=application.listing,
        columns=sandbox.columns_of(ctx, application),
        k=ctx.profile.open_min_group_size,
        max_groups=sandbox.MAX_GROUPS,
        max_sql=sandbox.MAX_SQL,
        sql=sql,
        result=result,
        past=sandbox.history(ctx, actor, application.id),
        **_common(ctx),
    )


@router.get("/open/applications/{application_id:int}/sandbox")
def sandbox_page(request: Request, ctx: CtxDep, actor: PageActor, application_id: int) -> Response:
    return _sandbox_page(request, ctx, actor, application_id)


@router.post("/open/applications/{application_id:int}/sandbox", dependencies=[Csrf])
def sandbox_run(
    request: Request, ctx: CtxDep, actor: PageActor, application_id: int, form: Posted
) -> Response:
    sql = _text(form, "sql", sandbox.MAX_SQL + 1)
    result = sandbox.run(ctx, actor, application_id, sql)
    # A refusal is an answer too: the page says why, and the attempt stays on record (the transaction commits).
    status = 200 if result.outcome == "answered" else 422
    return _sandbox_page(request, ctx, actor, application_id, sql=sql, result=result, status_code=status)

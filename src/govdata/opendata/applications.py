"""Conditional-open applications (有条件开放申请, OPEN-4): apply, answer, extend, sign, withdraw, revoke, sweep.

A registered portal user (a person or organisation with a checked ID number / USCC) applies for a published
conditional dataset. The provider department answers within the profile's working days (WZ31: 10, extendable
once by up to 10 with its head's approval), approving in whole or in part, or refusing with a reason and a
legal basis. After approval the applicant signs the security commitment (AB32) and the data use agreement
(SC33) online; signing both starts the term. `portal.retrieve` then lets out the approved items only.

The request shapes live here rather than in `schemas.py` because this module is their only user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from govdata.audit.service import record, record_late_once, sm3_hex
from govdata.authz import Actor, Permission, can, in_jurisdiction, require, system_actor
from govdata.catalog.models import OpenType
from govdata.context import Ctx
from govdata.deadlines import DueInfo, due_info
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import agreements
from govdata.opendata.models import (
    Agreement,
    AgreementKind,
    ApplicationState,
    ApplicationStep,
    OpenApplication,
    OpenListing,
    Treatment,
)
from govdata.opendata.schemas import ReasonIn
from govdata.opendata.service import get_listing, require_usable
from govdata.opendata.users import require_portal_use
from govdata.opendata.workflow import TREATMENT_LABELS
from govdata.org.models import Organization, Role, SubjectKind, User
from govdata.profiles.schema import Limit
from govdata.textguard import OptionalSafeText, SafeText

S = ApplicationState
TEXT_VERSION = "2026.1"  # the wording of both signed texts; change it whenever a word changes
MAX_TERM_DAYS = 1095
SIGNED_KINDS = (AgreementKind.SECURITY_COMMITMENT, AgreementKind.DATA_USE)

STATE_LABELS: dict[ApplicationState, str] = {
    S.PENDING: "待答复",
    S.APPROVED: "已同意，待签署",
    S.ACTIVE: "使用中",
    S.REFUSED: "不予同意",
    S.WITHDRAWN: "已撤回",
    S.ENDED: "已终止",
}

MOVES: dict[str, tuple[frozenset[ApplicationState], ApplicationState]] = {
    "approve": (frozenset({S.PENDING}), S.APPROVED),
    "refuse": (frozenset({S.PENDING}), S.REFUSED),
    "extend": (frozenset({S.PENDING}), S.PENDING),
    "withdraw": (frozenset({S.PENDING, S.APPROVED}), S.WITHDRAWN),
    "sign": (frozenset({S.APPROVED}), S.APPROVED),
    "activate": (frozenset({S.APPROVED}), S.ACTIVE),
    "revoke": (frozenset({S.ACTIVE}), S.ENDED),
    "expire": (frozenset({S.ACTIVE}), S.ENDED),
}

MOVE_LABELS: dict[str, str] = {
    "approve": "同意",
    "refuse": "拒绝",
    "extend": "延期答复",
    "withdraw": "撤回",
    "sign": "签署",
    "activate": "生效",
    "revoke": "终止使用",
    "expire": "期满终止",
}

SUBJECT_LABELS: dict[SubjectKind, str] = {
    SubjectKind.PERSON: "公民身份号码",
    SubjectKind.ORGANISATION: "统一社会信用代码",
}

# Still open for the same applicant and dataset: a second application would only duplicate it.
_OPEN_STATES = (S.PENDING, S.APPROVED, S.ACTIVE)


# ---------------------------------------------------------------- request shapes


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    listing_id: int = Field(title="数据集编号")
    purpose: SafeText = Field(min_length=2, max_length=2000, title="使用用途")
    items: list[str] = Field(min_length=1, max_length=200, title="申请的信息项")
    security_measures: SafeText = Field(min_length=2, max_length=4000, title="安全保护措施")
    term_days: int = Field(ge=1, le=MAX_TERM_DAYS, title="使用期限（天）")
    sandbox_only: bool = Field(default=False, title="只申请“可用不可见”沙箱查询，不下载数据")


class AnswerIn(BaseModel):
    """Approve whole (nothing given) or in part: fewer items, a shorter term, sandbox only; a note says why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    items: list[str] | None = Field(default=None, max_length=200, title="同意的信息项")
    days: int | None = Field(default=None, ge=1, le=MAX_TERM_DAYS, title="同意的使用期限（天）")
    sandbox_only: bool = Field(default=False, title="只同意沙箱查询")
    note: OptionalSafeText = Field(default=None, max_length=2000, title="答复意见")


class RefuseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: SafeText = Field(min_length=2, max_length=2000, title="不予同意的理由")
    basis: SafeText = Field(min_length=2, max_length=2000, title="法律法规或政策依据")


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    days: int = Field(ge=1, le=60, title="延长的工作日数")
    reason: SafeText = Field(min_length=2, max_length=2000, title="延期理由")
    head_approved: bool = Field(default=False, title="已经单位主要负责人同意")


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: AgreementKind = Field(title="签署的文本：security_commitment 安全承诺书 / data_use 数据使用协议")
    agree: bool = Field(default=False, title="我已阅读并同意")
    text_sm3: str | None = Field(
        default=None,
        pattern="^[0-9a-f]{64}$",
        title="所阅读文本的 SM3 摘要（可选，防止签署与阅读的文本不一致）",
    )


# ---------------------------------------------------------------- small helpers


def check(state: ApplicationState, move: str) -> ApplicationState:
    allowed, to = MOVES[move]
    if state not in allowed:
        raise InvalidTransition(f"该申请当前为“{STATE_LABELS[state]}”，不能{MOVE_LABELS[move]}")
    return to


def item_list(raw: str | None) -> list[str]:
    return [f for f in (raw or "").split(",") if f]


def granted(application: OpenApplication) -> list[str]:
    """The items the application lets the applicant use: approved ones once answered."""
    return item_list(application.approved_items or application.items)


def opened_items(listing: OpenListing) -> dict[str, str]:
    """Field name → Chinese name of the items the listing opens (never the removed ones)."""
    return {i.field_name: i.name for i in listing.items if i.treatment != Treatment.REMOVE}


def item_words(listing: OpenListing, fields: list[str]) -> str:
    """Items by Chinese name with how each is de-identified: 姓名（脱敏后开放）、户籍地址（脱敏后开放）."""
    by_field = {i.field_name: i for i in listing.items}
    words = []
    for f in fields:
        item = by_field.get(f)
        words.append(f"{item.name}（{TREATMENT_LABELS[item.treatment]}）" if item else f)
    return "、".join(words)


def shown_state(application: OpenApplication, today: dt.date) -> str:
    """An active application past its last day shows as ended before the sweep catches it."""
    if application.state == S.ACTIVE and application.access_until and application.access_until < today:
        return "已到期"
    return STATE_LABELS[application.state]


def answer_due(ctx: Ctx, application: OpenApplication) -> DueInfo | None:
    if application.state != S.PENDING or application.due_date is None:
        return None
    return due_info(ctx.calendar, application.due_date, ctx.clock.today())


def _step(
    ctx: Ctx, actor: Actor, application: OpenApplication, to: ApplicationState, note: str | None
) -> None:
    application.steps.append(
        ApplicationStep(
            from_state=application.state.value if application.state else None,
            to_state=to.value,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            note=note,
            at=ctx.clock.now(),
        )
    )
    application.state = to
    application.updated_at = ctx.clock.now()


# ---------------------------------------------------------------- who may act


def applicant_user(ctx: Ctx, actor: Actor) -> User:
    """Only a registered, identified portal user applies and signs (OPEN-4): a person or an organisation."""
    require_portal_use(ctx, actor)
    user = ctx.session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or user.role != Role.PUBLIC_USER or not user.subject_id or user.subject_kind is None:
        raise Forbidden(
            "有条件开放数据须以实名注册的开放平台账号（个人或单位）申请；政务部门使用数据请通过共享交换申请"
        )
    return user


def require_applicable(listing: OpenListing) -> None:
    """Only a published conditional dataset takes applications; every other case says what to do instead."""
    require_usable(listing)
    if listing.open_type == OpenType.UNCONDITIONAL:
        raise InvalidInput("该数据集为无条件开放，登录后即可直接下载或调用接口，无需申请")


def _involved(actor: Actor, application: OpenApplication) -> bool:
    if actor.is_system or (actor.user_id is not None and actor.user_id == application.applicant_id):
        return True
    if can(actor, Permission.OPEN_ANSWER) and actor.org_id == application.provider_org_id:
        return True
    return can(actor, Permission.OPEN_SUPERVISE) and in_jurisdiction(actor, application.listing.region_path)


def get_application(ctx: Ctx, actor: Actor, application_id: int) -> OpenApplication:
    """The applicant, the provider department and the supervising authority see an application; nobody else."""
    if not actor.is_system and not (
        actor.permissions & {Permission.OPEN_USE, Permission.OPEN_ANSWER, Permission.OPEN_SUPERVISE}
    ):
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    application = ctx.session.get(OpenApplication, application_id)
    if application is None or not _involved(actor, application):
        raise NotFound(f"有条件开放申请 {application_id} 不存在或无权查看")
    return application


def _as_provider(actor: Actor, application: OpenApplication) -> None:
    require(actor, Permission.OPEN_ANSWER)
    if not actor.is_system and actor.org_id != application.provider_org_id:
        raise Forbidden("只有数据提供单位可以答复或终止该申请")


def _as_applicant(actor: Actor, application: OpenApplication) -> None:
    if not actor.is_system and actor.user_id != application.applicant_id:
        raise Forbidden("只有申请人本人可以办理此操作")


# ---------------------------------------------------------------- apply


def _chosen(listing: OpenListing, wanted: list[str]) -> list[str]:
    opened = opened_items(listing)
    unknown = [w for w in wanted if w not in opened]
    if unknown:
        raise InvalidInput(f"信息项 {'、'.join(unknown)} 不在该数据集开放的信息项中")
    if len(set(wanted)) != len(wanted):
        raise InvalidInput("信息项重复")
    chosen = set(wanted)
    return [f for f in opened if f in chosen]  # the listing's order


def open_application(ctx: Ctx, user_id: int, listing_id: int) -> OpenApplication | None:
    """The user's application for the dataset that is still pending, approved or in its term."""
    today = ctx.clock.today()
    for application in ctx.session.scalars(
        select(OpenApplication)
        .where(
            OpenApplication.applicant_id == user_id,
            OpenApplication.listing_id == listing_id,
            OpenApplication.state.in_(_OPEN_STATES),
        )
        .order_by(OpenApplication.id.desc())
    ):
        if application.state != S.ACTIVE or (application.access_until and application.access_until >= today):
            return application
    return None


def submit(ctx: Ctx, actor: Actor, data: ApplicationIn) -> OpenApplication:
    user = applicant_user(ctx, actor)
    listing = get_listing(ctx, data.listing_id)
    require_applicable(listing)
    items = _chosen(listing, data.items)
    same = open_application(ctx, user.id, listing.id)
    if same is not None:
        raise Conflict(
            f"您已有该数据集的申请（编号 {same.id}，{STATE_LABELS[same.state]}），请勿重复申请；"
            "如需变更，请先撤回原申请"
        )
    limit = ctx.profile.limit(Limit.OPEN_APPLICATION_ANSWER)
    due = ctx.calendar.add_workdays(ctx.clock.today(), limit.days)
    now = ctx.clock.now()
    application = OpenApplication(
        listing_id=listing.id,
        provider_org_id=listing.org_id,
        applicant_id=user.id,
        purpose=data.purpose,
        items=",".join(items),
        security_measures=data.security_measures,
        term_days=data.term_days,
        sandbox_only=data.sandbox_only,
        due_date=due,
        created_at=now,
        updated_at=now,
    )
    _step(ctx, actor, application, S.PENDING, f"提交申请，提供单位应于 {due.isoformat()} 前答复")
    ctx.session.add(application)
    ctx.session.flush()
    record(ctx, actor, "open.application.submit", "open_application", application.id, purpose=data.purpose,
           detail={"listing": listing.id, "items": items, "term_days": data.term_days,
                   "sandbox_only": data.sandbox_only, "due": due})  # fmt: skip
    return application


# ---------------------------------------------------------------- answer


def approve(ctx: Ctx, actor: Actor, application_id: int, data: AnswerIn) -> OpenApplication:
    """Whole, or in part: fewer items, a shorter term, or the sandbox only — never more than asked."""
    application = get_application(ctx, actor, application_id)
    _as_provider(actor, application)
    to = check(application.state, "approve")
    asked = item_list(application.items)
    items = data.items if data.items is not None else asked
    extra = [i for i in items if i not in asked]
    if extra:
        raise InvalidInput(f"只能同意申请中的信息项；{'、'.join(extra)} 未被申请")
    if not items:
        raise InvalidInput("至少同意一个信息项；全部不同意请选择“不予同意”并说明理由和依据")
    days = data.days or application.term_days
    if days > application.term_days:
        raise InvalidInput(f"同意的使用期限不能超过申请的 {application.term_days} 天")
    sandbox_only = application.sandbox_only or data.sandbox_only
    chosen = set(items)
    items = [i for i in asked if i in chosen]
    partial = items != asked or days != application.term_days or sandbox_only != application.sandbox_only
    if partial and not data.note:
        raise InvalidInput("部分同意时须在答复意见中说明不同意部分的理由")
    application.approved_items = ",".join(items)
    application.approved_days = days
    application.sandbox_only = sandbox_only
    application.answer = data.note
    application.answered_by_id = actor.user_id
    application.answered_at = ctx.clock.now()
    application.due_date = None
    said = "部分同意" if partial else "同意"
    note = f"{said}：{item_words(application.listing, items)}，期限 {days} 天" + (
        "，仅限沙箱查询" if sandbox_only else ""
    )
    _step(ctx, actor, application, to, note + (f"。{data.note}" if data.note else ""))
    record(ctx, actor, "open.application.approve", "open_application", application.id,
           detail={"items": items, "days": days, "partial": partial, "sandbox_only": sandbox_only})  # fmt: skip
    return application


def refuse(ctx: Ctx, actor: Actor, application_id: int, data: RefuseIn) -> OpenApplication:
    application = get_application(ctx, actor, application_id)
    _as_provider(actor, application)
    to = check(application.state, "refuse")
    application.answer, application.answer_basis = data.reason, data.basis
    application.answered_by_id, application.answered_at = actor.user_id, ctx.clock.now()
    application.due_date = None
    _step(ctx, actor, application, to, f"{data.reason}（依据：{data.basis}）")
    record(ctx, actor, "open.application.refuse", "open_application", application.id,
           detail={"reason": data.reason, "basis": data.basis})  # fmt: skip
    return application


def extend(ctx: Ctx, actor: Actor, application_id: int, data: ExtendIn) -> OpenApplication:
    """Once, before the due date, by up to the profile's extension days, with the head's approval on record."""
    application = get_application(ctx, actor, application_id)
    _as_provider(actor, application)
    to = check(application.state, "extend")
    limit = ctx.profile.limit(Limit.OPEN_APPLICATION_ANSWER)
    if limit.extension_days == 0:
        raise InvalidInput(f"《{ctx.profile.regulation}》未规定可以延长答复期限")
    if application.extended_at is not None:
        raise Conflict(f"答复期限只能延长一次，已于 {application.extended_at.date().isoformat()} 延长")
    if application.due_date is None or ctx.clock.today() > application.due_date:
        raise InvalidInput(f"答复期限（{application.due_date}）已过，不能再延期，请尽快答复")
    if data.days > limit.extension_days:
        raise InvalidInput(f"最多可延长 {limit.extension_days} 个工作日")
    if limit.extension_requires and not data.head_approved:
        raise InvalidInput(f"延长答复期限须{limit.extension_requires}，请确认已取得同意")
    was = application.due_date
    application.due_date = ctx.calendar.add_workdays(was, data.days)
    application.extended_at = ctx.clock.now()
    head = f"（{limit.extension_requires}）" if limit.extension_requires else ""
    application.extension_reason = data.reason + head
    _step(ctx, actor, application, to,
          f"答复期限延长 {data.days} 个工作日：{was.isoformat()} → {application.due_date.isoformat()}。"
          f"理由：{data.reason}{head}")  # fmt: skip
    record(ctx, actor, "open.application.extend", "open_application", application.id,
           detail={"days": data.days, "from": was, "to": application.due_date, "reason": data.reason,
                   "head_approved": data.head_approved})  # fmt: skip
    return application


# ---------------------------------------------------------------- the two texts


def _term_words(ctx: Ctx, application: OpenApplication) -> str:
    days = application.approved_days or application.term_days
    today = ctx.clock.today()
    until = today + dt.timedelta(days=days - 1)
    return (
        f"{days} 日，自《数据安全承诺书》和《数据使用协议》均签署完成之日起算；"
        f"于 {today.isoformat()} 签署完成的，使用期限为 {today.isoformat()} 至 {until.isoformat()}（含当日）"
    )


def _use_words(application: OpenApplication) -> str:
    if application.sandbox_only:
        return "仅在开放平台“可用不可见”沙箱中进行聚合查询，只获得满足最小分组人数的统计结果，不下载数据"
    return "在开放平台下载或通过接口获取批准的信息项，并可在“可用不可见”沙箱中进行聚合查询"


def agreement_text(ctx: Ctx, application: OpenApplication, kind: AgreementKind) -> str:
    """The words the applicant signs, with every term filled in; their SM3 digest is kept with the signature."""
    if kind not in SIGNED_KINDS:
        raise InvalidInput("有条件开放申请只签署数据安全承诺书和数据使用协议")
    listing = application.listing
    user = application.applicant
    org = ctx.session.get(Organization, application.provider_org_id)
    provider = org.name if org else ""
    portal = ctx.profile.bodies.open_portal
    authority = ctx.profile.bodies.authority
    subject = SUBJECT_LABELS[user.subject_kind] if user.subject_kind else "证件号码"
    who = f"{user.display_name}（{subject}：{user.subject_id}）"
    items = item_words(listing, granted(application))
    cite = f"数据来源：{provider}《{listing.title}》，{portal}；获取日期：YYYY-MM-DD"
    if kind == AgreementKind.SECURITY_COMMITMENT:
        return "\n".join(
            [
                f"数据安全承诺书（文本版本 {TEXT_VERSION}）",
                "",
                f"承诺人：{who}",
                f"数据集：《{listing.title}》（数据提供单位：{provider}）",
                f"申请编号：{application.id}",
                f"批准使用的信息项：{items}",
                f"使用用途：{application.purpose}",
                f"使用期限：{_term_words(ctx, application)}",
                f"使用方式：{_use_words(application)}",
                "",
                f"承诺人就使用{portal}上的上述有条件开放数据，郑重承诺：",
                "一、只按上述用途、信息项和期限使用数据，不超出范围使用。",
                f"二、落实以下安全保护措施：{application.security_measures}；并建立数据安全管理制度，明确责任人，"
                "防止数据泄露、篡改、丢失和滥用。",
                "三、不以任何方式对数据进行重新识别，不将数据与其他数据关联比对以识别特定自然人、法人或其他组织。",
                "四、不向任何第三方提供、转让、出售或公开数据及其副本。",
                f"五、使用数据形成的成果注明数据来源和获取日期（{cite}）。",
                f"六、发生或可能发生数据安全事件时，立即采取处置措施，并告知数据提供单位和{authority}。",
                "七、使用期限届满、使用被终止或用途已实现时，立即删除全部数据及副本，不予留存。",
                f"八、违反本承诺的，数据提供单位可以终止数据使用，{authority}可以暂停承诺人在{portal}的访问权限，"
                "承诺人依法承担相应责任。",
                "",
                f"承诺人：{user.display_name}（在{portal}在线签署）",
            ]
        )
    return "\n".join(
        [
            f"数据使用协议（文本版本 {TEXT_VERSION}）",
            "",
            f"甲方（数据提供单位）：{provider}",
            f"乙方（数据使用方）：{who}",
            f"依据《{ctx.profile.regulation}》及有关规定，经乙方申请（申请编号 {application.id}）、甲方审核同意，"
            "双方就乙方使用有条件开放数据订立本协议。",
            "",
            f"第一条 数据范围：数据集《{listing.title}》的以下信息项：{items}。数据按开放平台公布的方式脱敏后提供。",
            f"第二条 使用用途：{application.purpose}。乙方不得将数据用于其他用途。",
            f"第三条 使用期限：{_term_words(ctx, application)}。",
            f"第四条 使用方式：{_use_words(application)}。",
            f"第五条 安全保护措施：{application.security_measures}。",
            f"第六条 引用要求：乙方使用数据形成的成果、产品或服务，须注明数据来源和获取日期，格式为“{cite}”。",
            "第七条 禁止行为：乙方不得对数据进行重新识别；不得向第三方提供、转让或公开数据；"
            "不得超出批准的信息项、用途和期限使用数据。",
            "第八条 期满删除：使用期限届满或本协议终止之日起，乙方应删除全部数据及副本，并应甲方要求书面说明删除情况。",
            f"第九条 监督与终止：甲方和{authority}可以监督检查数据使用情况；乙方违反本协议的，甲方可以终止数据使用，"
            f"{authority}可以暂停乙方的平台访问权限。",
            f"第十条 生效：本协议经乙方在{portal}在线签署、且《数据安全承诺书》已签署之日起生效。"
            "乙方在线签署即表示已阅读并同意本协议全部条款。",
            "",
            f"甲方：{provider}（已于 {application.answered_at.date().isoformat() if application.answered_at else '—'} 审核同意）",
            f"乙方：{user.display_name}（在线签署）",
        ]
    )


def texts(ctx: Ctx, application: OpenApplication) -> dict[AgreementKind, str]:
    return {kind: agreement_text(ctx, application, kind) for kind in SIGNED_KINDS}


def signed(ctx: Ctx, application_id: int) -> dict[AgreementKind, Agreement]:
    rows = ctx.session.scalars(select(Agreement).where(Agreement.application_id == application_id))
    return {a.kind: a for a in rows}


def sign(ctx: Ctx, actor: Actor, application_id: int, data: SignIn) -> OpenApplication:
    """Sign one text; the second signature starts the term: access_from today, for the approved days."""
    application = get_application(ctx, actor, application_id)
    _as_applicant(actor, application)
    applicant_user(ctx, actor)
    check(application.state, "sign")
    require_usable(application.listing)
    if data.kind not in SIGNED_KINDS:
        raise InvalidInput("有条件开放申请只签署数据安全承诺书和数据使用协议")
    if not data.agree:
        raise InvalidInput(f"须勾选“我已阅读并同意”后才能签署《{agreements.KIND_LABELS[data.kind]}》")
    text = agreement_text(ctx, application, data.kind)
    if data.text_sm3 is not None and data.text_sm3 != sm3_hex(text.encode("utf-8")):
        raise Conflict(
            f"《{agreements.KIND_LABELS[data.kind]}》的文本已更新（例如日期已变化），请重新阅读后签署"
        )
    agreements.sign(ctx, actor, data.kind, TEXT_VERSION, text, application_id=application.id)
    done = signed(ctx, application.id)
    label = agreements.KIND_LABELS[data.kind]
    if all(kind in done for kind in SIGNED_KINDS):
        to = check(application.state, "activate")
        today = ctx.clock.today()
        days = application.approved_days or application.term_days
        application.access_from = today
        application.access_until = today + dt.timedelta(days=days - 1)
        _step(ctx, actor, application, to,
              f"签署《{label}》，两份文本均已签署；使用期限 {today.isoformat()} 至 "
              f"{application.access_until.isoformat()}")  # fmt: skip
        record(ctx, actor, "open.application.activate", "open_application", application.id,
               purpose=application.purpose,
               detail={"from": application.access_from, "until": application.access_until})  # fmt: skip
    else:
        _step(ctx, actor, application, application.state, f"签署《{label}》")
    return application


# ---------------------------------------------------------------- withdraw, revoke, sweep


def withdraw(ctx: Ctx, actor: Actor, application_id: int) -> OpenApplication:
    application = get_application(ctx, actor, application_id)
    _as_applicant(actor, application)
    to = check(application.state, "withdraw")
    application.due_date = None
    _step(ctx, actor, application, to, "申请人撤回申请")
    record(ctx, actor, "open.application.withdraw", "open_application", application.id)
    return application


def revoke(ctx: Ctx, actor: Actor, application_id: int, data: ReasonIn) -> OpenApplication:
    """The provider ends an active use at once (a breach, a changed risk); the reason is on record."""
    application = get_application(ctx, actor, application_id)
    _as_provider(actor, application)
    to = check(application.state, "revoke")
    _step(ctx, actor, application, to, f"提供单位终止使用：{data.reason}")
    record(ctx, actor, "open.application.revoke", "open_application", application.id,
           detail={"reason": data.reason})  # fmt: skip
    return application


@dataclass(frozen=True)
class SweepResult:
    flagged: list[OpenApplication]  # pending past their due date: possible violations, flagged once
    ended: list[OpenApplication]  # active past their last day


def sweep(ctx: Ctx, actor: Actor | None = None) -> SweepResult:
    """Run daily: flag late answers once as possible violations, end applications whose term is over."""
    actor = actor or system_actor("open-application-sweep")
    require(actor, Permission.OPEN_SUPERVISE)
    today = ctx.clock.today()
    late = record_late_once(
        ctx, actor,
        select(OpenApplication).where(OpenApplication.state == S.PENDING).order_by(OpenApplication.id),
        OpenApplication.due_date, OpenApplication.overdue_flagged_at, "open.application.overdue",
        lambda a: {"due": a.due_date, "provider_org_id": a.provider_org_id},
    )  # fmt: skip
    for application in late:
        due = application.due_date
        _step(ctx, actor, application, S.PENDING, f"提供单位逾期未答复（应于 {due} 前答复），记为疑似违规")
    over = list(
        ctx.session.scalars(
            select(OpenApplication)
            .where(OpenApplication.state == S.ACTIVE, OpenApplication.access_until < today)
            .order_by(OpenApplication.id)
        )
    )
    for application in over:
        to = check(application.state, "expire")
        _step(
            ctx, actor, application, to, f"使用期限已于 {application.access_until} 届满，申请人应删除全部数据"
        )
        record(ctx, actor, "open.application.expire", "open_application", application.id,
               detail={"until": application.access_until})  # fmt: skip
    return SweepResult(flagged=late, ended=over)


# ---------------------------------------------------------------- lists


@dataclass(frozen=True)
class Row:
    application: OpenApplication
    state_label: str
    due: DueInfo | None


LIST_SCOPES = ("mine", "inbox", "jurisdiction")


def list_applications(
    ctx: Ctx, actor: Actor, scope: str = "mine", *, limit: int = 500, pending_only: bool = False
) -> list[Row]:
    """Mine (an applicant's), the provider's inbox, or the authority's jurisdiction; newest first; only those
    still waiting for an answer with `pending_only` (the work list: none lost behind newer answered ones)."""
    stmt = select(OpenApplication).order_by(OpenApplication.id.desc()).limit(limit)
    if pending_only:
        stmt = stmt.where(OpenApplication.state == S.PENDING)
    if scope == "inbox":
        require(actor, Permission.OPEN_ANSWER)
        stmt = stmt.where(OpenApplication.provider_org_id == actor.org_id)
    elif scope == "jurisdiction":
        require(actor, Permission.OPEN_SUPERVISE)
        stmt = stmt.join(OpenListing, OpenListing.id == OpenApplication.listing_id)
        if not actor.is_system:
            stmt = stmt.where(OpenListing.region_path.startswith(actor.region_path or "\x00"))
    elif scope == "mine":
        require(actor, Permission.OPEN_USE)
        stmt = stmt.where(OpenApplication.applicant_id == actor.user_id)
    else:
        raise InvalidInput(f"未知的列表范围：{scope}（可选：mine、inbox、jurisdiction）")
    today = ctx.clock.today()
    return [Row(a, shown_state(a, today), answer_due(ctx, a)) for a in ctx.session.scalars(stmt)]


def default_scope(actor: Actor) -> str:
    if can(actor, Permission.OPEN_ANSWER) and actor.org_id is not None:
        return "inbox"
    if can(actor, Permission.OPEN_SUPERVISE) and not actor.is_system:
        return "jurisdiction"
    return "mine"

"""Authorised development (授权开发, DEV-2; AB35, SX19-21, SC34).

An organisation account applies with its purpose, technical capability, security measures and the listings
it wants to develop on. The authority of the listings' jurisdiction assesses (the assessment is required)
and grants with the agreement terms (scope, degree, term, disposal at the end, ownership of derived data,
revenue share by contribution), or refuses with a reason. The organisation signs the development agreement
online, which makes the qualification active; at or after the end of the term the authority ends it and
records what was destroyed or returned (an earlier end is a revocation and needs its reason).

Data that is not open (open type NONE) is used in cooperation only with its provider's consent (SC34): the
provider department records its consent (or refusal) on the application, and the authority cannot grant
until every such listing has its provider's consent. A consent is an audit event (actor, time, note,
hash-chained); the grant repeats the consents in its own event and in the signed agreement text, so the
record outlives the audit log's retention.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from govdata.audit.queries import list_events
from govdata.audit.service import record
from govdata.authz import Actor, Permission, can, in_jurisdiction, require, system_actor
from govdata.catalog.models import OpenType
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import agreements
from govdata.opendata.models import (
    Agreement,
    AgreementKind,
    DevQualification,
    DevState,
    ListingState,
    OpenListing,
)
from govdata.opendata.users import require_portal_use
from govdata.opendata.workflow import OPEN_TYPE_LABELS
from govdata.org.models import Organization, OrgKind, Region, Role, SubjectKind, User
from govdata.textguard import OptionalSafeText, SafeText

D = DevState
TEXT_VERSION = "dev-agreement-2026.1"
STATE_LABELS: dict[DevState, str] = {
    D.PENDING: "评估中",
    D.GRANTED: "已授权，待签署协议",
    D.ACTIVE: "协议生效",
    D.REFUSED: "未予授权",
    D.ENDED: "已终止",
}
_MOVES: dict[str, tuple[frozenset[DevState], DevState]] = {
    "consent": (frozenset({D.PENDING}), D.PENDING),
    "grant": (frozenset({D.PENDING}), D.GRANTED),
    "refuse": (frozenset({D.PENDING}), D.REFUSED),
    "sign": (frozenset({D.GRANTED}), D.ACTIVE),
    "end": (frozenset({D.GRANTED, D.ACTIVE}), D.ENDED),
}
_MOVE_LABELS = {
    "consent": "记录提供部门意见",
    "grant": "授权",
    "refuse": "不予授权",
    "sign": "签署协议",
    "end": "终止",
}
CONSENT_ACTION = "open.dev.consent"


class DevApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    purpose: SafeText = Field(min_length=2, max_length=4000, title="开发利用目的和场景")
    capability: SafeText = Field(min_length=2, max_length=4000, title="技术能力（团队、资质、设施）")
    security: SafeText = Field(min_length=2, max_length=4000, title="数据安全保障措施")
    listing_ids: list[int] = Field(min_length=1, max_length=50, title="拟开发利用的数据集")


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    listing_id: int = Field(title="数据集编号")
    agree: bool = Field(title="是否同意用于授权开发")
    note: SafeText = Field(min_length=2, max_length=2000, title="意见")


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    assessment: SafeText = Field(min_length=5, max_length=4000, title="评估意见（目的、能力、安全）")
    scope: SafeText = Field(min_length=2, max_length=4000, title="授权范围")
    degree: SafeText = Field(min_length=2, max_length=2000, title="开发程度")
    valid_until: dt.date = Field(title="协议期限（截止日）")
    disposal: SafeText = Field(min_length=2, max_length=2000, title="期满后数据的处置方式")
    derived_ownership: SafeText = Field(min_length=2, max_length=2000, title="衍生数据和产品的权属")
    revenue_share: SafeText = Field(min_length=2, max_length=2000, title="收益按贡献分配的方式")


class RefuseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    assessment: SafeText = Field(min_length=5, max_length=4000, title="评估意见和不予授权的理由")


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    disposal_record: SafeText = Field(min_length=5, max_length=4000, title="数据处置记录（销毁或返还了什么）")
    early_reason: OptionalSafeText = Field(default=None, max_length=2000, title="提前终止的理由")


@dataclass(frozen=True)
class Consent:
    listing_id: int
    org_id: int
    agree: bool
    note: str
    actor_name: str
    at: dt.datetime


def _check(dev: DevQualification, move: str) -> DevState:
    allowed, to = _MOVES[move]
    if dev.state not in allowed:
        raise InvalidTransition(f"授权开发申请当前为“{STATE_LABELS[dev.state]}”，不能{_MOVE_LABELS[move]}")
    return to


def _event(
    ctx: Ctx, actor: Actor, dev: DevQualification, action: str, to: DevState, **detail: object
) -> None:
    record(ctx, actor, f"open.dev.{action}", "dev_qualification", dev.id,
           detail={"from": dev.state.value, "to": to.value, **detail})  # fmt: skip
    dev.state = to
    dev.updated_at = ctx.clock.now()


def listing_ids(dev: DevQualification) -> list[int]:
    return [int(x) for x in dev.listing_ids.split(",") if x.strip().isdigit()]


def listings_of(ctx: Ctx, dev: DevQualification) -> list[OpenListing]:
    ids = listing_ids(dev)
    found = {li.id: li for li in ctx.session.scalars(select(OpenListing).where(OpenListing.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _common_region(paths: list[str]) -> str:
    """The narrowest region containing every listing: its authority assesses the application."""
    parts = [p.strip("/").split("/") for p in paths]
    common: list[str] = []
    for segs in zip(*parts, strict=False):
        if len(set(segs)) != 1:
            break
        common.append(segs[0])
    if not common:
        raise InvalidInput("所选数据集不属于同一行政区划，请分别向各地数据主管机构申请")
    return "/".join(common) + "/"


# ---------------------------------------------------------------- who may see and act


def is_supervisor(actor: Actor, dev: DevQualification) -> bool:
    return can(actor, Permission.OPEN_SUPERVISE) and in_jurisdiction(actor, dev.region_path)


def _provides(ctx: Ctx, actor: Actor, dev: DevQualification) -> bool:
    return can(actor, Permission.OPEN_ANSWER) and any(
        li.org_id == actor.org_id for li in listings_of(ctx, dev)
    )


def get_dev(ctx: Ctx, actor: Actor, dev_id: int) -> DevQualification:
    """The applicant, the assessing authority and the providers of its listings see an application."""
    require(actor, Permission.OPEN_USE)
    dev = ctx.session.get(DevQualification, dev_id)
    if dev is None or not (
        actor.is_system
        or dev.applicant_id == actor.user_id
        or is_supervisor(actor, dev)
        or _provides(ctx, actor, dev)
    ):
        raise NotFound("授权开发申请不存在，或无权查看")
    return dev


def _as_authority(ctx: Ctx, actor: Actor, dev_id: int) -> DevQualification:
    dev = get_dev(ctx, actor, dev_id)
    require(actor, Permission.OPEN_SUPERVISE)
    if not actor.is_system and not in_jurisdiction(actor, dev.region_path):
        raise Forbidden("只能办理本级及下级的授权开发申请")
    return dev


# ---------------------------------------------------------------- use cases


def apply(ctx: Ctx, actor: Actor, data: DevApplyIn) -> DevQualification:
    require_portal_use(ctx, actor)
    user = ctx.session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or user.role != Role.PUBLIC_USER or user.subject_kind != SubjectKind.ORGANISATION:
        raise Forbidden("授权开发须以法人或其他组织的实名账号（统一社会信用代码）申请")
    wanted = list(dict.fromkeys(data.listing_ids))
    found = {li.id: li for li in ctx.session.scalars(select(OpenListing).where(OpenListing.id.in_(wanted)))}
    missing = [str(i) for i in wanted if i not in found or found[i].state != ListingState.PUBLISHED]
    if missing:
        raise InvalidInput(f"数据集 {'、'.join(missing)} 不存在或不在开放目录中（暂停或撤回的数据不能申请）")
    now = ctx.clock.now()
    dev = DevQualification(
        applicant_id=user.id,
        region_path=_common_region([found[i].region_path for i in wanted]),
        purpose=data.purpose,
        capability=data.capability,
        security=data.security,
        listing_ids=",".join(str(i) for i in wanted),
        state=D.PENDING,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(dev)
    ctx.session.flush()
    needs = [i for i in wanted if found[i].open_type == OpenType.NONE]
    record(ctx, actor, "open.dev.apply", "dev_qualification", dev.id,
           detail={"to": D.PENDING.value, "listings": wanted, "needs_consent": needs})  # fmt: skip
    return dev


def consents(ctx: Ctx, dev: DevQualification) -> dict[int, Consent]:
    """Each not-open listing's latest provider answer, read back from the audit events that record them."""
    page = list_events(
        ctx,
        system_actor("dev-consents"),
        action=CONSENT_ACTION,
        object_type="dev_qualification",
        object_id=str(dev.id),
        size=1000,
    )
    out: dict[int, Consent] = {}
    for event in sorted(page.items, key=lambda e: e.seq):
        detail = json.loads(event.detail or "{}")
        lid = int(detail.get("listing", 0))
        out[lid] = Consent(lid, int(detail.get("org", 0)), bool(detail.get("agree")), str(detail.get("note", "")),
                           event.actor_name, event.at)  # fmt: skip
    return out


def needs_consent(ctx: Ctx, dev: DevQualification) -> list[OpenListing]:
    return [li for li in listings_of(ctx, dev) if li.open_type == OpenType.NONE]


def consent(ctx: Ctx, actor: Actor, dev_id: int, data: ConsentIn) -> DevQualification:
    """The provider of a not-open listing agrees (or not) to its use in this cooperation (SC34)."""
    dev = get_dev(ctx, actor, dev_id)
    require(actor, Permission.OPEN_ANSWER)
    listing = next((li for li in listings_of(ctx, dev) if li.id == data.listing_id), None)
    if listing is None:
        raise InvalidInput(f"数据集 {data.listing_id} 不在该授权开发申请中")
    if not actor.is_system and actor.org_id != listing.org_id:
        raise Forbidden("只有该数据的提供部门可以表示同意或不同意")
    if listing.open_type != OpenType.NONE:
        raise InvalidInput("该数据集已开放，无需提供部门另行同意")
    _check(dev, "consent")
    record(ctx, actor, CONSENT_ACTION, "dev_qualification", dev.id, outcome="success" if data.agree else "refused",
           detail={"listing": listing.id, "org": listing.org_id, "agree": data.agree, "note": data.note})  # fmt: skip
    dev.updated_at = ctx.clock.now()
    return dev


def grant(ctx: Ctx, actor: Actor, dev_id: int, data: GrantIn) -> DevQualification:
    dev = _as_authority(ctx, actor, dev_id)
    to = _check(dev, "grant")
    if data.valid_until <= ctx.clock.today():
        raise InvalidInput("协议期限须晚于今天")
    gone = [li for li in listings_of(ctx, dev) if li.state != ListingState.PUBLISHED]
    if gone:
        raise InvalidInput(
            f"数据集“{gone[0].title}”已暂停开放或撤回，不能授权开发；请不予授权或由申请人重新申请"
        )
    answers = consents(ctx, dev)
    lacking = [li for li in needs_consent(ctx, dev) if not (li.id in answers and answers[li.id].agree)]
    if lacking:
        names = "、".join(f"《{li.title}》（{li.org.name}）" for li in lacking)
        raise InvalidInput(f"不予开放的数据须经提供部门同意后方可授权开发，尚未同意：{names}")
    for field in (
        "assessment",
        "scope",
        "degree",
        "valid_until",
        "disposal",
        "derived_ownership",
        "revenue_share",
    ):
        setattr(dev, field, getattr(data, field))
    dev.decided_by_id = actor.user_id
    dev.decided_at = ctx.clock.now()
    _event(ctx, actor, dev, "grant", to, valid_until=data.valid_until,
           consents={str(k): v.actor_name for k, v in answers.items() if v.agree})  # fmt: skip
    return dev


def refuse(ctx: Ctx, actor: Actor, dev_id: int, data: RefuseIn) -> DevQualification:
    dev = _as_authority(ctx, actor, dev_id)
    to = _check(dev, "refuse")
    dev.assessment = data.assessment
    dev.decided_by_id = actor.user_id
    dev.decided_at = ctx.clock.now()
    _event(ctx, actor, dev, "refuse", to, assessment=data.assessment)
    return dev


def _authority_name(ctx: Ctx, dev: DevQualification) -> str:
    name = ctx.session.scalars(
        select(Organization.name)
        .join(Region, Region.id == Organization.region_id)
        .where(Region.path == dev.region_path, Organization.kind == OrgKind.AUTHORITY)
    ).first()
    return name or ctx.profile.bodies.authority


def agreement_text(ctx: Ctx, dev: DevQualification) -> str:
    """The development agreement with its terms filled in: exactly the words the organisation signs."""
    if dev.valid_until is None or dev.state not in (D.GRANTED, D.ACTIVE, D.ENDED):
        raise InvalidTransition("授权后才生成授权开发协议")
    applicant = ctx.session.get(User, dev.applicant_id)
    answers = consents(ctx, dev)
    data_lines = []
    for n, li in enumerate(listings_of(ctx, dev), start=1):
        line = f"  {n}. 《{li.title}》（数据集编号 {li.id}，提供部门：{li.org.name}，{OPEN_TYPE_LABELS[li.open_type]}）"
        if li.id in answers and answers[li.id].agree:
            c = answers[li.id]
            line += f"；提供部门已于 {c.at:%Y-%m-%d} 同意用于本次授权开发（{c.actor_name}：{c.note}）"
        data_lines.append(line)
    who = applicant.display_name if applicant else str(dev.applicant_id)
    uscc = applicant.subject_id if applicant and applicant.subject_id else "—"
    return "\n".join(
        [
            "授权开发协议",
            f"协议编号：授权开发-{dev.id}（文本版本 {TEXT_VERSION}）",
            f"授权方：{_authority_name(ctx, dev)}",
            f"被授权方：{who}（统一社会信用代码 {uscc}）",
            "一、授权开发利用的数据：",
            *data_lines,
            f"二、授权范围：{dev.scope}",
            f"三、开发程度：{dev.degree}",
            f"四、协议期限：自签署之日起至 {dev.valid_until.isoformat()} 止。",
            f"五、期满后数据的处置：{dev.disposal}",
            f"六、衍生数据和产品的权属：{dev.derived_ownership}",
            f"七、收益分配（按贡献）：{dev.revenue_share}",
            f"八、被授权方承诺：按申请所述措施保障数据安全（{dev.security}）；只在授权范围内开发利用；"
            "不向第三方提供原始数据；不试图重新识别个人；发生安全事件立即报告授权方；"
            "协议终止时按第五条处置数据并报告处置情况。",
            f"九、授权方评估意见：{dev.assessment}",
        ]
    )


def sign(ctx: Ctx, actor: Actor, dev_id: int) -> Agreement:
    """The organisation signs the generated agreement online; the qualification becomes active."""
    dev = get_dev(ctx, actor, dev_id)
    if dev.applicant_id != actor.user_id:
        raise Forbidden("只有申请单位本身的账号可以签署授权开发协议")
    to = _check(dev, "sign")
    if dev.valid_until is not None and dev.valid_until < ctx.clock.today():
        raise InvalidInput(f"协议期限（{dev.valid_until.isoformat()}）已过，不能再签署")
    signed = agreements.sign(
        ctx, actor, AgreementKind.DEVELOPMENT, TEXT_VERSION, agreement_text(ctx, dev), development_id=dev.id
    )
    _event(ctx, actor, dev, "sign", to, agreement=signed.id, sm3=signed.text_sm3)
    return signed


def end(ctx: Ctx, actor: Actor, dev_id: int, data: EndIn) -> DevQualification:
    """At or after the term's end the authority ends it with the disposal record; earlier is a revocation."""
    dev = _as_authority(ctx, actor, dev_id)
    to = _check(dev, "end")
    early = dev.valid_until is not None and ctx.clock.today() < dev.valid_until
    if early and not data.early_reason:
        raise InvalidInput(f"协议期限至 {dev.valid_until.isoformat()}，提前终止须写明理由")
    dev.disposal_record = (
        data.disposal_record if not early else f"{data.disposal_record}（提前终止：{data.early_reason}）"
    )
    _event(
        ctx,
        actor,
        dev,
        "end",
        to,
        disposal=data.disposal_record,
        early_reason=data.early_reason if early else None,
    )
    return dev


# ---------------------------------------------------------------- lists


def agreement_of(ctx: Ctx, dev: DevQualification) -> Agreement | None:
    return ctx.session.scalars(
        select(Agreement).where(
            Agreement.development_id == dev.id, Agreement.kind == AgreementKind.DEVELOPMENT
        )
    ).first()


def my_applications(ctx: Ctx, actor: Actor) -> list[DevQualification]:
    require(actor, Permission.OPEN_USE)
    if actor.user_id is None:
        return []
    return list(
        ctx.session.scalars(
            select(DevQualification)
            .where(DevQualification.applicant_id == actor.user_id)
            .order_by(DevQualification.id.desc())
        )
    )


def queue(ctx: Ctx, actor: Actor) -> list[DevQualification]:
    """The authority's applications: pending first, then granted, active and closed ones."""
    require(actor, Permission.OPEN_SUPERVISE)
    stmt = select(DevQualification).order_by(DevQualification.id.desc()).limit(500)
    if not actor.is_system:
        stmt = stmt.where(DevQualification.region_path.startswith(actor.region_path or "\x00"))
    order = [D.PENDING, D.GRANTED, D.ACTIVE, D.REFUSED, D.ENDED]
    return sorted(ctx.session.scalars(stmt), key=lambda d: order.index(d.state))


def consent_requests(ctx: Ctx, actor: Actor) -> list[DevQualification]:
    """Pending applications that use one of the department's not-open listings."""
    require(actor, Permission.OPEN_ANSWER)
    own = set(
        ctx.session.scalars(
            select(OpenListing.id).where(
                OpenListing.org_id == actor.org_id, OpenListing.open_type == OpenType.NONE
            )
        )
    )
    if not own:
        return []
    pending = ctx.session.scalars(select(DevQualification).where(DevQualification.state == D.PENDING))
    return [d for d in pending if own.intersection(listing_ids(d))]

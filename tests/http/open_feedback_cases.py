"""Permission cases of the open portal's feedback side (withdrawals, corrections, comments, demands, user
suspension, authorised development), for the API walk and the page walk, plus the helpers their setups and
the tests in tests/opendata share.

`test_permissions` adds OPEN_FEEDBACK_CASES; `test_page_permissions` adds `open_feedback_page_cases()` (a
function: PageCase is defined in that module, which imports this one) and the public pages.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from stdnum.cn import ric, uscc

from govdata.authz import Actor
from govdata.catalog.models import OpenType
from govdata.context import Ctx
from govdata.opendata import development, feedback, withdrawals
from govdata.opendata.models import ListingState, OpenListing
from govdata.opendata.users import Registration, register
from govdata.org.models import SubjectKind
from govdata.org.service import actor_for
from tests.http.cases import AUTHORITY, EVERYONE, Case
from tests.opendata.fixtures import published_listing
from tests.world import PASSWORD, World

if TYPE_CHECKING:
    from tests.http.test_page_permissions import PageCase

USERS = EVERYONE - {"vendor_staff"}  # every authenticated identity with OPEN_USE
PROVIDER = {"gongan_officer"}  # 公安 provides the population listing
SEE = AUTHORITY | PROVIDER  # who sees a request besides its requester
HIDDEN = {"gongan_user", "minzheng_officer", "auditor"}  # may use the portal, but no party to it
OUT = HIDDEN | {"citizen"}  # ... and the citizen, where someone else filed

# ---------------------------------------------------------------- helpers (also used by tests/opendata)


def person_id(n: int) -> str:
    """A valid citizen ID number, different for every n."""
    base = f"51010519900101{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def org_code(n: int) -> str:
    """A valid USCC, different for every n."""
    stem = f"91510100MA6{n % 100000:05d}"
    for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        candidate = stem + c + uscc.calc_check_digit(stem + c)
        if uscc.is_valid(candidate):
            return candidate
    raise AssertionError("no valid USCC")  # pragma: no cover


def portal_user(ctx: Ctx, username: str, n: int, *, organisation: bool = False) -> Actor:
    """A registered portal identity: a person, or an organisation account."""
    kind = SubjectKind.ORGANISATION if organisation else SubjectKind.PERSON
    user = register(
        ctx,
        Registration(
            username=username,
            display_name=f"四川数据应用有限公司{n}" if organisation else f"王{n}",
            subject_kind=kind,
            subject_id=org_code(n) if organisation else person_id(n),
            password=PASSWORD,
        ),
    )
    ctx.session.flush()
    return actor_for(user)


def listing(ctx: Ctx, world: World, open_type: str = "unconditional") -> OpenListing:
    """A published listing of 公安 with the given open type: reused within a test, created when missing."""
    found = ctx.session.scalars(
        select(OpenListing)
        .where(OpenListing.state == ListingState.PUBLISHED, OpenListing.open_type == OpenType(open_type))
        .order_by(OpenListing.id)
    ).first()
    return found or published_listing(ctx, world, open_type)


def _requester(ctx: Ctx, world: World, who: str) -> Actor:
    """Each walked role files its own request (so repeats are not refused as duplicates)."""
    seq = sorted(EVERYONE).index(who) + 1
    return portal_user(ctx, f"pub_{who}", 100 + seq)


def _withdrawal(ctx: Ctx, world: World, who: str, *, decided: bool = False, appealed: bool = False) -> int:
    """A withdrawal request by a fresh requester; decided (rejected) and appealed on request."""
    requester = _requester(ctx, world, who)
    data = withdrawals.WithdrawalIn(
        listing_id=listing(ctx, world).id, reason="公开的数据可识别到本人，侵犯隐私"
    )
    request = withdrawals.submit(ctx, requester, data)
    if decided or appealed:
        note = withdrawals.DecisionIn(decision="reject", note="核实后数据已脱敏，无法识别个人")
        withdrawals.decide(ctx, world.actor("gongan_officer"), request.id, note)
    if appealed:
        withdrawals.appeal(ctx, requester, request.id, withdrawals.NoteIn(note="仍可通过组合识别本人"))
    return request.id


def _own_decided_withdrawal(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    """A rejected request filed by the walked role itself (vendor staff cannot file: the citizen's)."""
    actor = world.actor("citizen" if who == "vendor_staff" else who)
    data = withdrawals.WithdrawalIn(listing_id=listing(ctx, world).id, reason=f"侵犯本人权益（{who}）")
    request = withdrawals.submit(ctx, actor, data)
    note = withdrawals.DecisionIn(decision="reject", note="核实后数据已脱敏")
    withdrawals.decide(ctx, world.actor("gongan_officer"), request.id, note)
    return {"id": request.id}


def _correction(ctx: Ctx, world: World, who: str) -> int:
    data = feedback.CorrectionIn(listing_id=listing(ctx, world).id, content=f"更新频率应为每月（{who}）")
    return feedback.submit_correction(ctx, world.actor("citizen"), data).id


def _comment(ctx: Ctx, world: World, who: str) -> int:
    data = feedback.CommentIn(body=f"数据很有用（{who}）", rating=4)
    return feedback.add_comment(ctx, world.actor("citizen"), listing(ctx, world).id, data).id


def _demand(ctx: Ctx, world: World, who: str) -> int:
    data = feedback.DemandIn(title="公交实时到站数据", description="希望开放公交到站数据用于出行服务")
    return feedback.submit_demand(ctx, world.actor("citizen"), data).id


def _dev(ctx: Ctx, world: World, who: str, *, granted: bool = False, signed: bool = False) -> int:
    """An authorised-development application by a fresh organisation account, on an open listing."""
    seq = sorted(EVERYONE).index(who) + 1
    org = portal_user(ctx, f"org_{who}_{seq}", 200 + seq, organisation=True)
    data = development.DevApplyIn(
        purpose="开发人口结构分析产品",
        capability="数据分析团队 20 人，具备等保三级环境",
        security="专网隔离、访问审计、数据不出域",
        listing_ids=[listing(ctx, world).id],
    )
    dev = development.apply(ctx, org, data)
    if granted or signed:
        development.grant(ctx, world.actor("reviewer"), dev.id, grant_terms())
    if signed:
        development.sign(ctx, org, dev.id)
    return dev.id


def grant_terms(**overrides: Any) -> development.GrantIn:
    body: dict[str, Any] = {
        "assessment": "目的正当，技术能力和安全措施满足要求",
        "scope": "仅用于人口结构统计分析产品",
        "degree": "统计汇总，不输出个体记录",
        "valid_until": dt.date(2027, 12, 31),
        "disposal": "期满后 10 个工作日内销毁全部原始数据并提交销毁证明",
        "derived_ownership": "统计产品归被授权方所有，授权方可无偿用于公共管理",
        "revenue_share": "按数据贡献和开发投入协商分配，授权方收益用于数据治理",
    }
    body.update(overrides)
    return development.GrantIn.model_validate(body)


def _none_listing_dev(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    seq = sorted(EVERYONE).index(who) + 1
    org = portal_user(ctx, f"orgn_{who}_{seq}", 300 + seq, organisation=True)
    none = listing(ctx, world, "none")
    data = development.DevApplyIn(
        purpose="合作开发人口分析模型",
        capability="具备安全计算环境",
        security="数据不出域",
        listing_ids=[none.id],
    )
    dev = development.apply(ctx, org, data)
    return {"id": dev.id, "body": {"listing_id": none.id, "agree": "true", "note": "同意在安全环境中使用"}}


def _citizen(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": world.users["citizen"].id}


def _suspended_citizen(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    from govdata.opendata.users import active_suspension, suspend_user

    if active_suspension(ctx, world.users["citizen"].id) is None:
        suspend_user(ctx, world.actor("admin"), world.users["citizen"].id, "批量下载后转售数据")
    return {"id": world.users["citizen"].id}


def _fresh_citizen(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    seq = sorted(EVERYONE).index(who) + 1
    return {"id": portal_user(ctx, f"sus_{who}_{seq}", 400 + seq).user_id}


def _id(make: Any, **kw: Any) -> Any:
    return lambda c, w, who: {"id": make(c, w, who, **kw)}


def _listing_id(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": listing(ctx, world).id}


def _with_listing(body: dict[str, Any]) -> Any:
    return lambda c, w, who: {"body": {**body, "listing_id": listing(c, w).id}}


def _dev_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    body = {"purpose": "开发人口结构产品", "capability": "团队完备", "security": "数据不出域"}
    return {"body": {**body, "listing_ids": [str(listing(ctx, world).id)]}}


# ---------------------------------------------------------------- API cases

_W = "/api/v1/open/withdrawals"
_C = "/api/v1/open/corrections"
_D = "/api/v1/open/development"

OPEN_FEEDBACK_CASES: list[Case] = [
    Case("POST", _W, USERS, setup=_with_listing({"reason": "公开的数据可识别到本人"})),
    Case("GET", _W, USERS),
    Case("GET", _W + "/{id}", SEE, hidden=OUT, setup=_id(_withdrawal)),
    Case("POST", _W + "/{id}/suspend", PROVIDER, hidden=OUT, setup=_id(_withdrawal), body={"note": "核实中"}),
    Case(
        "POST",
        _W + "/{id}/decide",
        PROVIDER,
        hidden=OUT,
        setup=_id(_withdrawal),
        body={"decision": "reject", "note": "核实后数据已脱敏"},
    ),
    Case("POST", _W + "/{id}/appeal", USERS, setup=_own_decided_withdrawal, body={"note": "仍能识别到本人"}),
    Case(
        "POST",
        _W + "/{id}/review",
        AUTHORITY,
        hidden=OUT,
        setup=_id(_withdrawal, appealed=True),
        body={"decision": "upheld", "note": "原处理决定正确"},
    ),
    Case("POST", _C, USERS, setup=_with_listing({"content": "更新频率应为每月"})),
    Case("GET", _C, USERS),
    Case("GET", _C + "/{id}", SEE | {"citizen"}, hidden=HIDDEN, setup=_id(_correction)),
    Case(
        "POST",
        _C + "/{id}/extend",
        PROVIDER,
        hidden=HIDDEN,
        setup=_id(_correction),
        body={"days": 5, "reason": "需核对多个系统", "approved_by": "张局长"},
    ),
    Case(
        "POST",
        _C + "/{id}/answer",
        PROVIDER,
        hidden=HIDDEN,
        setup=_id(_correction),
        body={"corrected": True, "answer": "已将更新频率改为每月"},
    ),
    Case("POST", _C + "/sweep-overdue", AUTHORITY),
    Case("GET", "/api/v1/open/listings/{id}/comments", EVERYONE, setup=_listing_id),
    Case(
        "POST",
        "/api/v1/open/listings/{id}/comments",
        USERS,
        setup=_listing_id,
        body={"body": "很有用", "rating": 5},
    ),
    Case(
        "POST", "/api/v1/open/comments/{id}/reply", PROVIDER, setup=_id(_comment), body={"reply": "感谢反馈"}
    ),
    Case(
        "POST",
        "/api/v1/open/comments/{id}/hide",
        AUTHORITY,
        setup=_id(_comment),
        body={"reason": "含辱骂内容"},
    ),
    Case("GET", "/api/v1/open/demands", EVERYONE),
    Case(
        "POST",
        "/api/v1/open/demands",
        USERS,
        body={"title": "公交到站数据", "description": "用于出行服务开发"},
    ),
    Case(
        "POST",
        "/api/v1/open/demands/{id}/answer",
        AUTHORITY,
        setup=_id(_demand),
        body={"answer": "已列入明年开放计划"},
    ),
    Case("GET", "/api/v1/open/users?q=citizen", AUTHORITY),
    Case("GET", "/api/v1/open/users/{id}/retrievals", AUTHORITY, setup=_citizen),
    Case(
        "POST",
        "/api/v1/open/users/{id}/suspend",
        AUTHORITY,
        setup=_fresh_citizen,
        body={"reason": "转售数据"},
    ),
    Case(
        "POST", "/api/v1/open/users/{id}/lift", AUTHORITY, setup=_suspended_citizen, body={"reason": "已整改"}
    ),
    Case(
        "POST",
        _D,
        set(),  # only organisation accounts apply; the walked roles have none (tests/opendata covers it)
        setup=_dev_body,
    ),
    Case("GET", _D, USERS),
    Case("GET", _D + "/{id}", AUTHORITY | PROVIDER, hidden=OUT, setup=_id(_dev)),
    Case("POST", _D + "/{id}/consent", PROVIDER, hidden=OUT, setup=_none_listing_dev),
    Case(
        "POST",
        _D + "/{id}/grant",
        AUTHORITY,
        hidden=OUT,
        setup=_id(_dev),
        body=grant_terms().model_dump(mode="json"),
    ),
    Case(
        "POST",
        _D + "/{id}/refuse",
        AUTHORITY,
        hidden=OUT,
        setup=_id(_dev),
        body={"assessment": "安全措施不足，不予授权"},
    ),
    Case(
        "GET",
        _D + "/{id}/agreement",
        AUTHORITY | PROVIDER,
        hidden=OUT,
        setup=_id(_dev, granted=True),
    ),
    Case("POST", _D + "/{id}/sign", set(), hidden=OUT, setup=_id(_dev, granted=True)),
    Case(
        "POST",
        _D + "/{id}/end",
        AUTHORITY,
        hidden=OUT,
        setup=_id(_dev, signed=True),
        body={"disposal_record": "已销毁全部原始数据", "early_reason": "被授权方违反协议"},
    ),
]


# ---------------------------------------------------------------- page cases

# Public pages: anyone may read them (the forms on them need a login).
OPEN_FEEDBACK_PUBLIC_PAGES = {
    ("GET", "/open/datasets/{id}/feedback"),
    ("GET", "/open/demands"),
    ("GET", "/open/developers"),
}


def open_feedback_page_cases() -> list[PageCase]:
    """The page cases, built when test_page_permissions asks (PageCase lives there)."""
    from tests.http.test_page_permissions import PageCase

    wd = "/open/withdrawals/{id}"
    co = "/open/corrections/{id}"
    dv = "/open/manage/development/{id}"
    return [
        PageCase(
            "POST",
            "/open/datasets/{id}/comments",
            USERS,
            setup=_listing_id,
            form={"body": "很有用", "rating": "5"},
        ),
        PageCase(
            "POST",
            "/open/datasets/{id}/corrections",
            USERS,
            setup=_listing_id,
            form={"content": "更新频率应为每月"},
        ),
        PageCase(
            "POST",
            "/open/datasets/{id}/withdrawals",
            USERS,
            setup=_listing_id,
            form={"reason": "公开的数据可识别到本人"},
        ),
        PageCase("GET", wd, SEE, hidden=OUT, setup=_id(_withdrawal)),
        PageCase(
            "POST", wd + "/suspend", PROVIDER, hidden=OUT, setup=_id(_withdrawal), form={"note": "核实中"}
        ),
        PageCase(
            "POST",
            wd + "/decide",
            PROVIDER,
            hidden=OUT,
            setup=_id(_withdrawal),
            form={"decision": "reject", "note": "核实后数据已脱敏"},
        ),
        PageCase(
            "POST", wd + "/appeal", USERS, setup=_own_decided_withdrawal, form={"note": "仍能识别到本人"}
        ),
        PageCase(
            "POST",
            wd + "/review",
            AUTHORITY,
            hidden=OUT,
            setup=_id(_withdrawal, appealed=True),
            form={"decision": "upheld", "note": "原处理决定正确"},
        ),
        PageCase("GET", co, SEE | {"citizen"}, hidden=HIDDEN, setup=_id(_correction)),
        PageCase(
            "POST",
            co + "/extend",
            PROVIDER,
            hidden=HIDDEN,
            setup=_id(_correction),
            form={"days": "5", "reason": "需核对多个系统", "approved_by": "张局长"},
        ),
        PageCase(
            "POST",
            co + "/answer",
            PROVIDER,
            hidden=HIDDEN,
            setup=_id(_correction),
            form={"corrected": "true", "answer": "已将更新频率改为每月"},
        ),
        PageCase(
            "POST", "/open/comments/{id}/reply", PROVIDER, setup=_id(_comment), form={"reply": "感谢反馈"}
        ),
        PageCase(
            "POST", "/open/comments/{id}/hide", AUTHORITY, setup=_id(_comment), form={"reason": "含辱骂内容"}
        ),
        PageCase(
            "POST", "/open/demands", USERS, form={"title": "公交到站数据", "description": "用于出行服务开发"}
        ),
        PageCase(
            "POST",
            "/open/demands/{id}/answer",
            AUTHORITY,
            setup=_id(_demand),
            form={"answer": "已列入开放计划"},
        ),
        PageCase(
            "POST",
            "/open/developers",
            set(),
            setup=_dev_body,
        ),
        PageCase("GET", "/open/developers/{id}", AUTHORITY | PROVIDER, hidden=OUT, setup=_id(_dev)),
        PageCase(
            "POST",
            "/open/developers/{id}/sign",
            set(),
            hidden=OUT,
            setup=_id(_dev, granted=True),
        ),
        PageCase("GET", "/open/me/requests", USERS),
        PageCase("GET", "/open/manage/feedback", AUTHORITY | {"gongan_officer", "minzheng_officer"}),
        PageCase("POST", "/open/manage/feedback/sweep", AUTHORITY),
        PageCase("GET", "/open/manage/users", AUTHORITY),
        PageCase(
            "POST",
            "/open/manage/users/{id}/suspend",
            AUTHORITY,
            setup=_fresh_citizen,
            form={"reason": "转售数据"},
        ),
        PageCase(
            "POST",
            "/open/manage/users/{id}/lift",
            AUTHORITY,
            setup=_suspended_citizen,
            form={"reason": "已整改"},
        ),
        PageCase("GET", "/open/manage/development", AUTHORITY | {"gongan_officer", "minzheng_officer"}),
        PageCase("GET", dv, AUTHORITY | PROVIDER, hidden=OUT, setup=_id(_dev)),
        PageCase("POST", dv + "/consent", PROVIDER, hidden=OUT, setup=_none_listing_dev),
        PageCase(
            "POST",
            dv + "/grant",
            AUTHORITY,
            hidden=OUT,
            setup=_id(_dev),
            form=grant_terms().model_dump(mode="json"),
        ),
        PageCase(
            "POST",
            dv + "/refuse",
            AUTHORITY,
            hidden=OUT,
            setup=_id(_dev),
            form={"assessment": "安全措施不足，不予授权"},
        ),
        PageCase(
            "POST",
            dv + "/end",
            AUTHORITY,
            hidden=OUT,
            setup=_id(_dev, signed=True),
            form={"disposal_record": "已销毁全部原始数据", "early_reason": "被授权方违反协议"},
        ),
    ]

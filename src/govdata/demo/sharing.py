"""The demo's sharing exchange: requests in every state, grants, an application with calls on record, a dispute.

Everything goes through the use cases. A request that is already late was filed on an earlier working day: the
use cases run with a clock set back to that day (same session), so its due date is the one the profile gives.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from govdata.authz import Actor
from govdata.catalog.models import Resource
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.pool.models import Pool
from govdata.sharing import apps, disputes, exchange, service
from govdata.sharing.calllog import InlineLog
from govdata.sharing.models import ShareRequest
from govdata.sharing.schemas import (
    AppIn,
    ApproveIn,
    DisputeActIn,
    DisputeIn,
    RefuseIn,
    ShareRequestIn,
)

# (consumer org key, entry key, items, purpose, duty, channel, what happens next)
REQUESTS: list[dict[str, Any]] = [
    {
        "consumer": "prov_minzheng", "entry": "pop_basic",
        "items": ["id_number", "name", "gender", "birth_date", "household_address", "deceased"],
        "purpose": "最低生活保障对象身份与户籍核查",
        "duty": "《社会救助暂行办法》第十一条：最低生活保障审核确认", "channel": "api", "then": "granted",
    },
    {
        "consumer": "prov_minzheng", "entry": "renshe_canbao",
        "items": ["id_number", "name", "insurance_kind", "insurance_status"],
        "purpose": "低保家庭收入核对（社保缴费状态）",
        "duty": "《社会救助暂行办法》第十条：家庭经济状况核对", "channel": "api", "then": "late",
    },
    {
        "consumer": "prov_renshe", "entry": "minzheng_dibao",
        "items": ["id_number", "name", "assistance_kind"],
        "purpose": "困难人员就业援助对象认定",
        "duty": "《就业促进法》第五十二条：就业援助", "channel": "api", "then": "pending",
    },
    {
        "consumer": "prov_yibao", "entry": "gongan_huji",
        "items": ["id_number", "name", "move_type", "from_region", "to_region"],
        "purpose": "医保关系转移接续核验",
        "duty": "《社会保险法》第三十二条：基本医疗保险关系转移接续", "channel": "database", "then": "partial",
    },
    {
        "consumer": "prov_shuiwu", "entry": "renshe_jiuye",
        "items": ["id_number", "name", "employer_name", "employer_uscc"],
        "purpose": "个人所得税专项附加扣除核验",
        "duty": "《个人所得税法》第十五条：有关部门提供信息", "channel": "api", "then": "refused",
    },
    {
        "consumer": "prov_zhujian", "entry": "yibao_jsmx",
        "items": ["settlement_id", "id_number", "total_cost"],
        "purpose": "住房公积金大病提取核验",
        "duty": "《住房公积金管理条例》第二十四条：提取审核", "channel": "file", "then": "coordination",
    },
]  # fmt: skip
DEMO_APP = "最低生活保障审核系统"


def load_demo_sharing(
    ctx: Ctx, created: dict[str, Resource], officers: dict[int, Actor], orgs: dict[str, int]
) -> str | None:
    """Returns the demo application's credential (shown once, in the demo report)."""
    if ctx.session.execute(select(ShareRequest.id).limit(1)).first() is not None:
        return None
    minzheng = officers[orgs["prov_minzheng"]]
    grant_id = None
    for row in REQUESTS:
        resource = created.get(row["entry"])
        if resource is None or resource.published_version_id is None:
            continue
        consumer, provider = officers[orgs[row["consumer"]]], officers[resource.org_id]
        body = ShareRequestIn.model_validate(
            {"resource_id": resource.id, "items": row["items"], "row_filter": [], "purpose": row["purpose"],
             "duty": row["duty"], "duration_days": 365, "channel": row["channel"]}
        )  # fmt: skip
        then = row["then"]
        filed = Ctx(session=ctx.session, clock=FixedClock(_workdays_ago(ctx, 10))) if then == "late" else ctx
        request = service.submit_request(filed, consumer, body)
        if then == "granted":
            grant_id = request.grant_id
        elif then == "partial":
            service.approve(
                ctx,
                provider,
                request.id,
                ApproveIn(items=row["items"][:3], note="迁入迁出地之外的信息项不提供"),
            )
        elif then == "refused":
            reason = RefuseIn(
                reason="所申请用途不属于本部门数据的共享范围",
                basis="《四川省政务数据资源管理办法》第二十三条",
            )
            service.refuse(ctx, provider, request.id, reason)
    dispute_entry = created.get("yibao_jsmx")
    if dispute_entry is not None and dispute_entry.published_version_id is not None:
        zhujian = officers[orgs["prov_zhujian"]]
        dispute = disputes.raise_dispute(
            ctx, zhujian, DisputeIn(resource_id=dispute_entry.id, claimed_share_type="conditional",
                                    argument="结算明细脱敏后可有条件共享，用于大病提取审核")
        )  # fmt: skip
        disputes.act(ctx, officers[dispute_entry.org_id], dispute.id,
                     DisputeActIn(action="answer", note="明细含诊断信息，属敏感个人信息，维持不予共享"))  # fmt: skip
        disputes.act(
            ctx, zhujian, dispute.id, DisputeActIn(action="escalate", note="协商不成，提请省大数据中心协调")
        )
    if grant_id is None:
        return None
    _app, credential = apps.create_app(ctx, minzheng, AppIn(name=DEMO_APP, rate_per_minute=600))
    _calls(ctx, created["pop_basic"], credential)
    return credential


def _calls(ctx: Ctx, resource: Resource, credential: str) -> None:
    """A few lookups, as the demo application made them, so the usage report has something true to show."""
    pool = ctx.session.execute(select(Pool).where(Pool.resource_id == resource.id)).scalar_one_or_none()
    if pool is None:
        return
    from govdata.pool.tables import SUBJECT, pool_table

    table = pool_table(pool)
    subjects = list(
        ctx.session.execute(select(table.c[SUBJECT]).order_by(table.c[SUBJECT]).limit(12)).scalars()
    )
    runtime = exchange.Runtime(log=InlineLog())
    purpose = REQUESTS[0]["purpose"]
    for start in range(0, len(subjects), 3):
        caller = exchange.identify(ctx, runtime, credential, resource.id)
        access = exchange.authorise(ctx, runtime, caller, purpose, exchange.Operation.LOOKUP)
        exchange.lookup(ctx, runtime.log, access, subjects[start : start + 3])


def _workdays_ago(ctx: Ctx, n: int) -> dt.datetime:
    day = ctx.clock.today()
    while n > 0:
        day -= dt.timedelta(days=1)
        if ctx.calendar.is_workday(day):
            n -= 1
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=CHINA_TZ)

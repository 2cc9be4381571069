"""Fault-tolerance evidence (SUP-5; AB37, SC39): for one department and period, what the records show it did.

One row per obligation with its deadline and whether it was met, drawn only from records the platform keeps:
catalog submissions and trigger updates, pool loads against the update cycle with their reject figures, share
answers, open applications and corrections answered, violations and how each was closed, and the audit chain's
state (so the reader knows the records themselves were not altered).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from govdata.audit.service import verify
from govdata.authz import Actor, Permission, require, system_actor
from govdata.catalog.models import ChangeTrigger, Resource, ResourceVersion
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.deadlines import is_overdue
from govdata.errors import Forbidden, InvalidInput
from govdata.opendata.models import CatalogCorrection, OpenApplication, OpenListing
from govdata.pool.models import Batch, Pool
from govdata.sharing.models import ShareRequest
from govdata.supervision.models import Violation
from govdata.supervision.service import KIND_LABELS, STATE_LABELS, may_read, region_of


@dataclass
class Line:
    what: str
    start: dt.date | None
    due: dt.date | None
    done: dt.date | None
    status: str  # 按时 / 逾期 / 办理中 / 已逾期未办 / 无时限
    href: str | None = None
    note: str = ""


@dataclass
class Evidence:
    org_id: int
    org_name: str
    period_from: dt.date
    period_to: dt.date
    sections: dict[str, list[Line]] = field(default_factory=dict)
    audit_ok: bool = True
    audit_message: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = {name: _tally(lines) for name, lines in self.sections.items()}
        return data


def _tally(lines: list[Line]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.status] = counts.get(line.status, 0) + 1
    return counts


def _day(at: dt.datetime | None) -> dt.date | None:
    return at.astimezone(CHINA_TZ).date() if at else None


def _status(due: dt.date | None, done: dt.date | None, today: dt.date) -> str:
    if due is None:
        return "无时限" if done else "办理中"
    if done is not None:
        return "按时" if done <= due else "逾期"
    return "已逾期未办" if is_overdue(due, today) else "办理中"


def build(ctx: Ctx, actor: Actor, org_id: int, period_from: dt.date, period_to: dt.date) -> Evidence:
    require(actor, Permission.SUPERVISION_READ)
    if period_from > period_to:
        raise InvalidInput("起始日期不能晚于截止日期")
    if (period_to - period_from).days > 3 * 366:
        raise InvalidInput("一次最多出具三年的证明材料")
    org, path = region_of(ctx, org_id)
    if not may_read(actor, org.id, path):
        raise Forbidden("只能出具本单位（或本级及下级单位）的证明材料")
    today = ctx.clock.today()
    start = dt.datetime.combine(period_from, dt.time.min, CHINA_TZ)
    end = dt.datetime.combine(period_to + dt.timedelta(days=1), dt.time.min, CHINA_TZ)
    ev = Evidence(org.id, org.name, period_from, period_to)

    catalog: list[Line] = []
    for v, res in ctx.session.execute(
        select(ResourceVersion, Resource)
        .join(Resource, Resource.id == ResourceVersion.resource_id)
        .where(
            Resource.org_id == org.id,
            ResourceVersion.submitted_at >= start,
            ResourceVersion.submitted_at < end,
        )
        .order_by(ResourceVersion.submitted_at)
    ).all():
        done = _day(v.reviewed_at)
        catalog.append(Line(f"报送目录 {res.code}「{v.name}」第 {v.number} 版（审核时限为主管机构的）",
                            _day(v.submitted_at), v.review_due, done, _status(v.review_due, done, today),
                            f"/catalog/{res.id}", f"状态：{v.state}"))  # fmt: skip
    for t in ctx.session.scalars(
        select(ChangeTrigger)
        .join(Resource, Resource.id == ChangeTrigger.resource_id)
        .where(Resource.org_id == org.id, ChangeTrigger.occurred_on >= period_from,
               ChangeTrigger.occurred_on <= period_to)
        .order_by(ChangeTrigger.occurred_on)
    ):  # fmt: skip
        catalog.append(Line(f"变更情形后更新目录 {t.resource.code}：{t.description[:40]}", t.occurred_on,
                            t.update_due, t.updated_on, _status(t.update_due, t.updated_on, today),
                            f"/catalog/{t.resource_id}"))  # fmt: skip
    ev.sections["目录编制与更新"] = catalog

    pools: list[Line] = []
    from govdata.pool.quality import _cycle_of, _due_of

    for pool in ctx.session.scalars(select(Pool).where(Pool.org_id == org.id).order_by(Pool.id)):
        batches = list(
            ctx.session.scalars(
                select(Batch).where(
                    Batch.pool_id == pool.id, Batch.started_at >= start, Batch.started_at < end
                )
            )
        )
        read = sum(b.rows_read for b in batches)
        rejected = sum(b.rows_rejected for b in batches)
        due = _due_of(pool, _cycle_of(ctx, pool)) if pool.version_id else None
        rate = f"，拒收率 {rejected / read:.1%}" if read else ""
        pools.append(Line(f"资源池 {pool.table_name} 按周期归集（期间 {len(batches)} 批，读入 {read:,} 行{rate}）",
                          _day(pool.last_loaded_at), due, None,
                          "已逾期未办" if due and is_overdue(due, today) else "按时",
                          f"/pools/{pool.resource_id}" if pool.resource_id else None,
                          f"当前 {pool.row_count:,} 行"))  # fmt: skip
    ev.sections["资源池归集"] = pools

    shares: list[Line] = []
    for r in ctx.session.scalars(
        select(ShareRequest)
        .where(
            ShareRequest.provider_org_id == org.id,
            ShareRequest.created_at >= start,
            ShareRequest.created_at < end,
        )
        .order_by(ShareRequest.id)
    ):
        done = _day(r.answered_at)
        due = r.due_date if done is None else None
        status = _status(due, done, today) if not r.overdue_flagged_at else "逾期"
        shares.append(Line(f"答复共享申请 {r.id}（{r.purpose}）", _day(r.created_at), due, done, status,
                           f"/sharing/requests/{r.id}", f"状态：{r.state}"))  # fmt: skip
    ev.sections["共享申请答复"] = shares

    answers: list[Line] = []
    for a in ctx.session.scalars(
        select(OpenApplication).where(OpenApplication.provider_org_id == org.id,
                                      OpenApplication.created_at >= start, OpenApplication.created_at < end)
    ):  # fmt: skip
        done = _day(a.answered_at)
        answers.append(Line(f"答复有条件开放申请 {a.id}", _day(a.created_at), a.due_date, done,
                            _status(a.due_date, done, today), f"/open/applications/{a.id}"))  # fmt: skip
    for c in ctx.session.scalars(
        select(CatalogCorrection)
        .join(OpenListing, OpenListing.id == CatalogCorrection.listing_id)
        .where(
            OpenListing.org_id == org.id,
            CatalogCorrection.created_at >= start,
            CatalogCorrection.created_at < end,
        )
    ):
        done = _day(c.answered_at)
        answers.append(Line(f"答复开放目录纠错申请 {c.id}", _day(c.created_at), c.due_date, done,
                            _status(c.due_date, done, today), f"/open/corrections/{c.id}"))  # fmt: skip
    ev.sections["开放申请与纠错答复"] = answers

    violations: list[Line] = []
    for v in ctx.session.scalars(
        select(Violation)
        .where(
            Violation.org_id == org.id,
            Violation.occurred_on >= period_from,
            Violation.occurred_on <= period_to,
        )
        .order_by(Violation.occurred_on)
    ):
        violations.append(Line(f"{KIND_LABELS[v.kind]}：{v.summary}", v.occurred_on, None, _day(v.closed_at),
                               STATE_LABELS[v.state], f"/supervision/violations/{v.id}",
                               v.closing_note or ""))  # fmt: skip
    ev.sections["违规事项及处理"] = violations

    result = verify(ctx, system_actor("supervision-evidence"))
    ev.audit_ok, ev.audit_message = result.ok, result.message()
    return ev

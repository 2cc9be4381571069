"""The evaluation indicators the code can compute (SUP-2), each from the platform's own records.

A profile chooses among these keys and weighs them (profiles/builtin/*.yaml, `evaluation_indicators`); a key
not listed here is a load error. Every indicator answers, for each department of a level, a fraction
numerator / denominator and the records behind it (each with a link and whether it counted as met), so that
a score can be drilled into down to the share request or pool that made it. No records → not applicable
(the indicator drops out and the others of its dimension carry the weight), except where stated.

Period: the evaluated year up to `as_of` (the year's last day, or today for the running year). Indicators
about things that happen (answers, loads, calls, violations) count those in the period; indicators about
holdings (entries, pools, listings) read their state when the evaluation is computed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from govdata.catalog.models import OpenType, Resource, ResourceVersion, ShareType
from govdata.clock import CHINA_TZ
from govdata.opendata.models import ListingState, OpenApplication, OpenListing
from govdata.pool.models import Batch, BatchStatus, Pool
from govdata.pool.quality import refresh_due
from govdata.sharing.models import ExchangeCall, RequestState, ShareGrant, ShareRequest
from govdata.supervision.models import Violation, ViolationState


@dataclass(frozen=True)
class Period:
    """The departments evaluated and the days counted."""

    session: Session
    org_ids: list[int]
    start: dt.date
    end: dt.date  # inclusive: the year's last day, or the day the evaluation is computed

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), CHINA_TZ)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), CHINA_TZ)


@dataclass
class Counted:
    """One department's fraction for one indicator, with the records it was counted from."""

    numerator: float = 0
    denominator: float = 0
    records: list[dict[str, object]] = field(default_factory=list)
    always_applicable: bool = False  # a zero denominator still scores (see violation_free)

    def add(self, ok: bool, label: str, href: str | None, note: str = "") -> None:
        self.denominator += 1
        self.numerator += 1 if ok else 0
        self.records.append({"label": label, "href": href, "ok": ok, "note": note})

    @property
    def score(self) -> float | None:
        if not self.denominator:
            return 100.0 if self.always_applicable else None
        return round(100 * self.numerator / self.denominator, 2)


Computer = Callable[[Period], dict[int, Counted]]


@dataclass(frozen=True)
class Known:
    dimension: str
    compute: Computer


def _local(at: dt.datetime | None) -> dt.date | None:
    return at.astimezone(CHINA_TZ).date() if at is not None else None


def _per_org(period: Period) -> dict[int, Counted]:
    return defaultdict(Counted)


def published_entries(period: Period) -> list[tuple[Resource, ResourceVersion]]:
    """The departments' entries whose current published version was published by the period's end."""
    rows = period.session.execute(
        select(Resource, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(
            Resource.org_id.in_(period.org_ids),
            or_(ResourceVersion.published_at.is_(None), ResourceVersion.published_at < period.end_at),
        )
        .order_by(Resource.code)
    ).all()
    return [(r, v) for r, v in rows]


def _entry_label(resource: Resource, version: ResourceVersion) -> str:
    return f"{resource.code} {version.name}"


# --------------------------------------------------------------------------------------------- aggregation


def entries_with_pool(period: Period) -> dict[int, Counted]:
    """Published entries whose pool holds data (POOL-3): an entry without data cannot be shared."""
    pools = {
        p.resource_id: p
        for p in period.session.execute(select(Pool).where(Pool.org_id.in_(period.org_ids))).scalars()
    }
    out = _per_org(period)
    for resource, version in published_entries(period):
        pool = pools.get(resource.id)
        rows = pool.row_count if pool is not None else 0
        note = f"资源池 {rows:,} 行" if pool is not None else "未建资源池"
        out[resource.org_id].add(rows > 0, _entry_label(resource, version), f"/pools/{resource.id}", note)
    return out


def pools_timely(period: Period) -> dict[int, Counted]:
    """Pools refreshed within their entry's update cycle as of the period's end (irregular entries excluded)."""
    rows = period.session.execute(
        select(Pool, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Pool.version_id)
        .where(Pool.org_id.in_(period.org_ids), Pool.resource_id.is_not(None))
        .order_by(Pool.id)
    ).all()
    out = _per_org(period)
    for pool, version in rows:
        since = _local(pool.created_at)
        if since is None or since > period.end:
            continue
        due = refresh_due(version.update_cycle, _local(pool.last_loaded_at), since)
        if due is None:
            continue
        ok = period.end <= due
        note = f"应于 {due.isoformat()} 前更新" + ("" if ok else "，已逾期")
        out[pool.org_id].add(ok, version.name, f"/pools/{pool.resource_id}", note)
    return out


def load_validity(period: Period) -> dict[int, Counted]:
    """Rows accepted / rows read over the period's finished loads (POOL-5 validity); records are the batches."""
    rows = period.session.execute(
        select(Batch, Pool.org_id)
        .join(Pool, Pool.id == Batch.pool_id)
        .where(
            Pool.org_id.in_(period.org_ids),
            Batch.status == BatchStatus.SUCCEEDED,
            Batch.started_at >= period.start_at,
            Batch.started_at < period.end_at,
        )
        .order_by(Batch.id)
    ).all()
    out = _per_org(period)
    for batch, org_id in rows:
        counted = out[org_id]
        counted.denominator += batch.rows_read
        counted.numerator += batch.rows_read - batch.rows_rejected
        counted.records.append(
            {
                "label": f"归集批次 {batch.id}（{batch.source}）",
                "href": f"/batches/{batch.id}",
                "ok": batch.rows_rejected == 0,
                "note": f"读取 {batch.rows_read:,} 行，拒收 {batch.rows_rejected:,} 行",
            }
        )
    return out


# ------------------------------------------------------------------------------------------------- sharing


def _answered_on_time(due: dt.date, answered: dt.date | None, end: dt.date) -> tuple[bool, str]:
    if answered is not None:
        ok = answered <= due
        return ok, f"期限 {due.isoformat()}，{answered.isoformat()} 答复" + ("" if ok else "（逾期）")
    return False, f"期限 {due.isoformat()}，截至 {end.isoformat()} 未答复"


def share_answered_on_time(period: Period) -> dict[int, Counted]:
    """Conditional share requests whose answer was due in the period, answered by the due date (HN16, AB25)."""
    rows = period.session.execute(
        select(ShareRequest)
        .where(
            ShareRequest.provider_org_id.in_(period.org_ids),
            ShareRequest.due_date.is_not(None),
            ShareRequest.due_date >= period.start,
            ShareRequest.due_date <= period.end,
            ShareRequest.state != RequestState.WITHDRAWN,
        )
        .order_by(ShareRequest.id)
    ).scalars()
    out = _per_org(period)
    for request in rows:
        assert request.due_date is not None
        answered = _local(request.answered_at)
        ok, note = _answered_on_time(request.due_date, answered, period.end)
        label = f"共享申请 {request.id}：{request.purpose}"
        out[request.provider_org_id].add(ok, label, f"/sharing/requests/{request.id}", note)
    return out


def refusals_with_basis(period: Period) -> dict[int, Counted]:
    """Refusals in the period that give a legal basis (HN16: 不予共享应说明理由和依据)."""
    rows = period.session.execute(
        select(ShareRequest)
        .where(
            ShareRequest.provider_org_id.in_(period.org_ids),
            ShareRequest.state == RequestState.REFUSED,
            ShareRequest.answered_at >= period.start_at,
            ShareRequest.answered_at < period.end_at,
        )
        .order_by(ShareRequest.id)
    ).scalars()
    out = _per_org(period)
    for request in rows:
        basis = (request.answer_basis or "").strip()
        note = f"依据：{basis}" if basis else "未说明依据"
        out[request.provider_org_id].add(
            bool(basis), f"共享申请 {request.id}：{request.purpose}", f"/sharing/requests/{request.id}", note
        )
    return out


def unconditional_share(period: Period) -> dict[int, Counted]:
    """Published entries shared without conditions (SC: 以共享为原则、不共享为例外)."""
    out = _per_org(period)
    labels = {
        ShareType.UNCONDITIONAL: "无条件共享",
        ShareType.CONDITIONAL: "有条件共享",
        ShareType.NONE: "不予共享",
    }
    for resource, version in published_entries(period):
        ok = version.share_type == ShareType.UNCONDITIONAL
        out[resource.org_id].add(
            ok, _entry_label(resource, version), f"/catalog/{resource.id}", labels[version.share_type]
        )
    return out


# ------------------------------------------------------------------------------------------------- opening


def open_listings_published(period: Period) -> dict[int, Counted]:
    """Published entries that may be opened (open type not NONE) with a published open listing (OPEN-2)."""
    listed = {
        resource_id
        for (resource_id,) in period.session.execute(
            select(OpenListing.resource_id).where(
                OpenListing.org_id.in_(period.org_ids), OpenListing.state == ListingState.PUBLISHED
            )
        )
    }
    out = _per_org(period)
    for resource, version in published_entries(period):
        if version.open_type == OpenType.NONE:
            continue
        ok = resource.id in listed
        note = "已在开放目录发布" if ok else "尚未发布开放清单"
        out[resource.org_id].add(ok, _entry_label(resource, version), f"/catalog/{resource.id}", note)
    return out


def open_applications_on_time(period: Period) -> dict[int, Counted]:
    """Conditional-open applications whose answer was due in the period, answered by the due date (WZ31)."""
    rows = period.session.execute(
        select(OpenApplication)
        .where(
            OpenApplication.provider_org_id.in_(period.org_ids),
            OpenApplication.due_date.is_not(None),
            OpenApplication.due_date >= period.start,
            OpenApplication.due_date <= period.end,
        )
        .order_by(OpenApplication.id)
    ).scalars()
    out = _per_org(period)
    for application in rows:
        assert application.due_date is not None
        ok, note = _answered_on_time(application.due_date, _local(application.answered_at), period.end)
        label = f"开放申请 {application.id}"
        out[application.provider_org_id].add(ok, label, f"/open/applications/{application.id}", note)
    return out


# --------------------------------------------------------------------------------------------- application


def grants_used(period: Period) -> dict[int, Counted]:
    """Grants the department held in the period that it actually used through the exchange (SHARE-8 calls)."""
    grants = period.session.execute(
        select(ShareGrant)
        .where(
            ShareGrant.consumer_org_id.in_(period.org_ids),
            ShareGrant.valid_from <= period.end,
            ShareGrant.expires_on >= period.start,
        )
        .order_by(ShareGrant.id)
    ).scalars()
    grants = list(grants)
    used: dict[int, int] = defaultdict(int)
    if grants:
        for (grant_id,) in period.session.execute(
            select(ExchangeCall.grant_id).where(
                ExchangeCall.grant_id.in_([g.id for g in grants]),
                ExchangeCall.outcome == "success",
                ExchangeCall.at >= period.start_at,
                ExchangeCall.at < period.end_at,
            )
        ):
            used[grant_id] += 1
    out = _per_org(period)
    for grant in grants:
        calls = used.get(grant.id, 0)
        note = f"年度内成功调用 {calls:,} 次" if calls else "年度内未调用"
        out[grant.consumer_org_id].add(
            calls > 0, f"共享授权 {grant.id}：{grant.purpose}", "/sharing/grants", note
        )
    return out


def requests_granted(period: Period) -> dict[int, Counted]:
    """The department's own share requests filed in the period and settled that ended in a grant."""
    rows = period.session.execute(
        select(ShareRequest)
        .where(
            ShareRequest.consumer_org_id.in_(period.org_ids),
            ShareRequest.created_at >= period.start_at,
            ShareRequest.created_at < period.end_at,
            ShareRequest.state.in_([RequestState.GRANTED, RequestState.REFUSED]),
        )
        .order_by(ShareRequest.id)
    ).scalars()
    out = _per_org(period)
    for request in rows:
        ok = request.state == RequestState.GRANTED
        out[request.consumer_org_id].add(
            ok,
            f"共享申请 {request.id}：{request.purpose}",
            f"/sharing/requests/{request.id}",
            "已获授权" if ok else "被拒绝",
        )
    return out


# ------------------------------------------------------------------------------------------------ security


def _violations(period: Period) -> list[Violation]:
    return list(
        period.session.execute(
            select(Violation)
            .where(
                Violation.org_id.in_(period.org_ids),
                Violation.occurred_on >= period.start,
                Violation.occurred_on <= period.end,
                Violation.state != ViolationState.DISMISSED,
            )
            .order_by(Violation.occurred_on, Violation.id)
        ).scalars()
    )


_VIOLATION_STATES = {
    ViolationState.OPEN: "待处理",
    ViolationState.NOTIFIED: "已下达整改通知",
    ViolationState.RECTIFIED: "已整改",
    ViolationState.ESCALATED: "逾期未整改，已报告政府",
    ViolationState.DISMISSED: "经核实免责",
}


def _violation_record(v: Violation, ok: bool) -> dict[str, object]:
    return {
        "label": f"违规事项 {v.id}：{v.summary}",
        "href": f"/supervision/violations/{v.id}",
        "ok": ok,
        "note": f"{v.occurred_on.isoformat()} 发生，{_VIOLATION_STATES[v.state]}",
    }


def violation_free(period: Period) -> dict[int, Counted]:
    """1 − violations / published entries (at least 1), never below 0: no violation is full marks."""
    entries: dict[int, int] = defaultdict(int)
    for resource, _ in published_entries(period):
        entries[resource.org_id] += 1
    out: dict[int, Counted] = {}
    found: dict[int, list[Violation]] = defaultdict(list)
    for v in _violations(period):
        found[v.org_id].append(v)
    for org_id in period.org_ids:
        base = max(entries.get(org_id, 0), 1)
        counted = Counted(denominator=base, always_applicable=True)
        counted.numerator = max(0, base - len(found.get(org_id, [])))
        counted.records = [_violation_record(v, False) for v in found.get(org_id, [])]
        out[org_id] = counted
    return out


def violations_rectified(period: Period) -> dict[int, Counted]:
    """Violations of the period (dismissed ones excepted, SUP-5) that have been rectified."""
    out = _per_org(period)
    for v in _violations(period):
        counted = out[v.org_id]
        ok = v.state == ViolationState.RECTIFIED
        counted.denominator += 1
        counted.numerator += 1 if ok else 0
        counted.records.append(_violation_record(v, ok))
    return out


INDICATORS: dict[str, Known] = {
    "entries_with_pool": Known("aggregation", entries_with_pool),
    "pools_timely": Known("aggregation", pools_timely),
    "load_validity": Known("aggregation", load_validity),
    "share_answered_on_time": Known("sharing", share_answered_on_time),
    "refusals_with_basis": Known("sharing", refusals_with_basis),
    "unconditional_share": Known("sharing", unconditional_share),
    "open_listings_published": Known("opening", open_listings_published),
    "open_applications_on_time": Known("opening", open_applications_on_time),
    "grants_used": Known("application", grants_used),
    "requests_granted": Known("application", requests_granted),
    "violation_free": Known("security", violation_free),
    "violations_rectified": Known("security", violations_rectified),
}

"""Violation detection over the platform's own records (SUP-4).

Every detector reads records other domains already keep and writes one `Violation` per breach, keyed by a
`dedupe_key`, so running it again (the scheduled job does, every interval) adds only what is new. Each violation
names the responsible body, the day the rule was broken and links to the record it is about.

Rules where the regulations leave the detail to us:
- a deadline is broken on the first calendar day after the due date (`deadlines.is_overdue`);
- a late share answer is the provider's; a late opening of access (SC25) is the authority's of the entry's region;
- a late catalog review is the reviewing authority's (the one of the entry's region);
- use outside a grant's purpose (SC27, AB28): every exchange call the exchange refused because its stated purpose
  matched no live grant of the calling department, one violation per department, entry and purpose;
- asking citizens for data obtainable by sharing (AB22, SC19): an item a department's form collects whose concept
  (catalog semantics: exact name or a known synonym) another department shares, for the same kind of subject.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from govdata.audit.models import AuditEvent
from govdata.authz import system_actor
from govdata.catalog.item_sources import collected_items
from govdata.catalog.models import (
    ChangeTrigger,
    DataItem,
    IdentifierKind,
    OpenType,
    Resource,
    ResourceVersion,
    ShareType,
    SourceDesignation,
    TriggerState,
    VersionState,
)
from govdata.catalog.semantics import item_key
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.deadlines import is_overdue
from govdata.org.models import Organization, OrgKind, Region
from govdata.org.service import get_setting, set_setting
from govdata.sharing.models import ExchangeCall, RequestState, ShareRequest
from govdata.supervision.models import FormItem, Violation, ViolationKind, ViolationState

# The audit actions other domains mark possible_violation, and the kind each becomes.
AUDIT_KINDS: dict[str, ViolationKind] = {
    "share.request.overdue": ViolationKind.SHARE_ANSWER_LATE,
    "open.application.overdue": ViolationKind.OPEN_APPLICATION_LATE,
    "open.correction.overdue": ViolationKind.OPEN_CORRECTION_LATE,
    "quality.correction.overdue": ViolationKind.CORRECTION_LATE,
    "quality.correction.forward_overdue": ViolationKind.CORRECTION_LATE,
}
_HREFS = {
    "share_request": "/sharing/requests/{}",
    "open_application": "/open/applications/{}",
    "open_correction": "/open/corrections/{}",
    "open_listing": "/open/manage/listings/{}",
    "catalog_resource": "/catalog/{}",
    "pool": "/pools/{}",
}
_AUDIT_LABELS = {
    "share.request.overdue": "共享申请逾期未办理",
    "open.application.overdue": "有条件开放申请逾期未答复",
    "open.correction.overdue": "开放目录纠错申请逾期未答复",
    "quality.correction.overdue": "数据校核申请逾期未答复",
    "quality.correction.forward_overdue": "数据校核申请逾期未转交",
}


class _Orgs:
    """Organisation → region path, and each region's authority: every detector needs both."""

    def __init__(self, ctx: Ctx) -> None:
        rows = ctx.session.execute(
            select(Organization.id, Organization.kind, Organization.name, Region.path).join(
                Region, Region.id == Organization.region_id
            )
        ).all()
        self.path = {oid: path for oid, _k, _n, path in rows}
        self.name = {oid: name for oid, _k, name, _p in rows}
        self.authority = {path: oid for oid, kind, _n, path in sorted(rows) if kind == OrgKind.AUTHORITY}


class Writer:
    """Adds violations not yet on record; counts what it added."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.orgs = _Orgs(ctx)
        self.known = set(ctx.session.scalars(select(Violation.dedupe_key)))
        self.added = 0

    def add(
        self,
        kind: ViolationKind,
        key: str,
        org_id: int | None,
        summary: str,
        occurred_on: dt.date,
        obj: tuple[str, Any] | None = None,
        links: list[tuple[str, str]] | None = None,
        facts: dict[str, Any] | None = None,
    ) -> None:
        if key in self.known or org_id is None or org_id not in self.path_map:
            return
        self.known.add(key)
        links = list(links or [])
        if obj and obj[0] in _HREFS:
            links.insert(0, ("相关记录", _HREFS[obj[0]].format(obj[1])))
        evidence = {"links": [{"label": lbl, "href": href} for lbl, href in links], "facts": facts or {}}
        self.ctx.session.add(
            Violation(
                kind=kind,
                state=ViolationState.OPEN,
                dedupe_key=key[:200],
                org_id=org_id,
                region_path=self.path_map[org_id],
                summary=summary,
                object_type=obj[0] if obj else None,
                object_id=str(obj[1]) if obj else None,
                evidence=json.dumps(evidence, ensure_ascii=False, default=str),
                occurred_on=occurred_on,
                detected_at=self.ctx.clock.now(),
                detected_by_id=None,
            )
        )
        self.added += 1

    @property
    def path_map(self) -> dict[int, str]:
        return self.orgs.path


def _day_after(due: dt.date) -> dt.date:
    return due + dt.timedelta(days=1)


def _late(due: dt.date, done: dt.date | None, pending: bool, today: dt.date) -> bool:
    """Done after the due date, or still pending past it."""
    return (done is not None and done > due) or (pending and is_overdue(due, today))


def _local(at: dt.datetime) -> dt.date:
    return at.astimezone(CHINA_TZ).date()


# ---------------------------------------------------------------- detectors


AUDIT_WATERMARK = "supervision.detect.audit_seq"


def from_audit(ctx: Ctx, w: Writer) -> None:
    """Every `possible_violation` the sweeps recorded becomes a violation of the matching kind.

    Events are read after a watermark (the last sequence number read, kept as a deployment setting and moved in
    the same transaction), so a run reads only what is new: the audit log only grows. Appends hold the chain's
    lock until they commit, so sequence order is commit order and no event can appear below the watermark."""
    after = int(get_setting(ctx.session, AUDIT_WATERMARK) or 0)
    events = list(
        ctx.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > after, AuditEvent.outcome == "possible_violation")
            .order_by(AuditEvent.seq)
        )
    )
    if events:
        set_setting(ctx.session, AUDIT_WATERMARK, str(events[-1].seq))
    for event in events:
        kind = AUDIT_KINDS.get(event.action)
        if kind is None:
            continue
        detail = json.loads(event.detail or "{}")
        due = dt.date.fromisoformat(str(detail["due"])[:10]) if detail.get("due") else _local(event.at)
        org_id = next(
            (detail[k] for k in ("provider_org_id", "collector_org_id", "org_id", "responsible_org_id")
             if isinstance(detail.get(k), int)),
            event.org_id,
        )  # fmt: skip
        if event.action == "share.request.overdue" and detail.get("state") == RequestState.AWAITING_ACCESS:
            request = ctx.session.get(ShareRequest, int(event.object_id or 0))
            if request is not None:
                org_id = w.orgs.authority.get(request.region_path, org_id)
        if event.action == "quality.correction.forward_overdue":  # AB20: forwarding is the authority's duty
            org_id = w.orgs.authority.get(str(detail.get("region_path")), org_id)
        label = _AUDIT_LABELS.get(event.action, event.action)
        w.add(
            kind,
            f"audit:{event.action}:{event.object_id}",
            org_id,
            f"{label}（{event.object_type} {event.object_id}，应于 {due.isoformat()} 前办理）",
            _day_after(due),
            (event.object_type, event.object_id),
            [("审计事件", f"/audit?seq={event.seq}")],
            {"audit_seq": event.seq, "action": event.action, "due": due.isoformat()},
        )


def catalog_late(ctx: Ctx, w: Writer) -> None:
    """Catalog updates not made (or not reported) in time after a trigger (AB16), and late reviews."""
    today = ctx.clock.today()
    for trig in ctx.session.scalars(select(ChangeTrigger).order_by(ChangeTrigger.id)):
        res = trig.resource
        steps = [("update", "目录更新", trig.update_due, trig.updated_on, trig.state == TriggerState.OPEN)]
        if trig.report_due is not None:
            pending = trig.state == TriggerState.UPDATED
            steps.append(("report", "报送主管部门", trig.report_due, trig.reported_on, pending))
        for step, label, due, done, pending in steps:
            if not _late(due, done, pending, today):
                continue
            w.add(
                ViolationKind.CATALOG_UPDATE_LATE,
                f"catalog.trigger:{trig.id}:{step}",
                res.org_id,
                f"目录条目 {res.code} 发生变更情形后未按时{label}（应于 {due.isoformat()} 前）",
                _day_after(due),
                ("catalog_resource", res.id),
                None,
                {"trigger": trig.id, "occurred_on": trig.occurred_on, "due": due, "done_on": done},
            )
    rows = ctx.session.execute(
        select(ResourceVersion, Resource)
        .join(Resource, Resource.id == ResourceVersion.resource_id)
        .where(ResourceVersion.review_due.is_not(None))
        .order_by(ResourceVersion.id)
    ).all()
    for version, res in rows:
        due = version.review_due
        assert due is not None
        reviewed = _local(version.reviewed_at) if version.reviewed_at else None
        waiting = version.state == VersionState.SUBMITTED
        if not _late(due, reviewed, waiting, today):
            continue
        w.add(
            ViolationKind.CATALOG_REVIEW_LATE,
            f"catalog.review:{version.id}",
            w.orgs.authority.get(res.region_path),
            f"目录条目 {res.code}「{version.name}」第 {version.number} 版未按时审核（应于 {due.isoformat()} 前）",
            _day_after(due),
            ("catalog_resource", res.id),
            None,
            {"version": version.number, "due": due, "reviewed_on": reviewed},
        )


def open_review_late(ctx: Ctx, w: Writer) -> None:
    """Open listings the authority reviewed after their review due date, or still waits on past it (OPEN-2)."""
    from govdata.opendata.models import ListingState, OpenListing

    today = ctx.clock.today()
    rows = ctx.session.scalars(
        select(OpenListing).where(OpenListing.review_due.is_not(None)).order_by(OpenListing.id)
    )
    for listing in rows:
        due = listing.review_due
        assert due is not None
        waiting = listing.state == ListingState.SUBMITTED
        reviewed = None if waiting or listing.reviewed_at is None else _local(listing.reviewed_at)
        if not _late(due, reviewed, waiting, today):
            continue
        w.add(
            ViolationKind.OPEN_REVIEW_LATE,
            f"open.review:{listing.id}:{due.isoformat()}",  # a resubmission has its own due date
            w.orgs.authority.get(listing.region_path),
            f"开放清单条目「{listing.title}」未按时审核（应于 {due.isoformat()} 前）",
            _day_after(due),
            ("open_listing", listing.id),
            None,
            {"due": due, "reviewed_on": reviewed},
        )


def refusals_without_basis(ctx: Ctx, w: Writer) -> None:
    """Refused share requests, and not-shared / conditional / not-open entries, without a legal basis (SHARE-2)."""
    refused = ctx.session.scalars(
        select(ShareRequest).where(ShareRequest.answered_at.is_not(None), ShareRequest.answer_basis.is_(None))
    )
    for req in refused:
        if not any(s.to_state == RequestState.REFUSED for s in req.steps):
            continue
        assert req.answered_at is not None
        w.add(
            ViolationKind.REFUSAL_WITHOUT_BASIS,
            f"share.refuse:{req.id}",
            req.provider_org_id,
            f"拒绝共享申请 {req.id} 未说明法律法规或政策依据",
            _local(req.answered_at),
            ("share_request", req.id),
            None,
            {"reason": req.answer},
        )
    rows = ctx.session.execute(
        select(Resource, ResourceVersion).join(
            ResourceVersion, ResourceVersion.id == Resource.published_version_id
        )
    ).all()
    for res, v in rows:
        on = _local(v.published_at or v.created_at)
        if v.share_type != ShareType.UNCONDITIONAL and not (v.share_basis or "").strip():
            what = "不予共享" if v.share_type == ShareType.NONE else "有条件共享"
            w.add(
                ViolationKind.REFUSAL_WITHOUT_BASIS,
                f"catalog.share_basis:{v.id}",
                res.org_id,
                f"目录条目 {res.code}「{v.name}」列为{what}但无法律法规或政策依据（按规定应为无条件共享）",
                on,
                ("catalog_resource", res.id),
                None,
                {"version": v.number, "share_type": v.share_type},
            )
        if v.open_type == OpenType.NONE and not (v.open_basis or "").strip():
            w.add(
                ViolationKind.REFUSAL_WITHOUT_BASIS,
                f"catalog.open_basis:{v.id}",
                res.org_id,
                f"目录条目 {res.code}「{v.name}」列为不予开放但无法律法规或政策依据",
                on,
                ("catalog_resource", res.id),
                None,
                {"version": v.number, "open_type": v.open_type},
            )


def duplicate_collection(ctx: Ctx, w: Writer) -> None:
    """A department collecting an item (or an entry) another department is the designated source of (CAT-5)."""
    for group in collected_items(ctx, system_actor("supervision-detect")):
        source = group.source
        if source is None:
            continue
        source_org = next(
            (c.org_id for c in group.collectors if c.resource_id == source.source_resource_id), None
        )
        for c in group.collectors:
            if c.org_id == source_org or c.resource_id == source.source_resource_id:
                continue
            w.add(
                ViolationKind.DUPLICATE_COLLECTION,
                f"dup.item:{group.key}:{group.subject_kind}:{c.resource_id}",
                c.org_id,
                f"{c.org_name}在「{c.entry_name}」中重复采集“{c.item_name}”，该信息项已指定由"
                f"{w.orgs.name.get(source_org or 0, '其他部门')}采集（一数一源）",
                _local(source.decided_at),
                ("catalog_resource", c.resource_id),
                [("指定的来源条目", f"/catalog/{source.source_resource_id}")],
                {"item": group.key, "subject_kind": group.subject_kind, "reason": source.reason},
            )
    for d in ctx.session.scalars(select(SourceDesignation).order_by(SourceDesignation.id)):
        for rid in [int(x) for x in d.duplicate_resource_ids.split(",") if x.strip()]:
            res = ctx.session.get(Resource, rid)
            if res is None or res.published_version_id is None or res.org_id == d.source_resource.org_id:
                continue
            w.add(
                ViolationKind.DUPLICATE_COLLECTION,
                f"dup.entry:{d.id}:{rid}",
                res.org_id,
                f"目录条目 {res.code} 与已指定的来源条目 {d.source_resource.code} 重复，仍在采集",
                _local(d.decided_at),
                ("catalog_resource", rid),
                [("指定的来源条目", f"/catalog/{d.source_resource_id}")],
                {"reason": d.reason},
            )


def shared_offers(ctx: Ctx) -> dict[tuple[str, str], list[tuple[int, int, str, str]]]:
    """(item concept, subject kind) → [(entry id, org id, entry code, entry name)] of every shared entry."""
    rows = ctx.session.execute(
        select(Resource, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(ResourceVersion.share_type != ShareType.NONE)
    ).all()
    items: dict[int, list[DataItem]] = {}
    for item in ctx.session.scalars(
        select(DataItem).where(DataItem.version_id.in_([v.id for _r, v in rows]))
    ):
        items.setdefault(item.version_id, []).append(item)
    offers: dict[tuple[str, str], list[tuple[int, int, str, str]]] = {}
    for res, v in rows:
        mine = items.get(v.id, [])
        kind = next((i.identifier_kind for i in mine if i.identifier_kind != IdentifierKind.NONE), None)
        if kind is None:
            continue
        for item in mine:
            key = item_key(item.name, item.identifier_kind)
            if key:
                offers.setdefault((key, kind.value), []).append((res.id, res.org_id, res.code, v.name))
    return offers


def obtainable_by_sharing(ctx: Ctx, w: Writer) -> None:
    """Items a department's forms ask citizens for that another department already shares (AB22)."""
    offers = shared_offers(ctx)
    for form in ctx.session.scalars(select(FormItem).order_by(FormItem.id)):
        key = item_key(form.item_name)
        found = [o for o in offers.get((key or "", form.subject_kind), []) if o[1] != form.org_id]
        if not found:
            continue
        w.add(
            ViolationKind.OBTAINABLE_BY_SHARING,
            f"form:{form.id}",
            form.org_id,
            f"办事表单「{form.form_name}」要求群众提供“{form.item_name}”，该数据可通过共享获取"
            f"（{w.orgs.name.get(found[0][1], '')}「{found[0][3]}」）",
            _local(form.created_at),
            ("form_item", form.id),
            [(f"共享条目 {code}", f"/catalog/{rid}") for rid, _o, code, _n in found[:5]],
            {"form": form.form_name, "item": form.item_name, "concept": key},
        )


def use_beyond_purpose(ctx: Ctx, w: Writer) -> None:
    """Exchange calls refused because the purpose matched no live grant (SC27): one per body, entry, purpose."""
    calls = ctx.session.scalars(
        select(ExchangeCall)
        .where(ExchangeCall.outcome == "refused", ExchangeCall.reason.like("用途%"))
        .order_by(ExchangeCall.id)
    )
    for call in calls:
        digest = hashlib.sha256((call.purpose or "").encode()).hexdigest()[:16]
        w.add(
            ViolationKind.USE_BEYOND_PURPOSE,
            f"purpose:{call.consumer_org_id}:{call.resource_id}:{digest}",
            call.consumer_org_id,
            f"调用共享数据（目录条目 {call.resource_id}）的用途“{call.purpose}”超出共享授权的用途",
            _local(call.at),
            ("catalog_resource", call.resource_id),
            [("调用记录", "/sharing/usage")],
            {
                "call": call.id,
                "operation": call.operation,
                "reason": call.reason,
                "audit_seq": call.audit_seq,
            },
        )


def pools_overdue(ctx: Ctx, w: Writer) -> None:
    """Pools not refreshed within their entry's update cycle: one violation per missed due date."""
    from govdata.pool.quality import overdue_pools

    for pool, due in overdue_pools(ctx, system_actor("supervision-detect")):
        w.add(
            ViolationKind.POOL_OVERDUE,
            f"pool:{pool.id}:{due.isoformat()}",
            pool.org_id,
            f"资源池 {pool.table_name} 未按更新周期归集（应于 {due.isoformat()} 前更新）",
            _day_after(due),
            ("pool", pool.resource_id) if pool.resource_id else None,
            None,
            {"pool": pool.id, "due": due, "last_loaded_at": pool.last_loaded_at},
        )


DETECTORS: dict[str, Callable[[Ctx, Writer], None]] = {
    "audit": from_audit,
    "catalog": catalog_late,
    "open_review": open_review_late,
    "no_basis": refusals_without_basis,
    "duplicate": duplicate_collection,
    "obtainable": obtainable_by_sharing,
    "purpose": use_beyond_purpose,
    "pool": pools_overdue,
}


def detect_all(ctx: Ctx) -> dict[str, int]:
    """Run every detector; returns how many new violations each added (0 on a second run)."""
    w = Writer(ctx)
    counts: dict[str, int] = {}
    for name, detector in DETECTORS.items():
        before = w.added
        detector(ctx, w)
        counts[name] = w.added - before
    ctx.session.flush()
    return counts

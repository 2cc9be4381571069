"""Loads the demo jurisdiction through the real use cases, so its records obey every rule and are audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from govdata.authz import Actor, system_actor
from govdata.catalog import changes, demands, service
from govdata.catalog.models import Resource, TriggerKind
from govdata.catalog.schemas import CreateEntryIn, DemandIn, EditEntryIn, TriggerIn
from govdata.context import Ctx
from govdata.demo import content, pools
from govdata.demo.evaluation import load_demo_evaluation
from govdata.demo.opendata import load_demo_open
from govdata.demo.projects import load_demo_projects
from govdata.demo.providers import load_demo_providers
from govdata.demo.quality import load_demo_quality
from govdata.demo.sharing import load_demo_sharing
from govdata.opendata.models import ListingState, OpenListing
from govdata.org.models import Organization, OrgKind, Region, RegionLevel, Role, SubjectKind, User
from govdata.org.service import (
    NewUser,
    actor_for,
    get_or_create_org,
    get_or_create_region,
    get_setting,
    init_deployment,
    set_setting,
)
from govdata.pool.models import Pool
from govdata.sharing.models import ShareRequest

DEMO_PROFILE = "sichuan"
DEMO_MARK = "demo_loaded"


@dataclass
class DemoReport:
    created: bool
    users: list[tuple[str, str, str, str, str]] = field(
        default_factory=list
    )  # username, password, role, name, org
    counts: dict[str, int] = field(default_factory=dict)
    # 民政厅's demo application for the exchange API: only its digest is stored, so it is shown on the first run.
    app_credential: str | None = None

    @property
    def headline(self) -> str:
        state = "演示辖区已就绪（四川省样例）" if self.created else "演示辖区已存在，本次未重复载入"
        return state + "：" + "，".join(f"{k} {v}" for k, v in self.counts.items())


def load_demo(ctx: Ctx) -> DemoReport:
    """Idempotent: the demo is marked once all of it has loaded, so a second run adds nothing.

    Pool loads commit as they go (see demo.pools): a run that fails after they began resumes where it stopped.
    """
    sys = system_actor("govdata demo")
    if get_setting(ctx.session, "profile") is None:
        init_deployment(ctx, sys, DEMO_PROFILE)
    already = get_setting(ctx.session, DEMO_MARK) is not None
    credential = None
    if not already:
        credential = _load(ctx, sys)
        set_setting(ctx.session, DEMO_MARK, ctx.clock.now().isoformat())
    report = DemoReport(created=not already, app_credential=credential)
    from govdata.org.models import ROLE_LABELS

    orgs = {o["key"]: o["name"] for o in content.ORGS}
    for row in content.USERS:
        report.users.append(
            (
                row["username"],
                row["password"],
                ROLE_LABELS[Role(row["role"])],
                row["display_name"],
                orgs.get(row["org_key"] or "", "—"),
            )
        )
    report.counts = {
        "行政区划": len(ctx.session.execute(select(Region.id)).all()),
        "单位": len(ctx.session.execute(select(Organization.id)).all()),
        "用户": len(ctx.session.execute(select(User.id)).all()),
        "目录条目": len(ctx.session.execute(select(Resource.id)).all()),
        "资源池": len(ctx.session.execute(select(Pool.id)).all()),
        "归集数据行": ctx.session.execute(select(func.coalesce(func.sum(Pool.row_count), 0))).scalar_one(),
        "共享申请": len(ctx.session.execute(select(ShareRequest.id)).all()),
        "开放数据集（已发布）": len(
            ctx.session.execute(
                select(OpenListing.id).where(OpenListing.state == ListingState.PUBLISHED)
            ).all()
        ),
    }
    return report


def _load(ctx: Ctx, sys: Actor) -> str | None:
    from govdata.org.service import create_user

    regions: dict[str, Region] = {}
    for row in content.REGIONS:
        regions[row.code] = get_or_create_region(
            ctx, sys, row.code, row.name, RegionLevel(row.level), row.parent_code
        )
    orgs: dict[str, Organization] = {}
    for org in content.ORGS:
        orgs[org["key"]] = get_or_create_org(
            ctx,
            sys,
            region=regions[org["region_code"]],
            name=org["name"],
            short_name=org["short_name"],
            kind=OrgKind(org["kind"]),
            org_code=org["org_code"],
            uscc_code=org["uscc"],
        )
    users: dict[str, User] = {}
    for row in content.USERS:
        existing = ctx.session.execute(
            select(User).where(User.username == row["username"])
        ).scalar_one_or_none()
        users[row["username"]] = existing or create_user(
            ctx,
            sys,
            NewUser(
                username=row["username"],
                display_name=row["display_name"],
                role=Role(row["role"]),
                password=row["password"],
                org_id=orgs[row["org_key"]].id if row["org_key"] else None,
                account_end_date=dt.date.fromisoformat(row["account_end_date"])
                if row["account_end_date"]
                else None,
                subject_kind=SubjectKind(row["subject_kind"]) if row["subject_kind"] else None,
                subject_id=row["subject_id"],
            ),
        )
    officers = {
        u.org_id: actor_for(u) for u in users.values() if u.role == Role.DEPT_OFFICER and u.org_id is not None
    }
    reviewers = [actor_for(u) for u in users.values() if u.role == Role.AUTHORITY_REVIEWER]

    def reviewer_for(resource: Resource) -> Actor:
        fitting = [r for r in reviewers if r.region_path and resource.region_path.startswith(r.region_path)]
        return max(fitting, key=lambda r: len(r.region_path or ""))

    # 1. every entry as a draft; 2. related resources once all codes exist; 3. move each to its state.
    # A run interrupted after the first pool load (which commits the catalog, whole) resumes with its entries.
    created: dict[str, Resource] = pools.already_created_entries(ctx)
    ordered = sorted(
        (e for e in content.ENTRIES if e["key"] not in created), key=lambda e: e["state"] == "submitted"
    )  # sources before their duplicates
    for entry in ordered:
        officer = officers[orgs[entry["org_key"]].id]
        created[entry["key"]] = service.create_entry(
            ctx, officer, CreateEntryIn.model_validate(entry["data"])
        )
    for entry in ordered:
        if entry.get("related_keys"):
            officer = officers[orgs[entry["org_key"]].id]
            data = dict(entry["data"])
            data.pop("supplementary", None)
            data["related_codes"] = [created[k].code for k in entry["related_keys"]]
            service.edit_entry(ctx, officer, created[entry["key"]].id, EditEntryIn.model_validate(data))
    for entry in ordered:
        resource = created[entry["key"]]
        officer = officers[resource.org_id]
        state = entry["state"]
        if state == "draft":
            continue
        service.submit(ctx, officer, resource.id)
        if state == "submitted":
            continue
        reviewer = reviewer_for(resource)
        if state == "returned":
            service.review(ctx, reviewer, resource.id, "return", entry["return_comment"])
            continue
        service.review(ctx, reviewer, resource.id, "approve", "同意")
        if state == "approved":
            continue
        if ctx.profile.workflow.separate_publish_step:
            service.publish(ctx, reviewer, resource.id)
        if state == "republished":
            service.edit_entry(ctx, officer, resource.id, EditEntryIn.model_validate(entry["next_version"]))
    pools.load_demo_pools(ctx, created, officers)  # commits: see demo.pools on resuming after a failure
    for trig in content.TRIGGERS:
        resource = created[trig["entry_key"]]
        changes.record_trigger(
            ctx,
            officers[resource.org_id],
            resource.id,
            TriggerIn(
                kind=TriggerKind(trig["kind"]),
                description=trig["description"],
                occurred_on=_workdays_ago(ctx, trig["occurred_days_ago"]),
            ),
        )
    for row in content.DEMANDS:
        officer = officers[orgs[row["org_key"]].id]
        fields = {k: v for k, v in row.items() if k not in ("org_key", "expected_match_key")}
        demands.create_demand(ctx, officer, DemandIn.model_validate(fields))
    credential = load_demo_sharing(ctx, created, officers, {key: org.id for key, org in orgs.items()})
    load_demo_open(ctx, created, officers, reviewer_for)
    load_demo_projects(ctx, created, officers, reviewer_for)
    load_demo_providers(ctx)
    load_demo_quality(ctx, created, officers, credential)
    _build_base_databases(ctx, actor_for(users["prov_admin"]))
    from govdata.demo.supervision import load_demo_supervision

    load_demo_supervision(ctx)  # violations detected over all of the above, a notice, a spot check
    load_demo_evaluation(ctx)  # last: it counts every record above
    return credential


def _build_base_databases(ctx: Ctx, admin: Actor) -> None:
    """Golden records from the pools' base items, so the base-database pages and a person's own page show them."""
    from govdata.catalog.models import BaseDatabase
    from govdata.pool import basedb

    for kind in BaseDatabase:
        if basedb.base_fields(ctx, kind):
            basedb.build(ctx, admin, kind.value)


def _workdays_ago(ctx: Ctx, n: int) -> dt.date:
    day = ctx.clock.today()
    while n > 0:
        day -= dt.timedelta(days=1)
        if ctx.calendar.is_workday(day):
            n -= 1
    return day

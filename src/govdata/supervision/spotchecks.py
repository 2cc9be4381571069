"""Spot checks (随机抽查, SUP-1; AB36, SC38): a reproducible random sample of the authority's own level.

The population is defined, sorted by id and recorded with the seed, so anyone can redraw the sample:
`random.Random(seed).sample(sorted_population, size)` — the check page shows the population, size and seed.
Each sampled department or entry then gets a finding; a problem becomes a violation of kind OTHER.
"""

from __future__ import annotations

import json
import random
import secrets
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import Resource
from govdata.context import Ctx
from govdata.errors import InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, OrgKind, Region
from govdata.supervision.models import SpotCheck, SpotFinding, Violation, ViolationKind, ViolationState
from govdata.supervision.service import is_auditor
from govdata.textguard import OptionalSafeText, SafeText


class Population(StrEnum):
    DEPARTMENTS = "departments"
    ENTRIES = "entries"


POPULATION_LABELS = {
    Population.DEPARTMENTS: "本级政务部门",
    Population.ENTRIES: "本级已发布的目录条目",
}
CONFORMING, PROBLEM = "conforming", "problem"
RESULT_LABELS = {CONFORMING: "符合规定", PROBLEM: "发现问题"}


class SpotCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: SafeText = Field(min_length=2, max_length=200, title="抽查名称")
    population: Population = Field(title="抽查对象")
    size: int = Field(ge=1, le=500, title="抽取数量")
    seed: int | None = Field(default=None, ge=0, le=2**53, title="随机种子（不填则随机生成）")


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    result: str = Field(pattern="^(conforming|problem)$", title="检查结果")
    description: OptionalSafeText = Field(default=None, max_length=2000, title="问题描述")


def draw(population: list[int], size: int, seed: int) -> list[int]:
    """The sample: the same sorted population, size and seed always give the same ids, in the same order."""
    ordered = sorted(population)
    return random.Random(seed).sample(ordered, min(size, len(ordered)))


def population_of(ctx: Ctx, actor: Actor, population: Population) -> list[tuple[int, int]]:
    """(object id, department id) of the actor's own level, sorted by object id."""
    path = actor.region_path or ""
    if population == Population.DEPARTMENTS:
        rows = ctx.session.execute(
            select(Organization.id, Organization.id)
            .join(Region, Region.id == Organization.region_id)
            .where(Region.path == path, Organization.kind == OrgKind.DEPARTMENT)
        ).all()
    else:
        rows = ctx.session.execute(
            select(Resource.id, Resource.org_id).where(
                Resource.region_path == path, Resource.published_version_id.is_not(None)
            )
        ).all()
    return sorted((int(a), int(b)) for a, b in rows)


def create(ctx: Ctx, actor: Actor, data: SpotCheckIn) -> SpotCheck:
    require(actor, Permission.SUPERVISE)
    if not actor.is_authority:
        raise InvalidInput("只有数据主管机构可以组织抽查")
    members = population_of(ctx, actor, data.population)
    if not members:
        raise InvalidInput(f"{POPULATION_LABELS[data.population]}为空，无可抽查的对象")
    if data.size > len(members):
        raise InvalidInput(f"抽取数量（{data.size}）超过总体数量（{len(members)}）")
    seed = data.seed if data.seed is not None else secrets.randbelow(10**9)
    ids = [m[0] for m in members]
    org_of = dict(members)
    sample = draw(ids, data.size, seed)
    check = SpotCheck(
        title=data.title,
        population=data.population.value,
        region_path=actor.region_path or "",
        population_ids=",".join(str(i) for i in ids),
        sample_size=data.size,
        seed=seed,
        drawn_at=ctx.clock.now(),
        drawn_by_id=actor.user_id,
    )
    ctx.session.add(check)
    ctx.session.flush()
    kind = "organization" if data.population == Population.DEPARTMENTS else "catalog_resource"
    for pos, oid in enumerate(sample, start=1):
        ctx.session.add(
            SpotFinding(check_id=check.id, position=pos, object_type=kind, object_id=oid, org_id=org_of[oid])
        )
    ctx.session.flush()
    record(ctx, actor, "supervision.spotcheck.draw", "spot_check", check.id,
           detail={"population": data.population, "population_size": len(ids), "size": data.size,
                   "seed": seed, "sample": sample})  # fmt: skip
    return check


def _visible(actor: Actor, check: SpotCheck) -> bool:
    return (
        actor.is_system
        or is_auditor(actor)
        or (actor.is_authority and check.region_path.startswith(actor.region_path or "\x00"))
    )


def list_checks(ctx: Ctx, actor: Actor) -> list[SpotCheck]:
    require(actor, Permission.SUPERVISION_READ)
    checks = ctx.session.scalars(select(SpotCheck).order_by(SpotCheck.id.desc()).limit(200))
    return [c for c in checks if _visible(actor, c)]


def get_check(ctx: Ctx, actor: Actor, check_id: int) -> SpotCheck:
    require(actor, Permission.SUPERVISION_READ)
    check = ctx.session.get(SpotCheck, check_id)
    if check is None or not _visible(actor, check):
        raise NotFound("抽查不存在，或无权查看")
    return check


def findings(ctx: Ctx, check_id: int) -> list[SpotFinding]:
    return list(
        ctx.session.scalars(
            select(SpotFinding).where(SpotFinding.check_id == check_id).order_by(SpotFinding.position)
        )
    )


def redraw(check: SpotCheck) -> list[int]:
    """What anyone gets redrawing from the recorded population, size and seed (equals the stored sample)."""
    ids = [int(x) for x in check.population_ids.split(",") if x]
    return draw(ids, check.sample_size, check.seed)


def get_finding(ctx: Ctx, actor: Actor, finding_id: int) -> tuple[SpotCheck, SpotFinding]:
    finding = ctx.session.get(SpotFinding, finding_id)
    if finding is None:
        raise NotFound("该抽查对象不存在")
    return get_check(ctx, actor, finding.check_id), finding


def record_finding(ctx: Ctx, actor: Actor, finding_id: int, data: FindingIn) -> SpotFinding:
    check, finding = get_finding(ctx, actor, finding_id)
    require(actor, Permission.SUPERVISE, region_path=check.region_path)
    if finding.result is not None:
        raise InvalidTransition("该对象的检查结果已记录")
    if data.result == PROBLEM and not data.description:
        raise InvalidInput("发现问题时须填写问题描述")
    now = ctx.clock.now()
    finding.result = data.result
    finding.description = data.description
    finding.recorded_at, finding.recorded_by_id = now, actor.user_id
    if data.result == PROBLEM:
        org = ctx.session.get(Organization, finding.org_id)
        region = ctx.session.get(Region, org.region_id) if org else None
        href = f"/catalog/{finding.object_id}" if finding.object_type == "catalog_resource" else None
        violation = Violation(
            kind=ViolationKind.OTHER,
            state=ViolationState.OPEN,
            dedupe_key=f"spotcheck:{check.id}:{finding.id}",
            org_id=finding.org_id,
            region_path=region.path if region else check.region_path,
            summary=f"抽查「{check.title}」发现问题：{data.description}",
            object_type=finding.object_type,
            object_id=str(finding.object_id),
            evidence=json.dumps(
                {
                    "links": [{"label": "抽查记录", "href": f"/supervision/spotchecks/{check.id}"}]
                    + ([{"label": "抽查的目录条目", "href": href}] if href else []),
                    "facts": {"spot_check": check.id, "seed": check.seed},
                },
                ensure_ascii=False,
            ),
            occurred_on=ctx.clock.today(),
            detected_at=now,
            detected_by_id=actor.user_id,
        )
        ctx.session.add(violation)
        ctx.session.flush()
        finding.violation_id = violation.id
    record(ctx, actor, "supervision.spotcheck.finding", "spot_check", check.id,
           detail={"finding": finding.id, "result": data.result, "violation": finding.violation_id})  # fmt: skip
    return finding

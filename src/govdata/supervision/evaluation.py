"""Annual evaluation of a level's departments (SUP-2; SC45, HN18, WZ43, AB43).

The authority (EVALUATE) computes a year's evaluation from the platform's records: every indicator the profile
lists, for every department of its level, with the records behind it. Computing again replaces the draft
(deterministic: same records, same scores); publishing freezes it, and may put it on the portal too (SC45
"公开结果", HN18 "公布评估报告"). Departments see their own scores once published (SUPERVISION_READ), the
authority and auditors of the level see all. Rankings are competition rankings (1, 2, 2, 4) per dimension
and in total; a department with nothing applicable in a dimension is not ranked in it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.authz.core import in_jurisdiction
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, OrgKind
from govdata.profiles.labels import EVALUATION_LABELS
from govdata.supervision.indicators import INDICATORS, Period
from govdata.supervision.report_models import EvaluationRun, EvaluationScore, EvaluationState

FIRST_YEAR = 2000
# A department with records in less than half the weighted dimensions (e.g. one that holds no data) is not
# ranked in total: its few applicable scores say little, and ranking it first for having nothing to do would
# mislead. Regulations are silent; half is the smallest share that still covers most of the work.
MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class IndicatorDef:
    key: str
    label: str
    weight: float
    definition: str


@dataclass
class DeptResult:
    """One department's scores in one run: per indicator, per dimension, total, and ranks."""

    org_id: int
    name: str
    indicators: dict[str, EvaluationScore] = field(default_factory=dict)
    dimensions: dict[str, float | None] = field(default_factory=dict)
    total: float | None = None
    ranks: dict[str, int | None] = field(default_factory=dict)  # per dimension and "total"
    coverage: float = 0.0  # share of the dimension weights that had anything to count

    @property
    def ranked(self) -> bool:
        """Too little to compare (less than half the weight applicable): shown, not ranked in total."""
        return self.coverage >= MIN_COVERAGE


@dataclass(frozen=True)
class Definitions:
    weights: dict[str, float]
    indicators: dict[str, list[IndicatorDef]]

    def find(self, key: str) -> tuple[str, IndicatorDef]:
        for dimension, defs in self.indicators.items():
            for d in defs:
                if d.key == key:
                    return dimension, d
        raise NotFound(f"本次评估没有指标“{key}”")


def definitions_of(run: EvaluationRun) -> Definitions:
    """The weights and indicators the run was computed with (the profile may have changed since)."""
    data = json.loads(run.definitions)
    return Definitions(
        weights=data["weights"],
        indicators={dim: [IndicatorDef(**d) for d in defs] for dim, defs in data["indicators"].items()},
    )


def year_label(run: EvaluationRun) -> str:
    """ "2026 年度" or, for a year not over when computed, "2026 年度（截至 11 月 20 日）"."""
    if run.as_of < dt.date(run.year, 12, 31):
        return f"{run.year} 年度（年度截至 {run.as_of.month} 月 {run.as_of.day} 日）"
    return f"{run.year} 年度"


# ------------------------------------------------------------------------------------------------ scope


def _authority_of(ctx: Ctx, actor: Actor) -> Organization:
    if not actor.is_authority or actor.org_id is None:
        raise Forbidden("只有数据主管机构可以组织年度考核评估")
    org = ctx.session.get(Organization, actor.org_id)
    if org is None:
        raise NotFound("未找到本机构")
    return org


def departments_of(ctx: Ctx, authority: Organization) -> list[Organization]:
    """The departments of the authority's own level (AB43 本级公共机构), by name."""
    return list(
        ctx.session.execute(
            select(Organization)
            .where(Organization.region_id == authority.region_id, Organization.kind == OrgKind.DEPARTMENT)
            .order_by(Organization.name, Organization.id)
        ).scalars()
    )


def _check_year(ctx: Ctx, year: int) -> dt.date:
    today = ctx.clock.today()
    if not FIRST_YEAR <= year <= today.year:
        raise InvalidInput(f"评估年度应在 {FIRST_YEAR} 年至 {today.year} 年之间（不能评估尚未开始的年度）")
    return min(dt.date(year, 12, 31), today)


def _can_see_run(actor: Actor, run: EvaluationRun) -> bool:
    if actor.is_system:
        return True
    if actor.is_authority or Permission.AUDIT_READ in actor.permissions:
        return in_jurisdiction(actor, run.region_path)
    return run.state == EvaluationState.PUBLISHED and actor.region_path == run.region_path


def _sees_all(actor: Actor) -> bool:
    return actor.is_system or actor.is_authority or Permission.AUDIT_READ in actor.permissions


# ------------------------------------------------------------------------------------------------ writes


def run_evaluation(ctx: Ctx, actor: Actor, year: int) -> EvaluationRun:
    """Compute (or recompute) the draft evaluation of `year` for the actor's level."""
    require(actor, Permission.EVALUATE)
    authority = _authority_of(ctx, actor)
    as_of = _check_year(ctx, year)
    run = ctx.session.execute(
        select(EvaluationRun).where(
            EvaluationRun.authority_org_id == authority.id, EvaluationRun.year == year
        )
    ).scalar_one_or_none()
    if run is not None and run.state == EvaluationState.PUBLISHED:
        published = run.published_at.astimezone(CHINA_TZ).date() if run.published_at else ""
        raise InvalidTransition(f"{year} 年度评估已于 {published} 发布，不能重新计算")
    profile = ctx.profile
    definitions = {
        "weights": dict(profile.evaluation_weights),
        "indicators": {
            dim: [i.model_dump() for i in profile.evaluation_indicators[dim]]
            for dim in profile.evaluation_weights
        },
    }
    now = ctx.clock.now()
    if run is None:
        run = EvaluationRun(
            authority_org_id=authority.id,
            region_path=authority.region.path,
            year=year,
            state=EvaluationState.DRAFT,
            public=False,
        )
        ctx.session.add(run)
    run.as_of, run.definitions = as_of, json.dumps(definitions, ensure_ascii=False)
    run.computed_at, run.computed_by_id = now, actor.user_id
    ctx.session.flush()
    ctx.session.execute(delete(EvaluationScore).where(EvaluationScore.run_id == run.id))
    departments = departments_of(ctx, authority)
    period = Period(ctx.session, [d.id for d in departments], dt.date(year, 1, 1), as_of)
    for dimension in profile.evaluation_weights:
        for indicator in profile.evaluation_indicators[dimension]:
            counted = INDICATORS[indicator.key].compute(period) if departments else {}
            for dept in departments:
                c = counted.get(dept.id)
                ctx.session.add(
                    EvaluationScore(
                        run_id=run.id,
                        org_id=dept.id,
                        dimension=dimension,
                        indicator=indicator.key,
                        numerator=c.numerator if c else 0,
                        denominator=c.denominator if c else 0,
                        score=c.score if c else None,
                        records=json.dumps(c.records if c else [], ensure_ascii=False),
                    )
                )
    ctx.session.flush()
    record(
        ctx,
        actor,
        "evaluation.run",
        "evaluation_run",
        run.id,
        detail={"year": year, "as_of": as_of.isoformat(), "departments": len(departments)},
    )
    return run


def publish(ctx: Ctx, actor: Actor, run_id: int, *, public: bool) -> EvaluationRun:
    """Freeze the draft; `public` also shows the results on the open portal (SC45, HN18)."""
    require(actor, Permission.EVALUATE)
    run = get_run(ctx, actor, run_id)
    authority = _authority_of(ctx, actor)
    if run.authority_org_id != authority.id:
        raise Forbidden("只能发布本机构组织的评估")
    if run.state == EvaluationState.PUBLISHED:
        raise InvalidTransition(f"{run.year} 年度评估已经发布")
    run.state, run.public = EvaluationState.PUBLISHED, public
    run.published_at, run.published_by_id = ctx.clock.now(), actor.user_id
    record(
        ctx,
        actor,
        "evaluation.publish",
        "evaluation_run",
        run.id,
        detail={"year": run.year, "public": public},
    )
    return run


# ------------------------------------------------------------------------------------------------- reads


def get_run(ctx: Ctx, actor: Actor, run_id: int) -> EvaluationRun:
    require(actor, Permission.SUPERVISION_READ)
    run = ctx.session.get(EvaluationRun, run_id)
    if run is None or not _can_see_run(actor, run):
        raise NotFound("未找到该评估，或尚未发布")
    return run


def list_runs(ctx: Ctx, actor: Actor) -> list[EvaluationRun]:
    """The runs the actor may see, newest year first."""
    require(actor, Permission.SUPERVISION_READ)
    runs = ctx.session.execute(select(EvaluationRun).order_by(EvaluationRun.year.desc())).scalars()
    return [r for r in runs if _can_see_run(actor, r)]


def find_run(ctx: Ctx, actor: Actor, year: int) -> EvaluationRun | None:
    """The run of `year` the actor would see first (its own level's for an authority)."""
    runs = [r for r in list_runs(ctx, actor) if r.year == year]
    own = [r for r in runs if r.authority_org_id == actor.org_id or r.region_path == actor.region_path]
    return (own or runs or [None])[0]


def public_runs(ctx: Ctx) -> list[tuple[EvaluationRun, str, list[DeptResult]]]:
    """Evaluations the authority chose to publish on the portal (SC45 "公开结果"), newest year first, with the
    authority's name and every department's scores (no drill-down records: those name internal files)."""
    from govdata.authz import system_actor
    from govdata.org.service import org_names

    runs = list(
        ctx.session.execute(
            select(EvaluationRun)
            .where(EvaluationRun.state == EvaluationState.PUBLISHED, EvaluationRun.public.is_(True))
            .order_by(EvaluationRun.year.desc(), EvaluationRun.id)
        ).scalars()
    )
    names = org_names(ctx.session, [r.authority_org_id for r in runs])
    reader = system_actor("portal")
    return [(r, names.get(r.authority_org_id, ""), results(ctx, reader, r)) for r in runs]


def _weighted(parts: list[tuple[float, float | None]]) -> float | None:
    applicable = [(w, s) for w, s in parts if s is not None]
    total_weight = sum(w for w, _ in applicable)
    if not applicable or total_weight <= 0:
        return None
    return round(sum(w * s for w, s in applicable) / total_weight, 2)


def _rank(results: list[DeptResult], key: str, value: dict[int, float | None]) -> None:
    scored = sorted((v for v in value.values() if v is not None), reverse=True)
    for r in results:
        v = value[r.org_id]
        r.ranks[key] = None if v is None else scored.index(v) + 1


def results(ctx: Ctx, actor: Actor, run: EvaluationRun) -> list[DeptResult]:
    """Every department's scores (a department sees only its own row, ranked among all), best total first."""
    require(actor, Permission.SUPERVISION_READ)
    if not _can_see_run(actor, run):
        raise NotFound("未找到该评估，或尚未发布")
    defs = definitions_of(run)
    scores = ctx.session.execute(
        select(EvaluationScore, Organization.name)
        .join(Organization, Organization.id == EvaluationScore.org_id)
        .where(EvaluationScore.run_id == run.id)
        .order_by(EvaluationScore.id)
    ).all()
    by_org: dict[int, DeptResult] = {}
    for score, name in scores:
        by_org.setdefault(score.org_id, DeptResult(score.org_id, name)).indicators[score.indicator] = score
    out = list(by_org.values())
    for r in out:
        for dim, indicator_defs in defs.indicators.items():
            r.dimensions[dim] = _weighted(
                [
                    (d.weight, r.indicators[d.key].score if d.key in r.indicators else None)
                    for d in indicator_defs
                ]
            )
        r.total = _weighted([(defs.weights[dim], r.dimensions[dim]) for dim in defs.indicators])
        all_weight = sum(defs.weights[dim] for dim in defs.indicators) or 1.0
        r.coverage = (
            sum(defs.weights[dim] for dim in defs.indicators if r.dimensions[dim] is not None) / all_weight
        )
    for dim in defs.indicators:
        _rank(out, dim, {r.org_id: r.dimensions[dim] for r in out})
    _rank(out, "total", {r.org_id: r.total if r.ranked else None for r in out})
    out.sort(key=lambda r: (r.ranks["total"] is None, r.ranks["total"] or 0, r.name))
    if not _sees_all(actor):
        out = [r for r in out if r.org_id == actor.org_id]
    return out


def department_result(ctx: Ctx, actor: Actor, run: EvaluationRun, org_id: int) -> DeptResult:
    """One department's scores; another department's are hidden (404) from a department."""
    for r in results(ctx, actor, run):
        if r.org_id == org_id:
            return r
    raise NotFound("本次评估中没有该部门，或无权查看")


def get_score(ctx: Ctx, actor: Actor, score_id: int) -> tuple[EvaluationRun, DeptResult, EvaluationScore]:
    """One indicator score with its run and department, under the same visibility as the results."""
    require(actor, Permission.SUPERVISION_READ)
    score = ctx.session.get(EvaluationScore, score_id)
    if score is None:
        raise NotFound("未找到该指标得分，或无权查看")
    run = get_run(ctx, actor, score.run_id)
    result = department_result(ctx, actor, run, score.org_id)
    return run, result, score


def indicator_records(score: EvaluationScore) -> list[dict[str, object]]:
    return list(json.loads(score.records))


def dimension_label(key: str) -> str:
    return EVALUATION_LABELS.get(key, key)

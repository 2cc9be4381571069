"""The annual evaluation (SUP-2): computed from the records, drillable, re-runnable, published, scoped."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

import govdata.profiles
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.profiles import loader
from govdata.supervision import evaluation
from govdata.supervision.report_models import EvaluationScore, EvaluationState
from tests.supervision.evaluation_fixtures import records
from tests.world import World


def _by_name(results: list[evaluation.DeptResult]) -> dict[str, evaluation.DeptResult]:
    return {r.name: r for r in results}


def test_scores_come_from_the_records_with_their_detail(ctx: Ctx, world: World) -> None:
    rec = records(ctx, world)
    run = evaluation.run_evaluation(ctx, world.actor("admin"), 2026)
    assert run.as_of.isoformat() == "2026-11-20"  # the running year: counted to today
    assert "年度截至 11 月 20 日" in evaluation.year_label(run)
    res = _by_name(evaluation.results(ctx, world.actor("admin"), run))
    assert set(res) == {"四川省公安厅", "四川省民政厅", "四川省审计厅"}  # the province's departments only
    gongan, minzheng = res["四川省公安厅"], res["四川省民政厅"]

    pool = gongan.indicators["entries_with_pool"]
    assert (pool.numerator, pool.denominator, pool.score) == (1, 1, 100)
    validity = gongan.indicators["load_validity"]
    assert (validity.numerator, validity.denominator, validity.score) == (1, 2, 50)
    assert evaluation.indicator_records(validity)[0]["href"] == f"/batches/{rec.batch_id}"
    basis = gongan.indicators["refusals_with_basis"]
    assert basis.score == 100
    assert evaluation.indicator_records(basis)[0]["href"] == f"/sharing/requests/{rec.request_id}"
    # the request was refused, so 民政 has no grant: 0 of 1 settled requests granted
    assert minzheng.indicators["requests_granted"].score == 0
    # 民政: one open violation this year (the dismissed one and last year's are not counted), no entries → 0
    free = minzheng.indicators["violation_free"]
    assert (free.numerator, free.denominator) == (0, 1)
    assert [r["href"] for r in evaluation.indicator_records(free)] == [
        f"/supervision/violations/{rec.violation_ids[1]}"
    ]
    assert gongan.indicators["violations_rectified"].score == 100
    # 审计厅 has no records at all: nothing applicable but the violation-free indicator
    audit = res["四川省审计厅"]
    assert audit.indicators["share_answered_on_time"].score is None
    assert audit.dimensions["sharing"] is None and audit.ranks["sharing"] is None
    assert audit.dimensions["security"] == 100
    assert audit.total == 100 and audit.ranks["total"] is None  # nothing to do is not first place
    # the dimension score is the weighted mean of its applicable indicators
    defs = evaluation.definitions_of(run)
    agg = {d.key: d.weight for d in defs.indicators["aggregation"]}
    applicable = {k: gongan.indicators[k].score for k in agg if gongan.indicators[k].score is not None}
    expected = sum(agg[k] * s for k, s in applicable.items()) / sum(agg[k] for k in applicable)
    assert gongan.dimensions["aggregation"] == pytest.approx(expected, abs=0.01)
    ranked = sorted((r.total for r in res.values() if r.ranked and r.total is not None), reverse=True)
    ordered = evaluation.results(ctx, world.actor("admin"), run)
    assert [r.ranks["total"] for r in ordered if r.ranked] == [ranked.index(t) + 1 for t in ranked]
    assert [r.ranked for r in ordered] == sorted((r.ranked for r in ordered), reverse=True)  # unranked last


def test_running_again_replaces_the_draft_and_publishing_freezes_it(ctx: Ctx, world: World) -> None:
    records(ctx, world)
    admin = world.actor("admin")
    first = evaluation.run_evaluation(ctx, admin, 2026)
    before = [(r.name, r.total) for r in evaluation.results(ctx, admin, first)]
    count = ctx.session.execute(select(func.count()).select_from(EvaluationScore)).scalar_one()
    again = evaluation.run_evaluation(ctx, admin, 2026)
    assert again.id == first.id
    assert ctx.session.execute(select(func.count()).select_from(EvaluationScore)).scalar_one() == count
    assert [(r.name, r.total) for r in evaluation.results(ctx, admin, again)] == before

    # a department does not see the draft
    with pytest.raises(NotFound):
        evaluation.get_run(ctx, world.actor("gongan_officer"), first.id)
    published = evaluation.publish(ctx, admin, first.id, public=True)
    assert published.state == EvaluationState.PUBLISHED and published.public
    with pytest.raises(InvalidTransition, match="已于"):
        evaluation.run_evaluation(ctx, admin, 2026)
    with pytest.raises(InvalidTransition):
        evaluation.publish(ctx, admin, first.id, public=False)

    # published: a department sees its own row only, ranked among all; another's drill-down is hidden
    officer = world.actor("gongan_officer")
    own = evaluation.results(ctx, officer, evaluation.get_run(ctx, officer, first.id))
    assert [r.name for r in own] == ["四川省公安厅"]
    with pytest.raises(NotFound):
        evaluation.department_result(ctx, officer, first, world.orgs["minzheng"].id)
    # the auditor reads all
    assert len(evaluation.results(ctx, world.actor("auditor"), first)) == 3


def test_who_may_run_and_which_years(ctx: Ctx, world: World) -> None:
    with pytest.raises(Forbidden):
        evaluation.run_evaluation(ctx, world.actor("reviewer"), 2026)  # reads, does not evaluate
    with pytest.raises(Forbidden):
        evaluation.run_evaluation(ctx, world.actor("gongan_officer"), 2026)
    for year, words in ((2027, "尚未开始"), (1999, "2000")):
        with pytest.raises(InvalidInput, match=words):
            evaluation.run_evaluation(ctx, world.actor("admin"), year)
    run = evaluation.run_evaluation(ctx, world.actor("admin"), 2025)
    assert run.as_of.isoformat() == "2025-12-31"
    assert evaluation.year_label(run) == "2025 年度"
    # another level's authority does not see the province's evaluation
    with pytest.raises(NotFound):
        evaluation.get_run(ctx, world.actor("city2_reviewer"), run.id)


def _profile_data() -> dict[str, Any]:
    path = Path(govdata.profiles.__file__).parent / "builtin" / "aba.yaml"
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda d: d["evaluation_indicators"]["sharing"][0].update(key="shares_per_day"),
            "未知指标“shares_per_day”",
        ),
        (lambda d: d["evaluation_indicators"]["sharing"][0].update(weight=0.9), "权重之和应为 1.0"),
        (
            lambda d: d["evaluation_indicators"]["opening"][0].update(key="grants_used"),
            "属于维度 application",
        ),
        (lambda d: d["evaluation_indicators"].pop("security"), "维度 security 没有指标"),
    ],
)
def test_a_profile_with_bad_indicators_does_not_load(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], words: str
) -> None:
    data = copy.deepcopy(_profile_data())
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidInput, match=words):
        loader.load_profile(str(path))

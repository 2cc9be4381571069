"""Scheduled jobs (each in its own transaction, failures isolated) and the fault-tolerance evidence (SUP-5)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from govdata.catalog.models import ResourceVersion
from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.db import make_session_factory
from govdata.errors import Forbidden, InvalidInput
from govdata.supervision import evidence, jobs, service
from govdata.supervision.models import JobRun, Violation
from tests.http import helpers as h
from tests.world import World


def test_jobs_run_each_in_its_own_transaction(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = h.published(ctx, world)
    # An entry from before the rule (SHARE-2): conditional without a basis. The catalog refuses these now.
    ctx.session.get(ResourceVersion, res.published_version_id).share_basis = None  # type: ignore[union-attr]
    ctx.session.commit()
    broken = jobs.Job("broken", "坏任务", "govdata.supervision.jobs:no_such_function")
    monkeypatch.setattr(jobs, "JOBS", (broken, *jobs.JOBS))
    runs = jobs.run_jobs(make_session_factory(engine), clock)
    by_name = {r.name: r for r in runs}
    assert by_name["broken"].outcome == "failed" and "AttributeError" in (by_name["broken"].message or "")
    assert all(r.outcome == "ok" for r in runs if r.name != "broken")
    assert json.loads(by_name["violation_detection"].counts)["no_basis"] == 1
    again = jobs.run_jobs(make_session_factory(engine), clock, only="violation_detection")
    assert sum(json.loads(again[0].counts).values()) == 0
    with pytest.raises(InvalidInput, match="没有名为"):
        jobs.run_jobs(make_session_factory(engine), clock, only="nope")
    ctx.session.rollback()
    assert ctx.session.scalar(select(JobRun.id).where(JobRun.name == "share_sweep")) is not None


def test_scheduler_is_off_at_zero(monkeypatch: pytest.MonkeyPatch, engine: Engine, clock: FixedClock) -> None:
    monkeypatch.setenv("GOVDATA_JOBS_INTERVAL_MINUTES", "0")
    assert jobs.start_scheduler(make_session_factory(engine), clock) is None


def test_evidence_report(ctx: Ctx, world: World, client: TestClient) -> None:
    h.published(ctx, world)
    v = service.record_violation(
        ctx,
        world.actor("admin"),
        service.ViolationIn(
            org_id=world.orgs["gongan"].id, summary="检查发现目录信息不全", occurred_on=dt.date(2026, 11, 3)
        ),
    )
    service.dismiss(ctx, world.actor("admin"), v.id, service.DismissIn(reason="系统升级期间，已说明"))
    ctx.session.commit()
    report = evidence.build(
        ctx,
        world.actor("gongan_officer"),
        world.orgs["gongan"].id,
        dt.date(2026, 1, 1),
        dt.date(2026, 11, 20),
    )
    assert report.sections["目录编制与更新"][0].status == "按时"
    assert report.sections["违规事项及处理"][0].note == "系统升级期间，已说明"
    assert report.audit_ok
    with pytest.raises(Forbidden):
        evidence.build(
            ctx,
            world.actor("minzheng_officer"),
            world.orgs["gongan"].id,
            dt.date(2026, 1, 1),
            dt.date(2026, 2, 1),
        )
    with pytest.raises(InvalidInput, match="起始日期"):
        evidence.build(
            ctx, world.actor("admin"), world.orgs["gongan"].id, dt.date(2026, 3, 1), dt.date(2026, 2, 1)
        )
    token = h.token_for(ctx, world, "admin")
    ctx.session.commit()
    resp = client.get(
        f"/api/v1/supervision/evidence?org={world.orgs['gongan'].id}&from=2026-01-01&to=2026-11-20",
        headers=h.auth(token),
    )
    assert resp.status_code == 200 and resp.json()["summary"]["违规事项及处理"]
    assert ctx.session.get(Violation, v.id) is not None


def test_cli_jobs_run(ctx: Ctx, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from govdata.cli import app
    from govdata.config import get_settings

    monkeypatch.setenv("GOVDATA_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["jobs", "run", "--only", "violation_detection", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["name"] == "violation_detection"


def test_scheduler_thread_runs_the_jobs(world: World, engine: Engine, clock: FixedClock) -> None:
    import time

    factory = make_session_factory(engine)
    scheduler = jobs.Scheduler(factory, clock, interval_minutes=60)
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with factory() as session:
                if session.scalar(select(JobRun.id).where(JobRun.name == jobs.JOBS[-1].name)) is not None:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the scheduler did not run the jobs")
    finally:
        scheduler.stop()
        scheduler.thread.join(timeout=30)
    assert not scheduler.thread.is_alive()


def test_frequent_jobs_keep_only_runs_that_did_something(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock
) -> None:
    factory = make_session_factory(engine)
    files_job = next(j for j in jobs.JOBS if j.name == "open_files")
    assert files_job.every_minutes is not None  # the files follow a load within minutes, not within the hour
    assert jobs.run_one(factory, clock, files_job, keep_idle=False) is None  # nothing to write: no record
    assert ctx.session.scalar(select(JobRun.id).where(JobRun.name == "open_files")) is None
    kept = jobs.run_one(factory, clock, files_job)
    assert kept is not None and kept.outcome == "ok"  # by hand (`govdata jobs run`) every run is kept


def test_due_jobs_follow_each_jobs_own_interval() -> None:
    everything = jobs.due_jobs({}, 0.0)
    assert [j.name for j in everything] == jobs.names()  # all at start
    next_at = {j.name: (120.0 if j.every_minutes else 3600.0) for j in jobs.JOBS}
    assert jobs.due_jobs(next_at, 60.0) == []
    assert [j.name for j in jobs.due_jobs(next_at, 200.0)] == ["open_files"]
    assert len(jobs.due_jobs(next_at, 3600.0)) == len(jobs.JOBS)

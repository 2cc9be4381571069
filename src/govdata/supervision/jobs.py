"""Scheduled jobs: one registry of named, idempotent jobs; `govdata jobs run` and `govdata serve` run them.

Each job runs in its own transaction as the system, so one failing job is logged (and kept in `job_run`)
without stopping or undoing the others. Adding a job is one entry in `JOBS`: a name, a label and the dotted
path of a use case called as `fn(ctx, actor)`; whatever it returns (a list, a number, a dict of counts, or an
object with list attributes) is reduced to counts for the run record.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from govdata.authz import Actor, Permission, require, system_actor
from govdata.clock import Clock
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput
from govdata.supervision.models import JobRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    label: str  # 中文: what it does
    target: str  # "module:function", called as fn(ctx, actor)
    # How often the scheduler runs it; None: every GOVDATA_JOBS_INTERVAL_MINUTES. A frequent job keeps a run
    # record only when it did something or failed, so the job list is not flooded with idle runs.
    every_minutes: float | None = None


JOBS: tuple[Job, ...] = (
    Job("share_sweep", "共享申请逾期转协调（SHARE-4）", "govdata.sharing.service:sweep_overdue"),
    Job(
        "open_application_sweep", "有条件开放申请逾期与到期（OPEN-3）", "govdata.opendata.applications:sweep"
    ),
    Job("open_correction_sweep", "开放目录纠错逾期（OPEN-6）", "govdata.opendata.feedback:sweep"),
    Job("correction_sweep", "校核申请逾期转交、逾期答复（QUAL-1）", "govdata.quality.corrections:sweep"),
    Job("provider_contract_end", "服务商合同到期停用账号（SEC-7）", "govdata.org.providers:end_contracts"),
    Job(
        "open_files",
        "开放数据下载文件预生成（数据更新后）",
        "govdata.opendata.files:refresh",
        every_minutes=2,
    ),
    Job("pool_timeliness", "资源池未按周期更新（POOL-3）", "govdata.supervision.jobs:pool_timeliness"),
    Job("violation_detection", "违规事项检测（SUP-4）", "govdata.supervision.jobs:detection"),
    Job(
        "rectification_escalation",
        "逾期未整改报告政府（SUP-1）",
        "govdata.supervision.notices:escalate_overdue",
    ),
)


class JobSettings(BaseSettings):
    """GOVDATA_JOBS_INTERVAL_MINUTES: how often `govdata serve` runs the jobs; 0 turns the scheduler off."""

    model_config = SettingsConfigDict(env_prefix="GOVDATA_", extra="ignore")

    jobs_interval_minutes: float = 60


def detection(ctx: Ctx, actor: Actor) -> dict[str, int]:
    from govdata.supervision.service import run_detection

    return run_detection(ctx, actor)


def pool_timeliness(ctx: Ctx, actor: Actor) -> dict[str, int]:
    """Overdue pools become violations at once (the full detection also does this; this keeps it daily)."""
    from govdata.supervision import detect

    require(actor, Permission.SUPERVISE)
    writer = detect.Writer(ctx)
    detect.pools_overdue(ctx, writer)
    ctx.session.flush()
    return {"pool": writer.added}


def _resolve(target: str) -> Callable[[Ctx, Actor], Any]:
    module, _, name = target.partition(":")
    fn: Callable[[Ctx, Actor], Any] = getattr(importlib.import_module(module), name)
    return fn


def counts_of(result: Any) -> dict[str, int]:
    if isinstance(result, dict):
        return {str(k): int(v) for k, v in result.items()}
    if isinstance(result, list | tuple | set):
        return {"count": len(result)}
    if isinstance(result, int):
        return {"count": result}
    found = {k: len(v) for k, v in vars(result).items() if isinstance(v, list)} if result is not None else {}
    return found or {"count": 0}


def names() -> list[str]:
    return [job.name for job in JOBS]


def run_jobs(factory: sessionmaker[Session], clock: Clock, only: str | None = None) -> list[JobRun]:
    """Run every job (or one), each in its own transaction; returns the run records (detached)."""
    chosen = [job for job in JOBS if only is None or job.name == only]
    if not chosen:
        raise InvalidInput(f"没有名为“{only}”的任务；可用：{'、'.join(names())}")
    return [run for job in chosen if (run := run_one(factory, clock, job)) is not None]


def run_one(
    factory: sessionmaker[Session], clock: Clock, job: Job, *, keep_idle: bool = True
) -> JobRun | None:
    """Run one job in its own transaction and keep its run record (not an idle one when `keep_idle` is off)."""
    started = clock.now()
    fields: dict[str, Any]
    try:
        with factory() as session:
            ctx = Ctx(session=session, clock=clock)
            counts = counts_of(_resolve(job.target)(ctx, system_actor(f"job:{job.name}")))
            if not keep_idle and not any(counts.values()):
                session.commit()
                return None
            fields = {"outcome": "ok", "counts": json.dumps(counts, ensure_ascii=False)}
            run_id = _store(session, job, started, clock, fields)
    except Exception as exc:  # one job's failure must not stop the others
        log.exception("job %s failed", job.name)
        fields = {"outcome": "failed", "counts": "{}", "message": f"{type(exc).__name__}: {exc}"[:2000]}
        with factory() as session:
            run_id = _store(session, job, started, clock, fields)
    with factory() as session:
        stored = session.get(JobRun, run_id)
        assert stored is not None
        session.expunge(stored)
        return stored


def _store(session: Session, job: Job, started: Any, clock: Clock, fields: dict[str, Any]) -> int:
    run = JobRun(name=job.name, started_at=started, finished_at=clock.now(), **fields)
    session.add(run)
    session.flush()
    run_id = run.id
    session.commit()
    return run_id


def recent_runs(ctx: Ctx, actor: Actor, limit: int = 100) -> list[JobRun]:
    require(actor, Permission.SUPERVISE)
    if not actor.is_system and not actor.is_authority:
        raise Forbidden("只有数据主管机构可以查看定时任务")
    return list(ctx.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))


def last_runs(runs: list[JobRun]) -> dict[str, JobRun]:
    latest: dict[str, JobRun] = {}
    for run in runs:
        latest.setdefault(run.name, run)
    return latest


def due_jobs(next_at: dict[str, float], now: float) -> list[Job]:
    """The jobs whose time has come, in registry order."""
    return [job for job in JOBS if next_at.get(job.name, 0.0) <= now]


class Scheduler:
    """A daemon thread that runs each job every `interval_minutes`, or every `Job.every_minutes` where a job
    sets it (all of them right away at start), until stopped."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock, interval_minutes: float) -> None:
        self.factory, self.clock, self.interval = factory, clock, interval_minutes * 60
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="govdata-jobs", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _loop(self) -> None:
        next_at: dict[str, float] = {}
        while not self.stopped.is_set():
            for job in due_jobs(next_at, time.monotonic()):
                if self.stopped.is_set():
                    return
                try:
                    run_one(self.factory, self.clock, job, keep_idle=job.every_minutes is None)
                except Exception:  # never let the scheduler die
                    log.exception("scheduled job %s failed", job.name)
                every = job.every_minutes * 60 if job.every_minutes else self.interval
                next_at[job.name] = time.monotonic() + every
            self.stopped.wait(max(0.0, min(next_at.values(), default=0.0) - time.monotonic()))


def start_scheduler(factory: sessionmaker[Session], clock: Clock) -> Scheduler | None:
    interval = JobSettings().jobs_interval_minutes
    if interval <= 0:
        return None
    scheduler = Scheduler(factory, clock, interval)
    scheduler.start()
    return scheduler

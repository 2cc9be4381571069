"""Exchange lookup benchmark: GET /api/v1/exchange/{entry}/records/{id} through the full path, against a bare
endpoint running the same SELECT without the platform's checks.

    python bench/exchange_lookup.py [--rows 1000000] [--url URL] [--workers 2] [--connections 32]
                                    [--duration 20] [--http httptools,h11] [--repeat 2] [--reuse] [--no-readme]

On PostgreSQL (database `govdata_bench_exchange` on the server of --url, created if missing, schema dropped
and recreated) it builds, through the real use cases, a province with 公安 (provider) and 民政 (consumer), the
20-item population entry of bench/pool_load.py, loads a generated 1,000,000-row file into its pool with the
real loader, has 民政 request it, 公安 approve it and the authority open access (Sichuan's profile), and
creates 民政's application credential. Then the platform and the bare endpoint (bench/exchange_bare.py: the
same app with one extra route doing the SELECT) run in turn under uvicorn with the same worker count and HTTP
stack — httptools + uvloop (what `uvicorn[standard]` installs and `govdata serve` then uses) and h11 + asyncio
— and `wrk` (Debian package) drives each on loopback with --connections concurrent keep-alive clients asking
for random subjects of the pool. The platform's path per call: credential check, rate limit, live grant by
purpose, pool lookup, masking, the call log row and the SM3 audit-chain event, committed. Figures go to
bench/README.md between the exchange_lookup markers. `--reuse` skips set-up and load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import benchdb  # noqa: E402
import pool_load  # noqa: E402  (the population entry and file generator are shared)
import readme_block  # noqa: E402

README = BENCH_DIR / "README.md"
WORK_DIR = Path("/tmp/govdata_bench")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "govdata_bench_exchange"
STATE = WORK_DIR / "exchange_lookup.json"
PURPOSE = "最低生活保障对象身份核查"
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.6
SAMPLE_IDS = 20_000

LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local prefix = "%(prefix)s"
local suffix = "%(suffix)s"
wrk.headers["Authorization"] = "%(auth)s"
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  return wrk.format("GET", prefix .. ids[math.random(#ids)] .. suffix)
end
"""


def bench_url(url: str | None) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url or DEFAULT_PG_URL).set(database=BENCH_DB).render_as_string(hide_password=False)


def fresh_database(url: str | None) -> str:
    return benchdb.fresh_postgresql(url or DEFAULT_PG_URL, BENCH_DB)


def set_up(target: str, rows: int) -> dict[str, Any]:
    """Entry, pool, request → approval → access, credential: all through the use cases."""
    from govdata.authz import system_actor
    from govdata.clock import SystemClock
    from govdata.context import Ctx
    from govdata.db import make_engine, make_session_factory
    from govdata.org.models import Organization, OrgKind, Role, User
    from govdata.org.service import NewUser, actor_for, create_user, get_or_create_org, user_by_username
    from govdata.pool.service import load_file, pool_of
    from govdata.sharing import apps, service
    from govdata.sharing.schemas import AppIn, ApproveIn, ShareRequestIn

    entry_id = pool_load.build_entry(target)
    csv_path = WORK_DIR / f"exchange_people_{rows}.csv"
    pool_load.generate_csv(csv_path, rows)
    engine = make_engine(target)
    session = make_session_factory(engine)()
    ctx = Ctx(session=session, clock=SystemClock())
    sys_actor = system_actor("bench")
    started = time.perf_counter()
    batch = load_file(ctx, actor_for(user_by_username(session, pool_load.OFFICER)), entry_id, csv_path)
    session.commit()
    print(f"loaded {batch.rows_loaded:,} rows in {time.perf_counter() - started:.0f} s")
    gongan = session.get(
        Organization, session.get(User, user_by_username(session, pool_load.OFFICER).id).org_id
    )
    minzheng = get_or_create_org(
        ctx, sys_actor, region=gongan.region, name="四川省民政厅", short_name="省民政厅",
        kind=OrgKind.DEPARTMENT, org_code="012",
    )  # fmt: skip
    consumer = create_user(
        ctx,
        sys_actor,
        NewUser(username="bench_minzheng", display_name="民政厅数据专员", role=Role.DEPT_OFFICER,
                password="Bench-Passw0rd-2026", org_id=minzheng.id),
    )  # fmt: skip
    body = {
        "resource_id": entry_id,
        "items": ["id_number", "name", "gender", "birth_date", "hukou_address", "phone", "marital_status"],
        "row_filter": [],
        "purpose": PURPOSE,
        "duty": "《社会救助暂行办法》第十一条 最低生活保障审核确认",
        "duration_days": 365,
        "channel": "api",
    }
    request = service.submit_request(ctx, actor_for(consumer), ShareRequestIn.model_validate(body))
    service.approve(ctx, actor_for(user_by_username(session, pool_load.OFFICER)), request.id, ApproveIn())
    service.open_access(ctx, actor_for(user_by_username(session, pool_load.REVIEWER)), request.id)
    _app, credential = apps.create_app(
        ctx, actor_for(consumer), AppIn(name="低保审核系统", rate_per_minute=100_000)
    )
    pool = pool_of(session, entry_id)
    assert pool is not None
    session.commit()
    from sqlalchemy import text

    with engine.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(text(f"SELECT _subject_id FROM {pool.table_name} TABLESAMPLE SYSTEM (5)"))
        ]
    random.Random(1).shuffle(ids)
    ids_path = WORK_DIR / "exchange_ids.txt"
    ids_path.write_text("\n".join(ids[:SAMPLE_IDS]) + "\n")
    state = {
        "entry_id": entry_id,
        "table": pool.table_name,
        "credential": credential,
        "ids": str(ids_path),
        "rows": rows,
        "items": body["items"],
    }
    STATE.write_text(json.dumps(state))
    session.close()
    engine.dispose()
    return state


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    app: str, target: str, workers: int, extra_env: dict[str, str], http: str = "auto"
) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, "GOVDATA_DATABASE_URL": target, **extra_env}
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning", "--no-access-log", "--http", http,
        "--loop", "uvloop" if http == "httptools" else "asyncio",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=str(BENCH_DIR), start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc, port
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server {app} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def run_wrk(
    port: int, prefix: str, suffix: str, auth: str, ids: str, connections: int, duration: int
) -> dict[str, Any]:
    script = WORK_DIR / "exchange_lookup.lua"
    script.write_text(LUA % {"ids": ids, "prefix": prefix, "suffix": suffix, "auth": auth})

    def wrk(seconds: int) -> subprocess.CompletedProcess[str]:
        cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script)]
        return subprocess.run([*cmd, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)

    wrk(5)  # warm-up
    out = wrk(duration)
    text = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    latency = {}
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        assert m, text
        value = float(m.group(1))
        latency[pct] = value / 1000 if m.group(2) == "us" else value * 1000 if m.group(2) == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    return {
        "rps": rps,
        "p50": latency["50"],
        "p90": latency["90"],
        "p99": latency["99"],
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "raw": text,
    }


def check_response(port: int, state: dict[str, Any], subject: str) -> None:
    """The platform answers with the granted items, masked — before anything is timed."""
    resp = httpx.get(
        f"http://127.0.0.1:{port}/api/v1/exchange/{state['entry_id']}/records/{subject}",
        params={"purpose": PURPOSE},
        headers={"Authorization": f"Bearer {state['credential']}"},
    )
    resp.raise_for_status()
    row = resp.json()["rows"][0]
    assert "*" in row["id_number"] and "employer" not in row, row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (database part is replaced)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="measure the database the last run built")
    parser.add_argument("--http", default="httptools,h11", help="uvicorn HTTP implementations to measure")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("需要 wrk：apt-get install -y wrk")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    if args.reuse and STATE.exists():
        target, state = bench_url(args.url), json.loads(STATE.read_text())
    else:
        target = fresh_database(args.url)
        state = set_up(target, args.rows)
    subject = Path(state["ids"]).read_text().split("\n", 1)[0]
    bare_env = {"BENCH_TABLE": state["table"], "BENCH_ITEMS": ",".join(state["items"])}
    runs: list[tuple[str, str, dict[str, Any]]] = []
    for http in args.http.split(","):
        for rep in range(args.repeat):
            proc, port = start_server("govdata.app:create_app", target, args.workers, {}, http)
            try:
                check_response(port, state, subject)
                prefix, suffix = (
                    f"/api/v1/exchange/{state['entry_id']}/records/",
                    f"?purpose={quote(PURPOSE)}",
                )
                auth = f"Bearer {state['credential']}"
                runs.append((http, "platform", run_wrk(port, prefix, suffix, auth, state["ids"], args.connections,
                                                       args.duration)))  # fmt: skip
            finally:
                stop(proc)
            proc, port = start_server("exchange_bare:create_app", target, args.workers, bare_env, http)
            try:
                runs.append((http, "bare", run_wrk(port, "/bare/", "", "none", state["ids"], args.connections,
                                                   args.duration)))  # fmt: skip
            finally:
                stop(proc)
            last = runs[-2:]
            print(
                f"{http} run {rep + 1}: "
                + "  ".join(
                    f"{name} {r['rps']:,.0f} req/s p50 {r['p50']:.1f} p99 {r['p99']:.1f} ms"
                    for _h, name, r in last
                )
                + f"  ratio {last[0][2]['rps'] / last[1][2]['rps']:.0%}"
            )
    if not args.no_readme:
        update_readme(render(args, state, runs, target))


def _best(runs: list[tuple[str, str, dict[str, Any]]], http: str, name: str) -> dict[str, Any]:
    return max((r for h, n, r in runs if h == http and n == name), key=lambda r: r["rps"])


def render(args: argparse.Namespace, state: dict[str, Any], runs: list[tuple[str, str, dict[str, Any]]],
           target: str) -> str:  # fmt: skip
    m = pool_load.machine(target)
    lines = [
        f"Measured {m['date']} on {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM; {m['versions']}; "
        f"{pool_load.sh('wrk -v 2>&1 | head -1').split(' Copyright')[0]}.",
        "",
        f"Pool of {state['rows']:,} rows × 20 columns on PostgreSQL; {len(state['items'])} items granted "
        f"(ID number, address and phone masked); {args.connections} concurrent keep-alive connections "
        f"(wrk, 2 threads, loopback), {args.duration} s after a 5 s warm-up, random subjects from a "
        f"{SAMPLE_IDS:,}-ID sample; both endpoints in the same app (create_app) under uvicorn with "
        f"{args.workers} workers, the bare route first in the router. Best of {args.repeat} runs each; every run:",
        "",
        "| HTTP stack | endpoint | requests/s (runs) | p50 ms | p90 ms | p99 ms | non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for http in args.http.split(","):
        for name, label in (
            (
                "platform",
                "platform (credential, rate limit, live grant by purpose, masking, call log + SM3 audit)",
            ),
            ("bare", "bare (same SELECT, no checks)"),
        ):
            best = _best(runs, http, name)
            spread = " / ".join(f"{r['rps']:,.0f}" for h, n, r in runs if h == http and n == name)
            lines.append(
                f"| {http} | {label} | {spread} | {best['p50']:.1f} | {best['p90']:.1f} | {best['p99']:.1f} "
                f"| {best['non_2xx']} |"
            )
    lines.append("")
    for http in args.http.split(","):
        p, b = _best(runs, http, "platform"), _best(runs, http, "bare")
        ratio = p["rps"] / b["rps"]
        p99_ok = "met" if p["p99"] < TARGET_P99_MS else "**not met**"
        ratio_ok = "met" if ratio >= TARGET_RATIO else "**not met**"
        lines.append(
            f"- {http}: p99 {p['p99']:.1f} ms (target under {TARGET_P99_MS:.0f} ms: {p99_ok}); throughput "
            f"{ratio:.0%} of the bare endpoint (target at least {TARGET_RATIO:.0%}: {ratio_ok})."
        )
    return "\n".join(lines)


def update_readme(block: str) -> None:
    heading = "## exchange_lookup: lookup by identifier through the sharing exchange (issue 4)"
    readme_block.update_readme("exchange_lookup:postgresql", block, heading)


if __name__ == "__main__":
    main()

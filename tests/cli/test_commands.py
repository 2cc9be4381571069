"""The `govdata` command as an operator runs it: a real process, a real database file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

GOVDATA = [sys.executable, "-m", "govdata"]


def run(args: list[str], db: Path, *, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GOVDATA_DATABASE_URL": f"sqlite:///{db}",
        "GOVDATA_ARGON2_TIME_COST": "1",
        "GOVDATA_ARGON2_MEMORY_KIB": "64",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [*GOVDATA, *args], env=env, capture_output=True, text=True, input=stdin, timeout=120
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def test_add_workdays_follows_the_holiday_notice(db: Path) -> None:
    done = run(["calendar", "add-workdays", "2026-09-30", "5"], db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2026-10-13"


def test_add_workdays_beyond_loaded_years_names_the_year(db: Path) -> None:
    done = run(["calendar", "add-workdays", "2027-03-01", "3"], db)
    assert done.returncode != 0
    assert "2027" in done.stderr and "calendar load" in done.stderr


def test_bad_date_is_a_clear_error(db: Path) -> None:
    done = run(["calendar", "add-workdays", "2026-13-40", "3"], db)
    assert done.returncode != 0 and "YYYY-MM-DD" in done.stderr


def test_profile_show_prints_every_limit(db: Path) -> None:
    done = run(["profile", "show", "henan"], db)
    assert done.returncode == 0
    assert "河南省政务数据管理办法" in done.stdout and "工作日" in done.stdout
    unknown = run(["profile", "show", "atlantis"], db)
    assert unknown.returncode != 0 and "sichuan" in unknown.stderr


def test_init_calendar_load_user_create_and_audit_verify(db: Path, tmp_path: Path) -> None:
    assert run(["audit", "verify"], db).returncode != 0  # not initialised yet: a clear refusal
    init = run(["init", "--profile", "wanzhou"], db)
    assert init.returncode == 0, init.stderr
    assert "万州区政务数据资源管理办法" in init.stdout
    # A 2027 schedule loaded by the operator makes 2027 deadlines computable.
    year = {
        "year": 2027,
        "source": "国务院办公厅关于2027年部分节假日安排的通知（测试数据）",
        "holidays": [{"date": "2027-01-01", "name": "元旦"}],
        "workdays": [],
    }
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(year, ensure_ascii=False), encoding="utf-8")
    loaded = run(["calendar", "load", str(path)], db)
    assert loaded.returncode == 0, loaded.stderr
    assert run(["calendar", "add-workdays", "2026-12-31", "1"], db).stdout.strip() == "2027-01-04"
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"year": 2028, "source": "x", "holidays": [{"date": "2027-01-01", "name": "元旦"}], "workdays": []}'
    )
    refused = run(["calendar", "load", str(bad)], db)
    assert refused.returncode != 0 and "2027-01-01" in refused.stderr
    created = run(
        [
            "user",
            "create",
            "--username",
            "ops_admin",
            "--name",
            "运维管理员",
            "--role",
            "public_user",
            "--subject-kind",
            "person",
            "--subject-id",
            "11010519491231002X",
            "--password",
            "Passw0rd!2026",
        ],
        db,
    )
    assert created.returncode == 0, created.stderr
    weak = run(
        [
            "user",
            "create",
            "--username",
            "weak",
            "--name",
            "弱",
            "--role",
            "public_user",
            "--subject-kind",
            "person",
            "--subject-id",
            "11010519491231002X",
            "--password",
            "123",
        ],
        db,
    )
    assert weak.returncode != 0 and "8 位" in weak.stderr
    ok = run(["audit", "verify"], db)
    assert ok.returncode == 0 and "完整" in ok.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_event SET outcome = 'failure' WHERE seq = 2")
    broken = run(["audit", "verify"], db)
    assert broken.returncode != 0 and "第 2 条" in broken.stderr
    purge = run(["audit", "purge", "--before", "2026-01-01"], db)
    assert purge.returncode != 0 and "24 个月" in purge.stderr


def test_demo_loads_once_and_is_idempotent(db: Path) -> None:
    first = run(["demo", "--no-serve"], db)
    assert first.returncode == 0, first.stderr
    assert "演示辖区已就绪" in first.stdout and "prov_reviewer" in first.stdout
    second = run(["demo", "--no-serve"], db)
    assert second.returncode == 0 and "未重复载入" in second.stdout
    with sqlite3.connect(db) as conn:
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("region", "organization", "app_user", "catalog_resource", "catalog_demand")
        }
        states = dict(
            conn.execute(
                "SELECT v.state, count(*) FROM catalog_resource r JOIN catalog_version v ON v.id = r.head_version_id GROUP BY 1"
            ).fetchall()
        )
    assert counts["region"] == 6 and counts["organization"] >= 14 and counts["catalog_resource"] >= 40
    assert {"draft", "submitted", "returned", "approved", "published"} <= set(states)
    assert "共享交换凭证" in first.stdout and "共享交换凭证" not in second.stdout
    sweep = run(["share", "sweep"], db)
    assert sweep.returncode == 0 and "已逾期，转主管机构协调" in sweep.stdout, sweep.stdout + sweep.stderr
    again = run(["share", "sweep"], db)
    assert again.returncode == 0 and "没有新逾期" in again.stdout
    opened = run(["open", "sweep"], db)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert "疑似违规" in opened.stdout or "没有新逾期或到期的开放事项" in opened.stdout
    verify = run(["audit", "verify"], db)
    assert verify.returncode == 0


def test_pool_load_and_pull(db: Path, tmp_path: Path) -> None:
    assert run(["demo", "--no-serve"], db).returncode == 0
    with sqlite3.connect(db) as conn:
        entry_id, code = conn.execute(
            "SELECT r.id, r.code FROM catalog_resource r JOIN catalog_version v ON v.id = r.published_version_id "
            "JOIN organization o ON o.id = r.org_id WHERE o.name = '四川省公安厅' AND v.classification = 'base'"
        ).fetchone()
        items = [
            row[0]
            for row in conn.execute(
                "SELECT i.name FROM catalog_item i JOIN catalog_resource r ON r.published_version_id = i.version_id "
                "WHERE r.id = ? AND i.required ORDER BY i.position",
                (entry_id,),
            )
        ]
    assert "公民身份号码" in items
    # A file with only the required items, one good row and one with a bad ID.
    values = {"公民身份号码": ["11010519491231002X", "110105194912310021"]}
    header = items
    lines = [",".join(header)]
    for i in range(2):
        lines.append(
            ",".join(values.get(name, ["x"] * 2)[i] if name in values else _sample(name) for name in header)
        )
    data = tmp_path / "people.csv"
    data.write_text("\n".join(lines) + "\n", encoding="gbk")
    loaded = run(["pool", "load", code, str(data), "--as-user", "gongan_officer", "--json"], db)
    assert loaded.returncode == 0, loaded.stderr + loaded.stdout
    summary = json.loads(loaded.stdout)
    assert summary["status"] == "succeeded" and summary["encoding"] == "gb18030"
    assert summary["rows_read"] == 2 and summary["rows_rejected"] == 1
    refused = run(["pool", "load", code, str(data), "--as-user", "minzheng_officer"], db)
    assert refused.returncode != 0 and "未找到" in refused.stderr
    aborted = run(["pool", "load", code, str(data), "--on-reject", "abort"], db)
    assert aborted.returncode == 7 and "整批未入库" in aborted.stderr
    # The database channel: a department table in another database, with a column mapping.
    source = tmp_path / "dept.db"
    with sqlite3.connect(source) as conn:
        cols = ", ".join(f'"c{i}" TEXT' for i in range(len(header)))
        conn.execute(f"CREATE TABLE person ({cols})")
        # Someone neither the demo (its public person 513221199007150324 is in this pool) nor the file above holds.
        row = [("110105194912310046" if name == "公民身份号码" else _sample(name)) for name in header]
        conn.execute(f"INSERT INTO person VALUES ({', '.join('?' for _ in header)})", row)
    maps = [arg for i, name in enumerate(header) for arg in ("--map", f"c{i}={name}")]
    pulled = run(
        ["pool", "pull", str(entry_id), "--url", f"sqlite:///{source}", "--table", "person", *maps, "--json"],
        db,
    )
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["rows_loaded"] == 1


def _sample(name: str) -> str:
    """A plausible value for a required demo item, by its name."""
    if "日期" in name or "时间" in name:
        return "2020-01-01"
    if "性别" in name:
        return "男"
    return "测试"

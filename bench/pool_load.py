"""Pool load benchmark: a generated population CSV through `govdata.pool.service.load_file`.

    python bench/pool_load.py --db sqlite|postgresql [--rows 1000000] [--mode replace|upsert|append]
                              [--url URL] [--repeat 2] [--extra-rows 3000000] [--keep-file]
                              [--variant NAME] [--compare NAME,NAME] [--profile FILE] [--render-only]

Generates (streaming, under /tmp/govdata_bench) a 20-column UTF-8 CSV of household-registration records
with valid GB 11643 citizen ID numbers and about 1 % deliberately bad rows; builds a fresh bench database
(SQLite: a file under /tmp; PostgreSQL: the `govdata_bench_pool` database on the server of --url, created
if missing, its schema dropped and recreated), a jurisdiction and a published catalog entry with the 20
data items through the real services; then times `load_file` end to end in a child process (its peak RSS
is the memory figure): a first load into the fresh pool (--mode, replace by default) and a second load of
the same file in upsert mode ("nothing changed"). On PostgreSQL a bare `COPY` of the same file into an
unindexed table of 20 TEXT columns is the baseline. Figures go to bench/README.md between this database's
markers. `--variant` monkeypatches the loader in the child to measure a proposed change (see VARIANTS);
`--compare` measures more variants in the same run and adds a comparison table; `--extra-rows N` loads an
N-row file once per loader (peak memory on a bigger file); `--render-only` rewrites the README block from
the results the last run saved under /tmp/govdata_bench.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import benchdb
import readme_block

BENCH_DIR = Path(__file__).resolve().parent
README = BENCH_DIR / "README.md"
WORK_DIR = Path("/tmp/govdata_bench")
SQLITE_PATH = WORK_DIR / "pool_load.sqlite"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "govdata_bench_pool"  # not catalog_search's govdata_bench: the two benches may run side by side
OFFICER = "bench_pool_officer"
REVIEWER = "bench_pool_reviewer"
SEED = 20261122
TARGET_PG_ROWS_S = 200_000
TARGET_COPY_RATIO = 0.5
TARGET_PEAK_MB = 500

# ---------------------------------------------------------------- the catalog entry's 20 data items

# (name, field_name, data_type, length, required, identifier_kind, sensitivity)
ITEMS: list[tuple[str, str, str, int | None, bool, str, int]] = [
    ("公民身份号码", "id_number", "string", 18, True, "person", 3),
    ("姓名", "name", "string", 50, True, "none", 2),
    ("性别", "gender", "string", 4, True, "none", 1),
    ("民族", "ethnicity", "string", 20, False, "none", 2),
    ("出生日期", "birth_date", "date", None, True, "none", 2),
    ("户籍地址", "hukou_address", "string", 200, True, "none", 3),
    ("现住址", "current_address", "string", 200, False, "none", 3),
    ("联系电话", "phone", "string", 20, False, "none", 3),
    ("婚姻状况", "marital_status", "string", 10, False, "none", 2),
    ("文化程度", "education", "string", 20, False, "none", 1),
    ("职业", "occupation", "string", 50, False, "none", 1),
    ("工作单位", "employer", "string", 100, False, "none", 2),
    ("身高", "height_cm", "integer", None, False, "none", 2),
    ("体重", "weight_kg", "decimal", None, False, "none", 2),
    ("是否残疾", "disabled", "boolean", None, False, "none", 3),
    ("登记日期", "registered_on", "date", None, False, "none", 1),
    ("更新时间", "updated_at", "datetime", None, False, "none", 1),
    ("户号", "household_no", "string", 20, False, "none", 2),
    ("与户主关系", "relation", "string", 20, False, "none", 2),
    ("备注", "remark", "string", 100, False, "none", 1),
]
HEADER = [item[0] for item in ITEMS]


def entry_payload() -> dict[str, Any]:
    return {
        "classification": "base",
        "base_database": "population",
        "domain": "公共安全",
        "name": "户籍人口基本信息（基准测试）",
        "summary": "全省户籍人口的身份号码、姓名、性别、民族、出生日期、户籍地址、现住址等基本信息",
        "format_category": "数据库",
        "format_type": "PostgreSQL",
        "update_cycle": "daily",
        "share_type": "conditional",
        "share_conditions": "仅限履行法定职责需要核验身份的部门使用",
        "share_basis": "《中华人民共和国个人信息保护法》第十三条、第三十四条",
        "share_mode": "platform",
        "share_channels": ["api", "database"],
        "open_type": "none",
        "open_basis": "《中华人民共和国个人信息保护法》第二十八条",
        "grade": 3,
        "items": [
            {
                "name": name,
                "field_name": field_name,
                "data_type": data_type,
                "length": length,
                "required": required,
                "identifier_kind": kind,
                "sensitivity": sensitivity,
            }
            for name, field_name, data_type, length, required, kind, sensitivity in ITEMS
        ],
    }


# ---------------------------------------------------------------- generated population file

CITIES = {
    "5101": "成都市",
    "5103": "自贡市",
    "5104": "攀枝花市",
    "5132": "阿坝藏族羌族自治州",
    "5133": "甘孜藏族自治州",
    "5134": "凉山彝族自治州",
}
# County codes that python-stdnum's table knows for every birth year, weighted by rough population …
COUNTIES: dict[str, tuple[str, float]] = {
    "510121": ("金堂县", 8.0),
    "510321": ("荣县", 6.0),
    "510421": ("米易县", 2.0),
    "510422": ("盐边县", 2.0),
    "513221": ("汶川县", 1.0),
    "513222": ("理县", 0.5),
    "513224": ("松潘县", 0.7),
    "513226": ("金川县", 0.7),
    "513227": ("小金县", 0.8),
    "513228": ("黑水县", 0.6),
    "513230": ("壤塘县", 0.4),
    "513231": ("阿坝县", 0.8),
    "513232": ("若尔盖县", 0.8),
    "513233": ("红原县", 0.5),
    "513322": ("泸定县", 0.9),
    "513323": ("丹巴县", 0.6),
    "513324": ("九龙县", 0.6),
    "513325": ("雅江县", 0.5),
    "513326": ("道孚县", 0.6),
    "513327": ("炉霍县", 0.5),
    "513328": ("甘孜县", 0.7),
    "513329": ("新龙县", 0.5),
    "513330": ("德格县", 0.9),
    "513331": ("白玉县", 0.6),
    "513332": ("石渠县", 1.0),
    "513333": ("色达县", 0.6),
    "513334": ("理塘县", 0.7),
    "513335": ("巴塘县", 0.5),
    "513336": ("乡城县", 0.3),
    "513337": ("稻城县", 0.3),
    "513338": ("得荣县", 0.3),
    "513401": ("西昌市", 9.0),
    "513422": ("木里藏族自治县", 1.4),
    "513423": ("盐源县", 4.0),
    "513424": ("德昌县", 2.2),
    "513426": ("会东县", 4.0),
    "513427": ("宁南县", 1.9),
    "513428": ("普格县", 1.9),
    "513429": ("布拖县", 1.9),
    "513430": ("金阳县", 1.8),
    "513431": ("昭觉县", 3.0),
    "513432": ("喜德县", 2.0),
    "513433": ("冕宁县", 3.8),
    "513434": ("越西县", 3.5),
    "513435": ("甘洛县", 2.3),
    "513436": ("美姑县", 2.7),
    "513437": ("雷波县", 2.6),
    # … and Chengdu districts created in 1983/1990: people born earlier carry the later code, so their ID
    # numbers draw the loader's "region code unknown for the birth year" warning, as real files do.
    "510104": ("锦江区", 0.5),
    "510107": ("武侯区", 0.6),
    "510112": ("龙泉驿区", 0.6),
}
TOWN_SUFFIXES = ["镇", "乡", "街道"]
TOWN_ROOTS = list("威映漩绵水磨龙凤安宁太平新华金沙河东西南北长兴永和福德清溪石桥")
VILLAGE_ROOTS = list("红星光明团结胜利和平友谊幸福前进联合新民东风向阳桂花柏树杨柳")
ROADS = [
    "人民南路",
    "人民北路",
    "天府大道",
    "蜀都大道",
    "建设路",
    "航天路",
    "长征路",
    "胜利路",
    "滨河路",
    "解放路",
]
SURNAMES = list(
    "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红梅玉兰海燕丹婷浩宇欣怡子涵雨轩梓萱"
    "晨阳思远佳琪俊杰文博嘉怡一鸣诗雨天佑德明光荣春梅秋菊冬梅德华成龙小红小明国庆建军"
)
TIBETAN = [
    "扎西",
    "卓玛",
    "次仁",
    "多吉",
    "拉姆",
    "央金",
    "格桑",
    "尼玛",
    "达瓦",
    "平措",
    "曲珍",
    "旺姆",
    "泽仁",
    "降措",
]
YI = [
    "阿苏",
    "吉克",
    "沙马",
    "阿约",
    "俄的",
    "阿西",
    "曲比",
    "吉伍",
    "海来",
    "马黑",
    "拉则",
    "木呷",
    "阿果",
    "日火",
]
ETHNICITY: dict[str, list[tuple[str, float]]] = {
    "5132": [("藏族", 40), ("羌族", 20), ("汉族", 35), ("回族", 5)],
    "5133": [("藏族", 78), ("汉族", 20), ("彝族", 2)],
    "5134": [("彝族", 50), ("汉族", 45), ("藏族", 3), ("傈僳族", 1), ("蒙古族", 1)],
    "": [("汉族", 98), ("彝族", 0.5), ("回族", 0.5), ("苗族", 0.5), ("土家族", 0.5)],
}
EDUCATION = [
    ("小学", 25),
    ("初中", 33),
    ("高中", 12),
    ("中等专科", 5),
    ("大学专科", 9),
    ("大学本科", 8),
    ("研究生", 1),
    ("不识字或识字很少", 7),
]
OCCUPATIONS = [
    ("农民", 35, ""),
    ("学生", 12, "学校"),
    ("工人", 10, "公司"),
    ("个体工商户", 7, ""),
    ("企业职员", 9, "公司"),
    ("教师", 3, "学校"),
    ("医生", 1.5, "医院"),
    ("护士", 1.5, "医院"),
    ("公务员", 2, "局"),
    ("退休人员", 10, ""),
    ("无业", 6, ""),
    ("牧民", 3, ""),
]
EMPLOYER_NAMES = {
    "学校": ["第一中学", "实验小学", "民族中学", "职业技术学校", "中心小学"],
    "公司": ["水电开发有限公司", "建筑工程有限公司", "农业发展有限公司", "旅游开发有限公司", "电力有限公司"],
    "医院": ["人民医院", "中医医院", "妇幼保健院", "疾病预防控制中心"],
    "局": ["人民政府办公室", "财政局", "教育局", "公安局", "自然资源局"],
}
RELATIONS = [
    ("配偶", 25),
    ("子", 14),
    ("女", 13),
    ("父亲", 3),
    ("母亲", 4),
    ("孙子", 2),
    ("孙女", 2),
    ("儿媳", 1),
    ("其他", 1),
]
REMARKS = ["户口迁入", "外出务工", "已核实", "户口迁出待注销", "服兵役", "在校学生集体户", "信息更正"]
LONG_REMARK = (
    "该户于二〇一九年因易地扶贫搬迁由原居住地整户迁入现住址，迁入时户籍信息经乡镇派出所现场核实，"
    "家庭成员身份证件齐全；二〇二一年户主申请变更联系电话，二〇二三年进行过一次信息复核，"
    "复核结果与原登记一致，另有一名家庭成员长期在外务工，现居住地址以社区登记为准。"
)  # 130 characters: over the item's length of 100
RIC_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def ric_check(body: str) -> str:
    value = (12 - sum(int(c) * w for c, w in zip(body, RIC_WEIGHTS, strict=True)) % 11) % 11
    return "X" if value == 10 else str(value)


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


@dataclass
class FileStats:
    path: str
    rows: int
    bytes: int = 0
    seconds: float = 0.0
    bad_check_digit: int = 0
    bad_date: int = 0
    too_long: int = 0
    other_date_spellings: int = 0
    region_warnings: int = 0  # born before their Chengdu district code existed (a warning, still loaded)

    @property
    def bad_rows(self) -> int:
        return self.bad_check_digit + self.bad_date + self.too_long


class Population:
    """Deterministic household-registration rows; every ID number is valid and unique unless spoiled."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.codes = list(COUNTIES)
        self.code_cum = _cumulative([w for _n, w in COUNTIES.values()])
        self.ethnic = {
            k: (next(zip(*v, strict=True)), _cumulative([w for _e, w in v])) for k, v in ETHNICITY.items()
        }
        self.edu = ([e for e, _w in EDUCATION], _cumulative([w for _e, w in EDUCATION]))
        self.occ = (OCCUPATIONS, _cumulative([w for _o, w, _k in OCCUPATIONS]))
        members = [r for r in RELATIONS if r[0] != "户主"]
        self.rel = ([r for r, _w in members], _cumulative([w for _r, w in members]))
        self.used: set[int] = set()
        self.today = dt.date(2026, 11, 1)
        self.first_birth = dt.date(1935, 1, 1).toordinal()
        self.last_birth = dt.date(2024, 12, 31).toordinal()
        self.household: tuple[str, str, str] | None = None

    def pick(self, items: list[Any] | tuple[Any, ...], cum: list[float]) -> Any:
        return self.rng.choices(items, cum_weights=cum, k=1)[0]

    def address(self, code: str) -> str:
        rng = self.rng
        county = COUNTIES[code][0]
        city = CITIES[code[:4]]
        if code.startswith("5101") and code != "510121":
            road = rng.choice(ROADS)
            return (
                f"四川省{city}{county}{road}{rng.randint(1, 399)}号{rng.randint(1, 30)}栋"
                f"{rng.randint(1, 4)}单元{rng.randint(1, 32)}{rng.randint(1, 8):02d}号"
            )
        town = rng.choice(TOWN_ROOTS) + rng.choice(TOWN_ROOTS) + rng.choice(TOWN_SUFFIXES)
        village = rng.choice(VILLAGE_ROOTS) + rng.choice(VILLAGE_ROOTS) + rng.choice(["村", "社区"])
        return f"四川省{city}{county}{town}{village}{rng.randint(1, 12)}组{rng.randint(1, 120)}号"

    def name(self, ethnicity: str) -> str:
        rng = self.rng
        if ethnicity == "藏族":
            return rng.choice(TIBETAN) + rng.choice(TIBETAN)
        if ethnicity == "彝族" and rng.random() < 0.7:
            return rng.choice(YI) + rng.choice(YI)
        given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
        return rng.choice(SURNAMES) + given

    def row(self, stats: FileStats) -> list[str]:
        rng = self.rng
        # Households: a head opens one (county, address, household number); its members follow it.
        if self.household is None or rng.random() < 0.35:
            code = self.pick(self.codes, self.code_cum)
            self.household = (code, self.address(code), f"{code}{rng.randint(1, 999_999):06d}")
            relation = "户主"
        else:
            relation = self.pick(*self.rel)
        code, hukou, household_no = self.household
        while True:
            born = dt.date.fromordinal(rng.randint(self.first_birth, self.last_birth))
            seq = rng.randint(0, 999)
            body = f"{code}{born:%Y%m%d}{seq:03d}"
            key = int(body)
            if key not in self.used:
                self.used.add(key)
                break
        check = ric_check(body)
        male = seq % 2 == 1
        names, cum = self.ethnic.get(code[:4], self.ethnic[""])
        ethnicity = self.pick(names, cum)
        age = (self.today - born).days // 365
        current = hukou if rng.random() < 0.7 else self.address(self.pick(self.codes, self.code_cum))
        phone = (
            ""
            if rng.random() < 0.1 or age < 12
            else f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}"
        )
        if age < 20:
            marital = "未婚"
        else:
            marital = rng.choices(["未婚", "已婚", "离婚", "丧偶"], [15, 70, 8, 7 if age > 55 else 1])[0]
        occupations, ocum = self.occ
        occupation, _w, employer_kind = self.pick(occupations, ocum)
        if age < 18:
            occupation, employer_kind = ("学生", "学校") if age >= 6 else ("学龄前儿童", "")
        elif age >= 60 and rng.random() < 0.7:
            occupation, employer_kind = "退休人员", ""
        employer = ""
        if employer_kind:
            employer = COUNTIES[code][0] + rng.choice(EMPLOYER_NAMES[employer_kind])
        height = (
            min(200, max(50, int(rng.gauss(170 if male else 158, 7)))) if age >= 16 else rng.randint(50, 170)
        )
        weight = max(3.0, rng.gauss(68 if male else 56, 9)) if age >= 16 else rng.uniform(3, 60)
        registered = dt.date.fromordinal(
            rng.randint(max(born.toordinal(), dt.date(1985, 1, 1).toordinal()), self.today.toordinal())
        )
        updated = dt.datetime(2020, 1, 1) + dt.timedelta(seconds=rng.randint(0, 6 * 365 * 86400))
        remark = rng.choice(REMARKS) if rng.random() < 0.05 else ""
        spelled = f"{born:%Y-%m-%d}"
        roll = rng.random()
        if roll < 0.02:
            spelled = f"{born.year}/{born.month}/{born.day}"
            stats.other_date_spellings += 1
        elif roll < 0.03:
            spelled = f"{born:%Y%m%d}"
            stats.other_date_spellings += 1
        registered_text = f"{registered:%Y-%m-%d}"
        # About 1 % of rows are spoiled on purpose, one problem each, so the reject path does real work.
        fault = rng.random()
        if fault < 0.004:
            check = rng.choice([c for c in "0123456789X" if c != check])
            stats.bad_check_digit += 1
        elif fault < 0.007:
            registered_text = rng.choice(
                [f"{registered.year}-02-30", f"{registered.year}-13-{registered.day:02d}"]
            )
            stats.bad_date += 1
        elif fault < 0.010:
            remark = LONG_REMARK
            stats.too_long += 1
        elif (code in ("510104", "510107") and born.year < 1990) or (code == "510112" and born.year < 1983):
            stats.region_warnings += 1  # born before the district's code existed: a warning, still loaded
        return [
            body + check,
            self.name(ethnicity),
            "男" if male else "女",
            ethnicity,
            spelled,
            hukou,
            current,
            phone,
            marital,
            self.pick(*self.edu) if age >= 6 else "",
            occupation,
            employer,
            str(height) if rng.random() > 0.02 else "",
            f"{weight:.1f}" if rng.random() > 0.02 else "",
            "是" if rng.random() < 0.02 else "否",
            registered_text,
            f"{updated:%Y-%m-%d %H:%M:%S}",
            household_no,
            relation,
            remark,
        ]


def generate_csv(path: Path, rows: int, seed: int = SEED) -> FileStats:
    """Write the file in 10,000-row chunks; reuse it (with its stats) when --keep-file left it behind."""
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        stats = FileStats(**json.loads(meta.read_text()))
        if stats.rows == rows and path.stat().st_size == stats.bytes:
            print(f"reusing {path} ({stats.bytes / 1e6:,.0f} MB, generated earlier in {stats.seconds:.0f} s)")
            return stats
    path.parent.mkdir(parents=True, exist_ok=True)
    stats = FileStats(str(path), rows)
    population = Population(seed)
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(HEADER) + "\n")
        done = 0
        while done < rows:
            n = min(10_000, rows - done)
            f.write("".join(",".join(map(_csv_field, population.row(stats))) + "\n" for _ in range(n)))
            done += n
            if done % 200_000 == 0 or done == rows:
                print(f"  generated {done:,} rows", end="\r", flush=True)
    print()
    stats.seconds = time.perf_counter() - started
    stats.bytes = path.stat().st_size
    meta.write_text(json.dumps(asdict(stats)))
    return stats


# ---------------------------------------------------------------- database set-up (parent process)


def bench_url(db: str, url: str | None) -> str:
    from sqlalchemy.engine import make_url

    if db == "sqlite":
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    admin = make_url(url or DEFAULT_PG_URL)
    return admin.set(database=BENCH_DB).render_as_string(hide_password=False)


def fresh_database(db: str, url: str | None) -> str:
    """An empty bench database; never the test suite's `test` database itself."""

    target = bench_url(db, url)
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(SQLITE_PATH) + suffix).unlink(missing_ok=True)
        return target
    return benchdb.fresh_postgresql(url or DEFAULT_PG_URL, BENCH_DB)


def build_entry(url: str) -> int:
    """Schema, a province with its big-data authority and public-security department, an officer and a
    reviewer, and the published 20-item entry — all through the real use cases. Returns the entry id."""
    from govdata.authz import system_actor
    from govdata.catalog import service as catalog
    from govdata.catalog.schemas import CreateEntryIn
    from govdata.clock import SystemClock
    from govdata.context import Ctx
    from govdata.db import make_engine, make_session_factory
    from govdata.migrate import upgrade
    from govdata.org.models import OrgKind, RegionLevel, Role
    from govdata.org.service import (
        NewUser,
        actor_for,
        create_user,
        get_or_create_org,
        get_or_create_region,
        init_deployment,
    )

    engine = make_engine(url)
    upgrade(engine)
    session = make_session_factory(engine)()
    ctx = Ctx(session=session, clock=SystemClock())
    sys_actor = system_actor("bench")
    init_deployment(ctx, sys_actor, "sichuan")
    province = get_or_create_region(ctx, sys_actor, "510000", "四川省", RegionLevel.PROVINCE, None)
    authority = get_or_create_org(
        ctx,
        sys_actor,
        region=province,
        name="四川省大数据中心",
        short_name="省大数据中心",
        kind=OrgKind.AUTHORITY,
        org_code="001",
    )
    gongan = get_or_create_org(
        ctx,
        sys_actor,
        region=province,
        name="四川省公安厅",
        short_name="省公安厅",
        kind=OrgKind.DEPARTMENT,
        org_code="011",
    )
    users = {}
    for username, role, org in (
        (OFFICER, Role.DEPT_OFFICER, gongan),
        (REVIEWER, Role.AUTHORITY_REVIEWER, authority),
    ):
        users[username] = create_user(
            ctx,
            sys_actor,
            NewUser(
                username=username,
                display_name="基准测试" + username,
                role=role,
                password="Bench-Passw0rd-2026",
                org_id=org.id,
            ),
        )
    officer, reviewer = actor_for(users[OFFICER]), actor_for(users[REVIEWER])
    entry = catalog.create_entry(ctx, officer, CreateEntryIn.model_validate(entry_payload()))
    catalog.submit(ctx, officer, entry.id)
    catalog.review(ctx, reviewer, entry.id, "approve", None)
    if entry.published_version_id is None:  # the sichuan profile publishes in a separate step
        catalog.publish(ctx, reviewer, entry.id)
    session.commit()
    entry_id = entry.id
    session.close()
    engine.dispose()
    return entry_id


# ---------------------------------------------------------------- the measured child process


def vm_status(key: str) -> float:
    """VmHWM / VmRSS of this process in MB."""
    match = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) / 1024 if match else 0.0


class Phases:
    """Wall time per loader step, by wrapping module functions the loader looks up at call time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.sql: dict[str, float] = defaultdict(float)
        self.marks: dict[str, float] = {}
        self.active: set[str] = set()  # labels being timed: an inner step of the same name is not added twice

    def wrap(self, owner: Any, name: str, label: str, *, exclusive: bool = False) -> None:
        """`exclusive`: less what reading, validation and hashing took inside (steps that consume the reader)."""
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if label in self.active:
                return original(*args, **kwargs)
            self.active.add(label)
            t0 = time.perf_counter()
            inner = sum(self.seconds.get(k, 0.0) for k in INNER) if exclusive else 0.0
            try:
                return original(*args, **kwargs)
            finally:
                self.active.discard(label)
                if exclusive:
                    inner = sum(self.seconds.get(k, 0.0) for k in INNER) - inner
                self.seconds[label] += time.perf_counter() - t0 - inner
                self.marks[label] = time.perf_counter()

        setattr(owner, name, timed)

    def timed_iter(self, it: Iterator[Any], label: str) -> Iterator[Any]:
        while True:
            t0 = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                self.seconds[label] += time.perf_counter() - t0
                return
            self.seconds[label] += time.perf_counter() - t0
            yield item


PHASES: Phases | None = None  # set in the child; the variants report their steps through it
INNER = ("read CSV (pyarrow)", "validate", "row hash (hashlib)")


class timed_phase:
    """Time a block under `label`, less what the reader, validation and hashing took inside it."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()
        self.inner = sum(PHASES.seconds.get(k, 0.0) for k in INNER) if PHASES else 0.0
        if PHASES is not None:
            PHASES.active.add(self.label)

    def __exit__(self, *exc: object) -> None:
        if PHASES is not None:
            PHASES.active.discard(self.label)
            inner = sum(PHASES.seconds.get(k, 0.0) for k in INNER) - self.inner
            PHASES.seconds[self.label] += time.perf_counter() - self.t0 - inner
            PHASES.marks[self.label] = time.perf_counter()


SQL_LABELS = [
    (r"^INSERT INTO \"?pool_(reject|batch)", "finish: reject/warning rows, batch"),
    (r"^INSERT INTO audit", "finish: audit event"),
    (r"first_value", "duplicate keys (window over stage)"),
    (r"HAVING count\(\*\) > 1", "duplicate keys (GROUP BY pre-check)"),
    (r"^SELECT sum\(CASE WHEN p\._row_hash <> s\._row_hash", "upsert: count changed + unchanged (one join)"),
    (r"^DELETE FROM gd_stage", "delete duplicate/clashing staged rows"),
    (r"^DELETE FROM \"?pool_", "replace: DELETE FROM pool"),
    (r"^INSERT INTO \"?pool_\w+\"? .* WHERE NOT EXISTS", "upsert: INSERT … SELECT new keys"),
    (r"^INSERT INTO \"?pool_", "INSERT INTO pool … SELECT FROM stage"),
    (r"^UPDATE \"?pool_", "upsert: UPDATE changed rows"),
    (r"^SELECT count\(\*\) FROM gd_stage s JOIN .* <>", "upsert: count changed"),
    (r"^SELECT count\(\*\) FROM gd_stage s JOIN .* = s", "upsert: count unchanged"),
    (r"^SELECT s\._row_number FROM gd_stage s JOIN", "append: key clashes"),
    (r"^SELECT count\(\*\) FROM gd_stage", "count staged rows"),
    (r"^SELECT count\(\*\) AS count_1\s+FROM \"?pool_", "finish: count(*) of pool"),
    (r"^CREATE (UNIQUE )?INDEX", "CREATE INDEX (rebuilt after the load)"),
    (r"^ALTER TABLE \S+ ADD CONSTRAINT \S+ PRIMARY KEY", "primary key (rebuilt after the load)"),
    (r"^(CREATE|DROP|TRUNCATE) ", "DDL (stage table, DROP INDEX, TRUNCATE)"),
]


def sql_label(statement: str) -> str:
    flat = " ".join(statement.split())
    for pattern, label in SQL_LABELS:
        if re.search(pattern, flat):
            return label
    return "other: " + flat[:60]


def child_load(spec: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.csv as pacsv
    from sqlalchemy import event

    from govdata.clock import SystemClock
    from govdata.context import Ctx
    from govdata.db import make_engine, make_session_factory
    from govdata.org.service import actor_for, user_by_username
    from govdata.pool import bulk, loader, pgbinary, readers, service, validate
    from govdata.pool.models import LoadMode, Pool

    global PHASES
    rss_ready = vm_status("VmRSS")
    phases = PHASES = Phases()
    VARIANTS[spec["variant"]].apply()
    for owner, name, label in (
        (loader, "_start_batch", "start batch (own transaction)"),
        (loader, "_create_stage", "create stage table"),
        (validate, "validate_batch", "validate"),
        (bulk, "row_hashes", "row hash (hashlib)"),
        (pacsv, "write_csv", "  of which Arrow → CSV text"),
        (pgbinary, "rows", "  of which Arrow → binary COPY rows"),
        (loader, "_drop_duplicate_keys", "duplicate keys in file"),
        (loader, "_merge", "merge into pool"),
        (loader, "_finish", "finish (batch, rejects, count, audit)"),
        (loader, "load", "loader.load"),
    ):
        phases.wrap(owner, name, label)
    phases.wrap(loader, "_write_stage", "write stage (COPY / executemany)", exclusive=True)
    phases.wrap(bulk, "copy_into_empty_pool", "COPY into the empty pool, indexes rebuilt", exclusive=True)
    open_file = readers.open_file

    def open_timed(*args: Any, **kwargs: Any) -> Any:
        reader = open_file(*args, **kwargs)
        batches = reader.batches
        reader.batches = lambda: phases.timed_iter(batches(), "read CSV (pyarrow)")  # type: ignore[method-assign]
        return reader

    readers.open_file = open_timed  # type: ignore[assignment]

    engine = make_engine(spec["url"])

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        phases.sql[sql_label(statement)] += time.perf_counter() - conn.info["t0"]

    session = make_session_factory(engine)()
    ctx = Ctx(session=session, clock=SystemClock())
    actor = actor_for(user_by_username(session, OFFICER))
    profiler = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    batch = service.load_file(ctx, actor, spec["entry"], Path(spec["path"]), mode=LoadMode(spec["mode"]))
    wall = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["profile"])
    phases.seconds["commit"] = started + wall - phases.marks["finish (batch, rejects, count, audit)"]
    phases.seconds["service (headers, pool, sample)"] = wall - phases.seconds["loader.load"]
    pool = session.get(Pool, batch.pool_id)
    result = {
        "kind": "load",
        "mode": spec["mode"],
        "variant": spec["variant"],
        "wall": wall,
        "status": str(batch.status),
        "message": batch.message,
        "read": batch.rows_read,
        "loaded": batch.rows_loaded,
        "updated": batch.rows_updated,
        "unchanged": batch.rows_unchanged,
        "deleted": batch.rows_deleted,
        "rejected": batch.rows_rejected,
        "warnings": batch.warnings,
        "pool_rows": pool.row_count if pool else None,
        "rss_ready_mb": rss_ready,
        "hwm_mb": vm_status("VmHWM"),
        "phases": dict(phases.seconds),
        "sql": dict(phases.sql),
    }
    session.close()
    engine.dispose()
    return result


def child_copy(spec: dict[str, Any]) -> dict[str, Any]:
    """The baseline: the same file streamed by psycopg into an unindexed table of 20 TEXT columns."""
    import psycopg

    rss_ready = vm_status("VmRSS")
    columns = ", ".join(f'"{field_name}" TEXT' for _n, field_name, *_rest in ITEMS)
    with psycopg.connect(spec["url"].replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare_copy")
        conn.commit()
        started = time.perf_counter()
        conn.execute(f"CREATE TABLE bench_bare_copy ({columns})")
        with (
            conn.cursor() as cur,
            cur.copy("COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            open(spec["path"], "rb") as f,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        wall = time.perf_counter() - started
        rows = conn.execute("SELECT count(*) FROM bench_bare_copy").fetchone()[0]  # type: ignore[index]
        conn.execute("DROP TABLE bench_bare_copy")
        conn.commit()
    return {
        "kind": "copy",
        "wall": wall,
        "read": rows,
        "rss_ready_mb": rss_ready,
        "hwm_mb": vm_status("VmHWM"),
    }


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its peak RSS comes from wait4's rusage."""
    out = WORK_DIR / f"child_{os.getpid()}.json"
    out.unlink(missing_ok=True)
    spec = spec | {"out": str(out)}
    load_avg = os.getloadavg()[0]
    proc = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec)])
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {spec}")
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    result["maxrss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    result["load_avg"] = load_avg
    result["rows_s"] = result["read"] / result["wall"]
    return result


def child_main(raw: str) -> None:
    spec = json.loads(raw)
    result = child_load(spec) if spec["kind"] == "load" else child_copy(spec)
    Path(spec["out"]).write_text(json.dumps(result))


# ---------------------------------------------------------------- variants: proposed loader changes
#
# `--variant NAME` runs `patch()` in the child before loading: a proposed change to the loader is measured by
# monkeypatching govdata.pool (nothing under src/ is modified), side by side with `none` through `--compare`.
# The variants measured so far (`finish`, `direct`, `direct-lean`, `staged`) are now the loader itself;
# bench/README.md keeps their figures.


@dataclass
class Variant:
    description: str
    patch: Callable[[], None] | None = None

    def apply(self) -> None:
        if self.patch is not None:
            self.patch()


VARIANTS: dict[str, Variant] = {
    "none": Variant("the loader as it is in src/"),
}


# ---------------------------------------------------------------- report


def sh(cmd: str) -> str:
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def machine(url: str) -> dict[str, str]:
    meminfo = Path("/proc/meminfo").read_text()
    cpuinfo = Path("/proc/cpuinfo").read_text()
    mem = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    cpu = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    versions = [
        f"Python {platform.python_version()}",
        f"SQLite {sqlite3.sqlite_version}",
        f"SQLAlchemy {_version('sqlalchemy')}",
        f"pyarrow {_version('pyarrow')}",
        f"NumPy {_version('numpy')}",
    ]
    if url.startswith("postgresql"):
        from sqlalchemy import text

        from govdata.db import make_engine

        engine = make_engine(url)
        with engine.connect() as conn:
            server = conn.execute(text("SHOW server_version")).scalar_one()
            settings = conn.execute(
                text(
                    "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers', "
                    "'work_mem', 'maintenance_work_mem', 'max_wal_size', 'synchronous_commit', 'wal_level')"
                )
            ).all()
        engine.dispose()
        versions.insert(2, f"PostgreSQL {server} ({', '.join(f'{k}={v}' for k, v in settings)})")
        versions.insert(3, f"psycopg {_version('psycopg')}")
    return {
        "date": sh("date -u"),
        "nproc": sh("nproc"),
        "ram": f"{int(mem.group(1)) / 1024 / 1024:.1f} GiB" if mem else "?",
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "versions": ", ".join(versions),
    }


def _best(results: list[dict[str, Any]]) -> dict[str, Any]:
    return max(results, key=lambda r: r["rows_s"])


def _spread(results: list[dict[str, Any]]) -> str:
    return " / ".join(f"{r['rows_s']:,.0f}" for r in results)


def _peak(r: dict[str, Any]) -> float:
    return max(r["maxrss_mb"], r["hwm_mb"])


def _load_row(label: str, results: list[dict[str, Any]]) -> str:
    b = _best(results)
    counts = (
        f"{b['loaded']:,} / {b['updated']:,} / {b['unchanged']:,} / {b['rejected']:,} / {b['warnings']:,}"
    )
    return (
        f"| {label} | {b['read']:,} | {counts} | {b['wall']:.1f} | **{b['rows_s']:,.0f}** | {_spread(results)} | "
        f"{max(_peak(r) for r in results):,.0f} |"
    )


def render(
    db: str,
    command: str,
    info: dict[str, str],
    stats: FileStats,
    firsts: list[dict[str, Any]],
    seconds: list[dict[str, Any]],
    copies: list[dict[str, Any]],
    extra: tuple[FileStats, dict[str, Any]] | None,
    mode: str,
    variant: str,
) -> str:
    label = "PostgreSQL" if db == "postgresql" else "SQLite"
    lines = [
        f"### {label}",
        "",
        f"- command: `{command}`",
        f"- date: {info['date']}",
        f"- machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM; shared VM, other jobs may run",
        f"- versions: {info['versions']}",
        f"- loader: {VARIANTS[variant].description}"
        + (f" (`--variant {variant}`)" if variant != "none" else ""),
        f"- file: {stats.rows:,} rows × 20 columns, {stats.bytes / 1e6:,.0f} MB UTF-8 CSV, generated in "
        f"{stats.seconds:.0f} s (not timed); {stats.bad_rows:,} rows spoiled on purpose "
        f"({stats.bad_check_digit:,} bad ID check digit, {stats.bad_date:,} impossible 登记日期, "
        f"{stats.too_long:,} 备注 over 100 characters), {stats.other_date_spellings:,} 出生日期 as "
        f"YYYY/M/D or YYYYMMDD, {stats.region_warnings:,} ID numbers whose district code postdates the birth "
        "year (a warning)",
        f"- runs: {len(firsts)}, each on a fresh database; rows/s = rows read / wall time of `load_file` in a "
        "child process; peak = the child's peak RSS (wait4 ru_maxrss, = VmHWM)",
        "",
        "| load | rows read | loaded / updated / unchanged / rejected / warnings | best wall s | best rows/s "
        "| rows/s per run | peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        _load_row(f"{mode}, fresh pool", firsts),
        _load_row("upsert, same file again (nothing changed)", seconds),
    ]
    if extra is not None:
        xstats, xr = extra
        lines.append(
            _load_row(f"{mode}, fresh pool, {xstats.rows:,}-row file ({xstats.bytes / 1e6:,.0f} MB)", [xr])
        )
    if copies:
        b = _best(copies)
        lines.append(
            f"| bare `COPY` of the file into an unindexed 20 × TEXT table (baseline) | {b['read']:,} | – | "
            f"{b['wall']:.1f} | **{b['rows_s']:,.0f}** | {_spread(copies)} | {max(_peak(r) for r in copies):,.0f} |"
        )
    lines.append("")
    best_first = _best(firsts)
    peaks = [_peak(r) for r in firsts + seconds] + ([_peak(extra[1])] if extra else [])
    memory_ok = max(peaks) < TARGET_PEAK_MB
    peak_where = f"{stats.rows:,}-row file"
    if extra and _peak(extra[1]) >= max(peaks):
        peak_where = f"{extra[0].rows:,}-row file"
    if db == "postgresql":
        ratios = [f["rows_s"] / c["rows_s"] for f, c in zip(firsts, copies, strict=True)]
        ratio = best_first["rows_s"] / _best(copies)["rows_s"]
        speed_ok = best_first["rows_s"] >= TARGET_PG_ROWS_S
        ratio_ok = ratio >= TARGET_COPY_RATIO
        lines += [
            f"Ratio to bare COPY (best / best): **{ratio:.0%}** (per run: "
            f"{', '.join(f'{r:.0%}' for r in ratios)}); upsert of the unchanged file: "
            f"{_best(seconds)['rows_s'] / _best(copies)['rows_s']:.0%}.",
            "",
            "Targets, first load into the fresh pool:",
            f"- ≥ {TARGET_PG_ROWS_S:,} rows/s on PostgreSQL: {'**met**' if speed_ok else '**NOT met**'} "
            f"({best_first['rows_s']:,.0f} rows/s)",
            f"- ≥ {TARGET_COPY_RATIO:.0%} of bare COPY: {'**met**' if ratio_ok else '**NOT met**'} ({ratio:.0%})",
        ]
    else:
        lines += ["Targets: the rows/s targets are for PostgreSQL only; memory:"]
    lines.append(
        f"- peak memory < {TARGET_PEAK_MB} MB: {'**met**' if memory_ok else '**NOT met**'} "
        f"(highest {max(peaks):,.0f} MB, on the {peak_where}; the interpreter with govdata imported holds "
        f"{best_first['rss_ready_mb']:.0f} MB before the load)"
    )
    lines += ["", *phase_table(best_first, _best(seconds))]
    return "\n".join(lines)


PHASE_ORDER = [
    "service (headers, pool, sample)",
    "start batch (own transaction)",
    "create stage table",
    "read CSV (pyarrow)",
    "validate",
    "row hash (hashlib)",
    "write stage (COPY / executemany)",
    "COPY into the empty pool, indexes rebuilt",
    "  of which Arrow → CSV text",
    "  of which Arrow → binary COPY rows",
    "duplicate keys in file",
    "merge into pool",
    "finish (batch, rejects, count, audit)",
    "commit",
]


def phase_table(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    lines = [
        "<details><summary>Where the time goes (best run; seconds)</summary>",
        "",
        f"| step | {first['mode']}, fresh pool | upsert, unchanged |",
        "| --- | ---: | ---: |",
    ]
    for key in PHASE_ORDER:
        a, b = first["phases"].get(key), second["phases"].get(key)
        if a is None and b is None:
            continue
        lines.append(f"| {key} | {a or 0:.2f} | {b or 0:.2f} |")
    lines.append(f"| **total (`load_file`)** | **{first['wall']:.2f}** | **{second['wall']:.2f}** |")
    sql_keys = sorted(
        set(first["sql"]) | set(second["sql"]),
        key=lambda k: -(first["sql"].get(k, 0) + second["sql"].get(k, 0)),
    )
    lines += [
        "",
        "| SQL statement (through SQLAlchemy) | fresh pool | upsert, unchanged |",
        "| --- | ---: | ---: |",
    ]
    for key in sql_keys:
        a, b = first["sql"].get(key, 0.0), second["sql"].get(key, 0.0)
        if a + b >= 0.05:
            lines.append(f"| {key} | {a:.2f} | {b:.2f} |")
    lines += ["", "</details>"]
    return lines


def render_all(
    run_args: dict[str, str],
    info: dict[str, str],
    stats: FileStats,
    main: Any,
    compared: dict[str, Any],
    extra: tuple[FileStats, dict[str, Any]] | None,
    extras: dict[str, dict[str, Any]],
) -> str:
    db, mode, variant = run_args["db"], run_args["mode"], run_args["variant"]
    firsts, seconds, copies = main
    block = render(db, run_args["command"], info, stats, firsts, seconds, copies, extra, mode, variant)
    if compared:
        block += "\n\n" + "\n".join(
            render_compare(db, mode, variant, (firsts, seconds, copies), compared, extras)
        )
    return block


def render_compare(
    db: str,
    mode: str,
    main_variant: str,
    main: Runs,
    compared: dict[str, Runs],
    extras: dict[str, dict[str, Any]],
) -> list[str]:
    lines = [
        "#### Proposed loader changes, measured",
        "",
        "Each variant is `src/govdata/pool/loader.py` patched in the child process by `--variant` "
        "(see `VARIANTS` in bench/pool_load.py); same file, same runs as above, each run on a fresh database.",
        "",
        f"| loader | {mode}, fresh pool: best rows/s (per run) | upsert, unchanged: best rows/s (per run) |"
        + (" ratio to bare COPY (best / best; per run) |" if db == "postgresql" else "")
        + " peak RSS MB |"
        + (f" {next(iter(extras.values()))['read']:,}-row file: rows/s, peak RSS MB |" if extras else ""),
        "| --- | ---: | ---: |"
        + (" ---: |" if db == "postgresql" else "")
        + " ---: |"
        + (" ---: |" if extras else ""),
    ]
    for variant, (firsts, seconds, copies) in [(main_variant, main), *compared.items()]:
        row = (
            f"| `{variant}`: {VARIANTS[variant].description} | **{_best(firsts)['rows_s']:,.0f}** ({_spread(firsts)}) "
            f"| {_best(seconds)['rows_s']:,.0f} ({_spread(seconds)}) |"
        )
        if db == "postgresql":
            ratios = ", ".join(
                f"{f['rows_s'] / c['rows_s']:.0%}" for f, c in zip(firsts, copies, strict=True)
            )
            row += f" {_best(firsts)['rows_s'] / _best(copies)['rows_s']:.0%} ({ratios}) |"
        row += f" {max(_peak(r) for r in firsts + seconds):,.0f} |"
        if extras:
            x = extras[variant]
            row += f" {x['rows_s']:,.0f}, {_peak(x):,.0f} MB |"
        lines.append(row)
    for variant, (firsts, seconds, _copies) in compared.items():
        lines += ["", f"<details><summary>`{variant}`: where the time goes</summary>", ""]
        lines += phase_table(_best(firsts), _best(seconds))[2:]
    return lines


def update_readme(db: str, block: str) -> None:
    readme_block.update_readme(f"pool_load:{db}", block)


# ---------------------------------------------------------------- main


def print_result(label: str, r: dict[str, Any]) -> None:
    print(
        f"  {label:<34} {r['read']:>10,} rows in {r['wall']:7.2f} s = {r['rows_s']:>9,.0f} rows/s, "
        f"peak {_peak(r):6.0f} MB (load avg {r['load_avg']:.2f})"
    )
    if r["kind"] == "load":
        print(
            f"    loaded {r['loaded']:,} updated {r['updated']:,} unchanged {r['unchanged']:,} "
            f"deleted {r['deleted']:,} rejected {r['rejected']:,} warnings {r['warnings']:,} → pool {r['pool_rows']:,}"
        )
        for key in PHASE_ORDER:
            if key in r["phases"]:
                print(f"      {key:<40} {r['phases'][key]:7.2f} s")
        for key, seconds in sorted(r["sql"].items(), key=lambda kv: -kv[1])[:8]:
            print(f"      sql {key:<52} {seconds:7.2f} s")


Runs = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


def measure(args: argparse.Namespace, path: Path, variant: str, profile: str | None) -> Runs:
    """--repeat runs on fresh databases: first load (--mode), upsert of the same file, bare COPY."""
    firsts, seconds, copies = [], [], []
    for run in range(1, args.repeat + 1):
        print(f"[{variant}] run {run}/{args.repeat}: fresh database, jurisdiction and entry")
        url = fresh_database(args.db, args.url)
        entry = build_entry(url)
        base = {"kind": "load", "url": url, "entry": entry, "path": str(path), "variant": variant}
        firsts.append(run_child(base | {"mode": args.mode, "profile": profile if run == 1 else None}))
        print_result(f"{args.mode}, fresh pool", firsts[-1])
        seconds.append(run_child(base | {"mode": "upsert"}))
        print_result("upsert, same file", seconds[-1])
        if args.db == "postgresql":
            copies.append(run_child({"kind": "copy", "url": url, "path": str(path)}))
            print_result("bare COPY", copies[-1])
    return firsts, seconds, copies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mode", choices=["replace", "upsert", "append"], default="replace")
    parser.add_argument(
        "--url", help=f"PostgreSQL server URL (default {DEFAULT_PG_URL}; only used to connect)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs, each on a fresh database (default 2)")
    parser.add_argument("--extra-rows", type=int, default=0, help="also load a file this big once (memory)")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="none")
    parser.add_argument(
        "--compare",
        type=lambda v: [x for x in v.split(",") if x],
        default=[],
        metavar="V1,V2",
        help=f"also measure these variants (of {', '.join(VARIANTS)}) and add a comparison table",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the first load of the first run into FILE"
    )
    parser.add_argument("--keep-file", action="store_true", help="keep (and reuse) the generated CSV files")
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite this database's README block from the results the last run saved (no loading)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child)
        return
    if args.db is None:
        parser.error("--db is required")
    unknown = [v for v in args.compare if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants: {', '.join(unknown)}")

    saved = WORK_DIR / f"pool_load_results_{args.db}.json"
    if args.render_only:
        data = json.loads(saved.read_text())
        extra = (FileStats(**data["extra"][0]), data["extra"][1]) if data["extra"] else None
        block = render_all(
            data["args"],
            data["info"],
            FileStats(**data["stats"]),
            data["main"],
            data["compared"],
            extra,
            data["extras"],
        )
        update_readme(args.db, block)
        print(f"README block rewritten from {saved}")
        return
    started = time.perf_counter()
    path = WORK_DIR / f"pool_load_{args.rows}.csv"
    print(f"generating {args.rows:,} rows → {path}")
    stats = generate_csv(path, args.rows)
    print(f"  {stats.bytes / 1e6:,.0f} MB in {stats.seconds:.1f} s; {stats.bad_rows:,} spoiled rows")
    firsts, seconds, copies = measure(args, path, args.variant, args.profile)
    compared = {variant: measure(args, path, variant, None) for variant in args.compare}
    url = bench_url(args.db, args.url)
    extra = None
    extras: dict[str, dict[str, Any]] = {}
    if args.extra_rows:
        xpath = WORK_DIR / f"pool_load_{args.extra_rows}.csv"
        print(f"generating {args.extra_rows:,} rows → {xpath}")
        xstats = generate_csv(xpath, args.extra_rows)
        for variant in [args.variant, *args.compare]:
            url = fresh_database(args.db, args.url)
            entry = build_entry(url)
            extras[variant] = run_child(
                {"kind": "load", "url": url, "entry": entry, "path": str(xpath), "variant": variant}
                | {"mode": args.mode}
            )
            print_result(f"[{variant}] {args.mode}, {args.extra_rows:,} rows", extras[variant])
        extra = (xstats, extras[args.variant])
        if not args.keep_file:
            xpath.unlink()
            xpath.with_suffix(".json").unlink()
    info = machine(url)
    command = "python bench/pool_load.py " + " ".join(argv if argv is not None else sys.argv[1:])
    run_args = {"db": args.db, "mode": args.mode, "variant": args.variant, "command": command.strip()}
    saved.write_text(
        json.dumps(
            {
                "args": run_args,
                "info": info,
                "stats": asdict(stats),
                "main": [firsts, seconds, copies],
                "compared": compared,
                "extra": [asdict(extra[0]), extra[1]] if extra else None,
                "extras": extras,
            }
        )
    )
    block = render_all(run_args, info, stats, [firsts, seconds, copies], compared, extra, extras)
    if args.no_readme:
        print(block)
    else:
        update_readme(args.db, block)
        print(f"results written to {README}")
    if not args.keep_file:
        path.unlink()
        path.with_suffix(".json").unlink()
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

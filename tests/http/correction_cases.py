"""Permission cases for correction requests, subject access and the reconciliation's government step, plus the
helpers tests/quality uses: 公安's population pool with the world's citizen in it.

`test_permissions` adds CORRECTION_CASES; `test_page_permissions` adds `correction_page_cases()`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from govdata.context import Ctx
from govdata.pool.models import Pool
from govdata.pool.service import load_file
from govdata.quality import corrections
from tests.http.cases import AUTHORITY, Case
from tests.sharing.fixtures import PEOPLE
from tests.world import World

if TYPE_CHECKING:
    from tests.http.test_page_permissions import PageCase

CITIZEN_ID = "11010519491231002X"  # the world's citizen
DEPT = {"gongan_officer"}  # collects the population data
CITIZEN = {"citizen"}
STAFF = AUTHORITY | DEPT


def citizen_pool(ctx: Ctx, world: World) -> tuple[int, int]:
    """公安's published population entry with three people and the citizen loaded: (entry id, citizen's row)."""
    from tests.http.helpers import published

    found = ctx.session.scalars(select(Pool).where(Pool.org_id == world.orgs["gongan"].id)).first()
    if found is None or found.resource_id is None:
        res = published(ctx, world)
        ctx.session.commit()
        lines = ["公民身份号码,姓名,出生日期,户籍地址", *(",".join(p) for p in PEOPLE),
                 f"{CITIZEN_ID},赵六,1949-12-31,四川省阿坝州马尔康市达萨街6号"]  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "people.csv"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            load_file(ctx, world.actor("gongan_officer"), res.id, path)
        ctx.session.commit()
        found = ctx.session.scalars(select(Pool).where(Pool.resource_id == res.id)).one()
    row = ctx.session.execute(
        text(f"SELECT _row_id FROM {found.table_name} WHERE _subject_id = :s"), {"s": CITIZEN_ID}
    ).scalar_one()
    assert found.resource_id is not None
    return found.resource_id, int(row)


def correction_body(ctx: Ctx, world: World, **overrides: Any) -> dict[str, Any]:
    rid, row = citizen_pool(ctx, world)
    body: dict[str, Any] = {"resource_id": rid, "row_id": row, "kind": "correct", "field_name": "address",
                            "proposed_value": "四川省阿坝州马尔康市达萨街8号", "problem": "门牌号有误",
                            "proof_shown": True}  # fmt: skip
    body.update(overrides)
    return body


def filed(ctx: Ctx, world: World, *, authority: bool = False) -> int:
    """A pending request of the citizen, made as the use case makes it but without the duplicate rule, so a
    walk can file one per role."""
    from govdata.quality.models import CorrectionKind, CorrectionRequest, FiledWith

    rid, row = citizen_pool(ctx, world)
    pool = ctx.session.scalars(select(Pool).where(Pool.resource_id == rid)).one()
    today = ctx.clock.today()
    req = CorrectionRequest(
        requester_id=world.users["citizen"].id, subject_id=CITIZEN_ID, resource_id=rid, pool_id=pool.id,
        row_id=row, org_id=pool.org_id, region_path=pool.resource.region_path if pool.resource else "",
        kind=CorrectionKind.CORRECT, field_name="address", item_label="户籍地址",
        current_value="四川省阿坝州马尔康市达萨街6号", proposed_value="四川省阿坝州马尔康市达萨街8号",
        problem="门牌号有误", proof_shown=True,
        filed_with=FiledWith.AUTHORITY if authority else FiledWith.DEPARTMENT,
        state=corrections.S.AT_AUTHORITY if authority else corrections.S.PENDING, created_at=ctx.clock.now(),
        forward_due=ctx.calendar.add_workdays(today, 2) if authority else None,
        received_on=None if authority else today,
        due_date=None if authority else ctx.calendar.add_workdays(today, 5),
    )  # fmt: skip
    ctx.session.add(req)
    ctx.session.commit()
    return req.id


def _filed(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": filed(ctx, world)}


def _at_authority(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": filed(ctx, world, authority=True), "body": {"org_id": world.orgs["gongan"].id}}


def _pool_ready(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    citizen_pool(ctx, world)
    return {}


def _new_request(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    """A fresh item per role: the citizen files about its name with a value that differs each time."""
    from govdata.quality.models import CorrectionRequest

    for req in ctx.session.scalars(
        select(CorrectionRequest).where(CorrectionRequest.state == corrections.S.PENDING)
    ):
        req.state = corrections.S.NOT_CORRECTED  # clear the way: duplicates are refused by design
    ctx.session.commit()
    return {"body": correction_body(ctx, world, field_name="name", proposed_value=f"赵六{who}")}


def _escalated(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    from govdata.authz import system_actor
    from govdata.quality import service
    from govdata.quality.schemas import EscalateCaseIn, GovernmentReferIn
    from tests.http import helpers as h

    case_id = h.open_case(ctx, world)
    service.escalate_case(ctx, system_actor(), case_id, EscalateCaseIn(reason="双方各执一词"))
    ctx.session.commit()
    return {"id": case_id, "_refer": lambda: service.refer_to_government(
        ctx, system_actor(), case_id, GovernmentReferIn(reason="主管机构无法裁定"))}  # fmt: skip


def _referred(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    params = _escalated(ctx, world, who)
    params.pop("_refer")()
    ctx.session.commit()
    return params


def _escalated_only(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    params = _escalated(ctx, world, who)
    params.pop("_refer")
    return params


DECISION = {"decided_by": "阿坝州人民政府", "decided_on": "2026-11-20", "decision": "以公安户籍登记为准",
            "correct_value": "张三"}  # fmt: skip
ANSWER = {"result": "not_corrected", "answer": "经核对户籍档案，原值无误"}
EXTEND = {"days": 3, "reason": "需调取档案", "approved_by": "张局长"}
MINZ = {"minzheng_officer"}  # answers corrections, but not this department's

CORRECTION_CASES: list[Case] = [
    Case("GET", "/api/v1/corrections", ok=CITIZEN | STAFF | MINZ),
    Case("POST", "/api/v1/corrections", ok=CITIZEN, setup=_new_request),
    Case("GET", "/api/v1/corrections/{id}", ok=CITIZEN | STAFF, hidden=MINZ, setup=_filed),
    Case("POST", "/api/v1/corrections/{id}/forward", ok=AUTHORITY, setup=_at_authority),
    Case("POST", "/api/v1/corrections/{id}/extend", ok=DEPT, hidden=MINZ, setup=_filed, body=EXTEND),
    Case("POST", "/api/v1/corrections/{id}/answer", ok=DEPT, hidden=MINZ, setup=_filed, body=ANSWER),
    Case("GET", "/api/v1/me/records", ok=CITIZEN, setup=_pool_ready),
    Case("GET", "/api/v1/me/base-records", ok=CITIZEN),
    Case("GET", "/api/v1/me/accesses", ok=CITIZEN),
    Case("POST", "/api/v1/reconciliations/{id}/refer", ok=AUTHORITY, setup=_escalated_only,
         body={"reason": "主管机构无法裁定"}),
    Case("POST", "/api/v1/reconciliations/{id}/government-decision", ok=AUTHORITY, setup=_referred,
         body=DECISION),
]  # fmt: skip


def correction_page_cases() -> list[PageCase]:
    from tests.http.test_page_permissions import PageCase

    def _row(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
        rid, row = citizen_pool(ctx, world)
        return {"id": f"resource_id={rid}&row_id={row}"}

    return [
        PageCase("GET", "/corrections", STAFF | MINZ),
        PageCase("GET", "/corrections/{id}", CITIZEN | STAFF, hidden=MINZ, setup=_filed),
        PageCase("POST", "/corrections/{id}/forward", AUTHORITY, setup=_at_authority),
        PageCase("POST", "/corrections/{id}/extend", DEPT, hidden=MINZ, setup=_filed, form=EXTEND),
        PageCase("POST", "/corrections/{id}/answer", DEPT, hidden=MINZ, setup=_filed, form=ANSWER),
        PageCase("GET", "/me/data", CITIZEN, setup=_pool_ready),
        PageCase("GET", "/me/data.json", CITIZEN),
        PageCase("GET", "/me/data.csv", CITIZEN),
        PageCase("GET", "/me/data/request?{id}", CITIZEN, setup=_row),
        PageCase("POST", "/me/corrections", CITIZEN, setup=_new_request),
        PageCase("POST", "/reconciliations/{id}/refer", AUTHORITY, setup=_escalated_only,
                 form={"reason": "主管机构无法裁定"}),
        PageCase("POST", "/reconciliations/{id}/government-decision", AUTHORITY, setup=_referred, form=DECISION),
    ]  # fmt: skip

"""The demo's data subject (杨雪梅, `public_person`): records in two pools, lookups of her by 民政厅's exchange
application (so `/me/data` shows who accessed her data, when and why), and two correction requests — one
answered (corrected, so the change shows in the pool's batch history) and one pending (the 核实中 mark)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from sqlalchemy import select

from govdata.authz import Actor
from govdata.catalog.models import IdentifierKind, Resource
from govdata.context import Ctx
from govdata.org.models import User
from govdata.org.service import actor_for
from govdata.pool import amend
from govdata.pool.models import Batch, BatchStatus, Pool
from govdata.pool.service import load_file
from govdata.pool.tables import SUBJECT, pool_table
from govdata.quality import corrections
from govdata.quality.schemas import CorrectionAnswerIn, CorrectionIn
from govdata.sharing import exchange
from govdata.sharing.calllog import InlineLog

PERSON_ID = "513221199007150324"  # content.USERS' public person
PERSON = {
    "name": "杨雪梅",
    "xm": "杨雪梅",
    "sex": "女",
    "xb": "女",
    "birth_date": "1990-07-15",
    "csrq": "1990-07-15",
}
# Her records: 户籍 and 人口基础信息 (which gives her a golden record in the population base database).
ENTRIES = ("gongan_huji", "pop_basic")  # not the marriage pools: they are keyed on the husband


SOURCE_PREFIX = "补录（本人数据演示）："  # the batches this module loads


def made(batch: Batch) -> bool:
    """A batch this module made (her rows, or an answered correction), not one of demo.pools' own loads."""
    return batch.source_format == "correction" or batch.source.startswith(SOURCE_PREFIX)


def _her_row(ctx: Ctx, actor: Actor, resource: Resource) -> bool:
    """One row for her through the ordinary load path: another resident's row with her identity on it."""
    pool = ctx.session.execute(select(Pool).where(Pool.resource_id == resource.id)).scalar_one_or_none()
    if pool is None or pool.subject_field is None:
        return False
    column = next((c for c in pool.columns if c.field_name == pool.subject_field), None)
    if column is None or column.identifier_kind != IdentifierKind.PERSON.value:
        return False
    table = pool_table(pool, include_retired=False)
    if ctx.session.execute(select(table.c[SUBJECT]).where(table.c[SUBJECT] == PERSON_ID)).first():
        return True
    model = (
        ctx.session.execute(select(table).where(table.c[SUBJECT].is_not(None)).limit(1)).mappings().first()
    )
    if model is None:
        return False
    fields = [c.field_name for c in pool.columns if not c.retired]
    values = {f: amend.as_text(model[f]) for f in fields}
    values[pool.subject_field] = PERSON_ID
    values.update({k: v for k, v in PERSON.items() if k in values})
    ctx.session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "yang.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(fields)
            writer.writerow(["" if values[f] is None else values[f] for f in fields])
        batch = load_file(ctx, actor, resource.id, path, source_name=f"{SOURCE_PREFIX}{resource.code}")
    ctx.session.commit()
    return batch.status == BatchStatus.SUCCEEDED and batch.rows_loaded + batch.rows_updated > 0


def _looked_up(ctx: Ctx, resource: Resource, consumer: Actor, provider: Actor) -> None:
    """民政厅 asks for 户籍 data, 公安厅 approves, and 民政厅's system looks her up: a real trail in the log."""
    from govdata.sharing import apps
    from govdata.sharing import service as sharing
    from govdata.sharing.models import RequestState
    from govdata.sharing.schemas import AppIn, ApproveIn, ShareRequestIn

    pool = ctx.session.execute(select(Pool).where(Pool.resource_id == resource.id)).scalar_one()
    items = [c.field_name for c in pool.columns if not c.retired][:4]
    purpose = "困难群众救助对象户籍核查"
    body = ShareRequestIn.model_validate(
        {"resource_id": resource.id, "items": items, "row_filter": [], "purpose": purpose,
         "duty": "《社会救助暂行办法》第十一条：最低生活保障审核确认", "duration_days": 365, "channel": "api"}
    )  # fmt: skip
    request = sharing.submit_request(ctx, consumer, body)
    if request.state == RequestState.PENDING:
        request = sharing.approve(ctx, provider, request.id, ApproveIn())
    if request.state == RequestState.AWAITING_ACCESS:  # SC25: the authority opens access
        from govdata.org.models import Role

        admins = ctx.session.scalars(
            select(User).where(User.role == Role.AUTHORITY_ADMIN).order_by(User.id)
        ).all()
        opener = next(
            (
                actor_for(u)
                for u in admins
                if resource.region_path.startswith(actor_for(u).region_path or "-")
            ),
            None,
        )
        if opener is None:
            return
        sharing.open_access(ctx, opener, request.id)
    _app, credential = apps.create_app(ctx, consumer, AppIn(name="困难群众救助系统", rate_per_minute=600))
    runtime = exchange.Runtime(log=InlineLog())
    caller = exchange.identify(ctx, runtime, credential, resource.id)
    access = exchange.authorise(ctx, runtime, caller, purpose, exchange.Operation.LOOKUP)
    exchange.lookup(ctx, runtime.log, access, [PERSON_ID])


def load_demo_quality(
    ctx: Ctx, created: dict[str, Resource], officers: dict[int, Actor], credential: str | None
) -> None:
    user = ctx.session.scalars(select(User).where(User.subject_id == PERSON_ID)).first()
    if user is None:
        return
    citizen = actor_for(user)
    held = [
        created[k] for k in ENTRIES if k in created and _her_row(ctx, officers[created[k].org_id], created[k])
    ]
    if not held:
        return
    from govdata.sharing.models import ShareGrant

    pop = created.get("pop_basic")
    consumer_org = (
        ctx.session.scalars(
            select(ShareGrant.consumer_org_id).where(ShareGrant.resource_id == pop.id)
        ).first()
        if pop is not None
        else None
    )  # 民政厅, which the sharing demo already granted 人口基础信息
    if consumer_org in officers:
        _looked_up(ctx, held[0], officers[consumer_org], officers[held[0].org_id])
        ctx.session.commit()
    for n, resource in enumerate(held[:2]):
        pool = ctx.session.execute(select(Pool).where(Pool.resource_id == resource.id)).scalar_one()
        table = pool_table(pool, include_retired=False)
        row = ctx.session.execute(select(table).where(table.c[SUBJECT] == PERSON_ID)).mappings().first()
        if row is None:
            continue
        strings = [c for c in pool.columns if not c.retired and c.field_name != pool.subject_field
                   and c.data_type == "string" and row[c.field_name]]  # fmt: skip
        field = next((c for c in strings if "地址" in c.label), strings[-1] if strings else None)
        if field is None:
            continue
        current = amend.as_text(row[field.field_name]) or ""
        proposed = current[:-2] + "8号" if len(current) > 4 else "四川省阿坝州汶川县威州镇岷江路8号"
        req = corrections.file(ctx, citizen, CorrectionIn(
            resource_id=resource.id, row_id=int(row["_row_id"]), field_name=field.field_name,
            proposed_value=proposed, problem="门牌号登记有误", reason="2025年门牌整编后已变更",
            proof_shown=True, filed_with="department" if n == 0 else "authority",
        ))  # fmt: skip
        if n == 0:
            corrections.answer(ctx, officers[pool.org_id], req.id, CorrectionAnswerIn(
                result="corrected", value=proposed, answer="经核对门牌整编公告，已按申请更正"))  # fmt: skip
    ctx.session.commit()

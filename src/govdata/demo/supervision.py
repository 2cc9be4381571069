"""The demo's supervision records: a department's form items (one obtainable by sharing), detection run over
everything the demo holds, one rectification notice waiting for the department's answer and one spot check of
the province's departments with a conforming and a problem finding (seed 20261120: anyone can redraw it).
"""

from __future__ import annotations

from sqlalchemy import select

from govdata.context import Ctx
from govdata.errors import DomainError
from govdata.org.models import Role, SubjectKind, User
from govdata.org.service import actor_for
from govdata.supervision import detect, notices, service, spotchecks
from govdata.supervision.models import FormItem, SpotCheck, ViolationState

SEED = 20261120


def load_demo_supervision(ctx: Ctx) -> None:
    admin = actor_for(ctx.session.execute(select(User).where(User.username == "prov_admin")).scalar_one())
    officers = [
        actor_for(u)
        for u in ctx.session.scalars(select(User).where(User.role == Role.DEPT_OFFICER).order_by(User.id))
        if u.org_id is not None
    ]
    offers = detect.shared_offers(ctx)
    shared_name = next(((key, orgs) for (key, kind), orgs in sorted(offers.items())
                        if key == "姓名" and kind == SubjectKind.PERSON.value), None)  # fmt: skip
    if ctx.session.scalar(select(FormItem.id)) is None and officers:
        owners = {o[1] for o in shared_name[1]} if shared_name else set()
        officer = next((o for o in officers if o.org_id not in owners), officers[0])
        for item in ("姓名", "家庭月收入", "联系电话"):
            service.add_form_item(
                ctx, officer, service.FormItemIn(form_name="办事申请表（纸质）", item_name=item)
            )
    service.run_detection(ctx, admin)
    open_rows = [
        v
        for v in service.list_violations(ctx, admin, state=ViolationState.OPEN)
        if v.region_path.startswith(admin.region_path or "")
    ]
    if open_rows and not notices.list_notices(ctx, admin):
        org_id = open_rows[0].org_id
        ids = [v.id for v in open_rows if v.org_id == org_id][:3]
        notices.issue(
            ctx,
            admin,
            notices.NoticeIn(
                violation_ids=ids, requirements="请逐项核实并整改，书面报告整改情况及防止再次发生的措施。"
            ),
        )
    if ctx.session.scalar(select(SpotCheck.id)) is None:
        try:
            check = spotchecks.create(
                ctx,
                admin,
                spotchecks.SpotCheckIn(
                    title="2026年第四季度省级部门随机抽查",
                    population=spotchecks.Population.DEPARTMENTS,
                    size=3,
                    seed=SEED,
                ),
            )
        except DomainError:
            return
        found = spotchecks.findings(ctx, check.id)
        spotchecks.record_finding(ctx, admin, found[0].id, spotchecks.FindingIn(result="conforming"))
        if len(found) > 1:
            spotchecks.record_finding(
                ctx,
                admin,
                found[1].id,
                spotchecks.FindingIn(
                    result="problem", description="部分目录条目的更新周期与实际归集频率不符"
                ),
            )
    ctx.session.flush()

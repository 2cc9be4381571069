"""The demo shows something true on every supervision page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata.context import Ctx
from govdata.demo.loader import load_demo
from govdata.supervision.models import NoticeState, RectificationNotice, SpotCheck, SpotFinding, Violation


def test_demo_has_violations_a_pending_notice_and_a_spot_check(ctx: Ctx, client: TestClient) -> None:
    load_demo(ctx)
    ctx.session.commit()
    kinds = set(ctx.session.scalars(select(Violation.kind)))
    assert len(kinds) >= 2, kinds
    notice = ctx.session.scalars(select(RectificationNotice)).one()
    assert notice.state == NoticeState.ISSUED
    results = [f.result for f in ctx.session.scalars(select(SpotFinding).order_by(SpotFinding.position))]
    assert results[:2] == ["conforming", "problem"]
    check = ctx.session.scalars(select(SpotCheck)).one()
    violation = ctx.session.scalars(select(Violation)).first()
    assert violation is not None

    login = client.post(
        "/login", data={"username": "prov_admin", "password": "Demo2026!admin"}, follow_redirects=False
    )
    assert login.status_code == 303
    pages = {
        "/supervision": "违规事项",
        f"/supervision/violations/{violation.id}": "证据",
        "/supervision/notices": "待部门整改答复",
        f"/supervision/notices/{notice.id}": notice.deadline.isoformat(),
        f"/supervision/spotchecks/{check.id}": "20261120",
        "/supervision/forms": "办事申请表",
        f"/supervision/evidence?org={notice.org_id}&from=2026-01-01&to=2026-11-20": "审计日志",
        "/supervision/jobs": "violation_detection",
    }
    for path, text in pages.items():
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.text[:300])
        assert text in resp.text, path

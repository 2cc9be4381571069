"""AB26's last step: what the providers and then the authority cannot settle, the government decides; the
authority records who decided, when and what — from the case page and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition
from govdata.quality import service
from govdata.quality.models import CaseState
from govdata.quality.schemas import EscalateCaseIn, GovernmentDecisionIn, GovernmentReferIn, ResolveCaseIn
from tests.http import helpers as h
from tests.http.test_catalog_pages import csrf, login
from tests.world import World

DECISION = GovernmentDecisionIn(decided_by="阿坝州人民政府", decided_on=dt.date(2026, 11, 20),
                                decision="以公安户籍登记为准", correct_value="张三")  # fmt: skip


def test_authority_refers_to_the_government_and_records_its_decision(ctx: Ctx, world: World) -> None:
    case_id = h.open_case(ctx, world)
    reviewer = world.actor("reviewer")
    with pytest.raises(InvalidTransition, match="须先提请"):
        service.refer_to_government(ctx, reviewer, case_id, GovernmentReferIn(reason="无法裁定"))
    service.escalate_case(ctx, world.actor("gongan_officer"), case_id, EscalateCaseIn(reason="双方各执一词"))
    with pytest.raises(Forbidden):
        service.refer_to_government(
            ctx, world.actor("gongan_officer"), case_id, GovernmentReferIn(reason="无法裁定")
        )
    case = service.refer_to_government(
        ctx, reviewer, case_id, GovernmentReferIn(reason="两部门依据均有效，无法裁定")
    )
    assert case.state == CaseState.GOVERNMENT and case.referred_at is not None
    with pytest.raises(InvalidTransition, match="政府的决定"):
        service.resolve_case(
            ctx, reviewer, case_id, ResolveCaseIn(correct_value="张三", resolution="以户籍为准")
        )
    with pytest.raises(InvalidInput, match="晚于今天"):
        service.record_government_decision(
            ctx, reviewer, case_id, DECISION.model_copy(update={"decided_on": dt.date(2026, 11, 21)})
        )
    with pytest.raises(ValidationError):
        GovernmentDecisionIn.model_validate({"decided_by": "", "decided_on": "2026-11-20", "decision": "x"})
    done = service.record_government_decision(ctx, reviewer, case_id, DECISION)
    assert done.state == CaseState.RESOLVED and done.government_decided_by == "阿坝州人民政府"
    assert done.correct_value == "张三" and "阿坝州人民政府" in (done.resolution or "")
    with pytest.raises(InvalidTransition):
        service.record_government_decision(ctx, reviewer, case_id, DECISION)


def test_case_page_buttons(client: TestClient, ctx: Ctx, world: World) -> None:
    case_id = h.open_case(ctx, world)
    service.escalate_case(ctx, world.actor("gongan_officer"), case_id, EscalateCaseIn(reason="双方各执一词"))
    ctx.session.commit()
    login(client, "reviewer")
    page = client.get(f"/reconciliations/{case_id}")
    assert "报请政府决定" in page.text
    token = csrf(client, f"/reconciliations/{case_id}")
    resp = client.post(f"/reconciliations/{case_id}/refer", data={"csrf_token": token, "reason": "无法裁定"})
    assert resp.status_code == 200 and "登记政府的决定" in resp.text
    resp = client.post(f"/reconciliations/{case_id}/government-decision",
                       data={"csrf_token": token, "decided_by": "阿坝州人民政府", "decided_on": "not-a-date",
                             "decision": "以户籍为准"})  # fmt: skip
    assert resp.status_code == 422
    resp = client.post(f"/reconciliations/{case_id}/government-decision",
                       data={"csrf_token": token, "decided_by": "阿坝州人民政府", "decided_on": "2026-11-20",
                             "decision": "以户籍为准", "correct_value": "张三"})  # fmt: skip
    assert resp.status_code == 200 and re.search("已登记政府的决定", resp.text)
    assert "以户籍为准" in resp.text and "已核实" in resp.text

"""What the feedback pages share (`web_feedback`, `web_feedback_manage`): reading and validating forms with
Chinese messages, redirects with a message, the portal page frame, time limits in words, and a case's history
as the audit log recorded it. No routes here."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata.audit.queries import list_events
from govdata.authz import system_actor
from govdata.context import Ctx
from govdata.opendata.workflow import OPEN_TYPE_LABELS
from govdata.profiles.schema import Limit
from govdata.web_support import FORM_ERRORS as FORM_ERRORS  # re-exported for the domain's pages
from govdata.web_support import Posted as Posted  # re-exported for the domain's pages
from govdata.web_support import check_csrf, form_text, parse_form, redirect_with, render

text = form_text  # the name the domain's pages use

Csrf = Depends(check_csrf)
LABELS = {
    "reason": "理由",
    "note": "说明",
    "decision": "决定",
    "content": "更正内容",
    "days": "延长的工作日数",
    "approved_by": "批准延期的负责人",
    "corrected": "是否已更正",
    "answer": "答复",
    "body": "评论内容",
    "rating": "评分",
    "reply": "回复",
    "title": "需要开放的数据",
    "description": "需求说明",
    "org_id": "部门",
    "listing_id": "数据集",
    "listing_ids": "数据集",
    "purpose": "开发利用目的",
    "capability": "技术能力",
    "security": "安全保障措施",
    "agree": "是否同意",
    "assessment": "评估意见",
    "scope": "授权范围",
    "degree": "开发程度",
    "valid_until": "协议期限",
    "disposal": "数据处置方式",
    "derived_ownership": "衍生数据权属",
    "revenue_share": "收益分配",
    "disposal_record": "数据处置记录",
    "early_reason": "提前终止理由",
}
EVENT_LABELS = {
    "open.withdrawal.submit": "提交撤回申请",
    "open.withdrawal.suspend": "核实后暂停开放",
    "open.withdrawal.decide": "作出处理决定",
    "open.withdrawal.appeal": "申请复核",
    "open.withdrawal.review": "作出复核决定",
    "open.correction.submit": "提交更正申请",
    "open.correction.extend": "延长答复期限",
    "open.correction.answer": "答复",
    "open.correction.overdue": "逾期未答复（记为疑似违规）",
    "open.dev.apply": "提交申请",
    "open.dev.consent": "提供部门意见",
    "open.dev.grant": "评估通过，授权",
    "open.dev.refuse": "不予授权",
    "open.dev.sign": "在线签署授权开发协议",
    "open.dev.end": "终止并记录数据处置",
}


def values(form: FormData, *keys: str) -> dict[str, str]:
    return {k: text(form, k) for k in keys}


def parse(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return parse_form(model, data, LABELS)


go = redirect_with


def page(request: Request, ctx: Ctx, name: str, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        name,
        status_code=status_code,
        portal_name=ctx.profile.bodies.open_portal,
        authority=ctx.profile.bodies.authority,
        open_types=OPEN_TYPE_LABELS,
        **context,
    )


def limit_words(ctx: Ctx, which: Limit) -> dict[str, Any]:
    limit = ctx.profile.limit(which)
    return {
        "days": limit.days,
        "extension_days": limit.extension_days,
        "extension_requires": limit.extension_requires,
        "due": ctx.calendar.add_workdays(ctx.clock.today(), limit.days),
        "basis": "本地办法未规定，平台默认" if limit.basis == "default" else limit.basis,
    }


def history(ctx: Ctx, object_type: str, object_id: int) -> list[dict[str, Any]]:
    """The moves of a case as the audit log recorded them, oldest first."""
    found = list_events(ctx, system_actor("case-history"), object_type=object_type, object_id=str(object_id))
    rows = []
    for e in reversed(found.items):
        detail = json.loads(e.detail or "{}")
        note = (
            detail.get("note") or detail.get("reason") or detail.get("assessment") or detail.get("disposal")
        )
        rows.append(
            {"at": e.at, "actor": e.actor_name, "label": EVENT_LABELS.get(e.action, e.action), "note": note}
        )
    return rows


def agree(raw: str) -> bool | str:
    return {"true": True, "false": False}.get(raw.lower(), raw)

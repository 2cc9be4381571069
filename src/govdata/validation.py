"""Pydantic's validation errors, said in Chinese with the field's own label."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_FIELD_LABELS = {
    "body": "请求内容",
    "query": "查询参数",
    "path": "路径参数",
    "items": "信息项",
    "name": "名称",
    "field_name": "字段名",
    "data_type": "数据类型",
    "length": "长度",
    "identifier_kind": "主体标识类型",
    "sensitivity": "敏感级别",
    "classification": "资源分类",
    "base_database": "所属基础数据库",
    "domain": "领域",
    "summary": "资源摘要",
    "format_category": "资源格式分类",
    "format_type": "资源格式类型",
    "update_cycle": "更新周期",
    "share_type": "共享类型",
    "share_conditions": "共享条件",
    "share_basis": "共享依据",
    "share_mode": "共享方式",
    "share_channels": "提供渠道",
    "open_type": "开放类型",
    "open_conditions": "开放条件",
    "open_basis": "开放依据",
    "grade": "数据分级",
    "release_date": "发布日期",
    "related_codes": "关联资源代码",
    "change_reason": "变更原因",
    "decision": "审核结论",
    "comment": "意见",
    "description": "说明",
    "occurred_on": "发生日期",
    "kind": "类型",
    "title": "标题",
    "wanted_items": "所需信息项",
    "purpose": "用途",
    "answer": "答复意见",
    "reason": "理由",
    "page": "页码",
    "size": "每页条数",
    "q": "检索词",
    # pools, themes, emergency collections
    "end_date": "结束日期",
    "legal_basis": "法律依据",
    "schedule": "刷新计划",
    "fields": "字段",
    "label": "显示名称",
    "assessment": "评估意见",
    "mode": "加载方式",
    "on_reject": "问题行处理方式",
    # sharing exchange
    "resource_id": "目录条目",
    "row_filter": "数据范围",
    "field": "信息项",
    "op": "条件类型",
    "values": "取值",
    "duty": "所履行的职责",
    "duration_days": "使用期限（天）",
    "channel": "共享方式",
    "basis": "法律法规或政策依据",
    "note": "说明",
    "masking": "脱敏规则",
    "consumer_org_id": "回流到的单位",
    "region_field": "行政区划代码信息项",
    "rate_per_minute": "每分钟调用上限",
    "claimed_share_type": "主张的共享属性",
    "argument": "理由",
    "action": "办理方式",
    "subjects": "主体标识",
    "subject": "主体标识",
    "claims": "待核验的信息项",
    "filters": "查询条件",
    "limit": "条数",
    "after": "翻页游标",
    "cursor": "游标",
    "format": "格式",
    "start": "开始日期",
    "end": "结束日期",
}


def _where(loc: Sequence[Any]) -> str:
    parts: list[str] = []
    for part in loc:
        if part in ("body", "query", "path") and len(loc) > 1:
            continue
        if isinstance(part, int):
            parts.append(f"第 {part + 1} 项")
        else:
            parts.append(_FIELD_LABELS.get(str(part), str(part)))
    return " › ".join(parts) or "请求内容"


def _reason(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "必须填写"
    if kind == "extra_forbidden":
        return "不是可接受的字段"
    if kind in ("string_too_long", "too_long"):
        return f"过长（最多 {ctx.get('max_length')} {'字' if kind == 'string_too_long' else '项'}）"
    if kind in ("string_too_short", "too_short"):
        return f"过短（至少 {ctx.get('min_length')} {'字' if kind == 'string_too_short' else '项'}）"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "应为整数"
    if kind in ("bool_parsing", "bool_type"):
        return "应为是或否（true/false）"
    if kind in ("string_type",):
        return "应为文本"
    if kind in ("list_type",):
        return "应为列表"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "应为日期（YYYY-MM-DD）"
    if kind == "enum":
        return f"取值无效，可选：{ctx.get('expected')}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), "")
        word = {"greater_than_equal": "不小于", "less_than_equal": "不大于", "greater_than": "大于"}.get(
            kind, "小于"
        )
        return f"应{word} {bound}"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind in ("json_invalid", "model_attributes_type", "dict_type", "model_type"):
        return "JSON 格式不正确或类型不符"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "")))
    return str(error.get("msg", "无效"))


def validation_message(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    details = [{"field": _where(e.get("loc", ())), "reason": _reason(e)} for e in errors]
    shown = "；".join(f"{d['field']}：{d['reason']}" for d in details[:5])
    more = f"（另有 {len(details) - 5} 处）" if len(details) > 5 else ""
    return f"提交的内容有误：{shown}{more}", details

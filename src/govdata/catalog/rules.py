"""The catalog's content rules (SHARE-2, OPEN-1, SEC-2), each with a message that says how to fix it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.catalog.models import Classification, IdentifierKind, OpenType, Resource, ShareType
from govdata.catalog.schemas import FORMAT_CATEGORIES, EntryIn
from govdata.errors import InvalidInput


def entry_problems(session: Session, data: EntryIn, *, own_code: str | None = None) -> list[str]:
    problems: list[str] = []
    if data.format_category not in FORMAT_CATEGORIES:
        problems.append(f"资源格式分类应为以下之一：{'、'.join(FORMAT_CATEGORIES)}")
    # SHARE-2: restrictions need a legal or policy basis, conditions must be stated.
    if data.share_type != ShareType.UNCONDITIONAL and not data.share_basis:
        problems.append("有条件共享或不予共享的资源必须填写法律法规或政策依据；没有依据的应列为无条件共享")
    if data.share_type == ShareType.CONDITIONAL and not data.share_conditions:
        problems.append("有条件共享的资源须写明共享条件")
    # OPEN-1
    if data.open_type != OpenType.UNCONDITIONAL and not data.open_basis:
        problems.append("有条件开放或不予开放的资源必须填写法律法规或政策依据")
    if data.open_type == OpenType.CONDITIONAL and not data.open_conditions:
        problems.append("有条件开放的资源须写明开放条件")
    # Base databases and their basic items (SHARE-2, WZ23).
    basic = [item.name for item in data.items if item.is_basic]
    if data.classification == Classification.BASE:
        if data.base_database is None:
            problems.append(
                "基础信息资源须注明所属基础数据库（人口、法人、自然资源和空间地理、社会信用、电子证照）"
            )
        if basic and data.share_type != ShareType.UNCONDITIONAL:
            problems.append(
                f"基础数据库的基础信息项（{'、'.join(basic[:5])}）应无条件共享，请将共享类型设为无条件共享，"
                "或将受限信息项另列为有条件共享的资源"
            )
    else:
        if data.base_database is not None:
            problems.append("只有基础信息资源才能注明所属基础数据库")
        if basic:
            problems.append("只有基础信息资源的信息项才能标记为“基础信息项”")
    # Personal identifiers never open unconditionally unless de-identified (OPEN-1, AB30, WZ29).
    personal = [item.name for item in data.items if item.identifier_kind == IdentifierKind.PERSON]
    if personal and data.open_type == OpenType.UNCONDITIONAL and not data.deidentified:
        problems.append(
            f"含有个人身份标识信息项（{'、'.join(personal[:5])}）的资源不能无条件开放，除非已脱敏处理（勾选“已脱敏”）"
        )
    # SEC-2: grading drives eligibility.
    top = max(item.sensitivity for item in data.items)
    if data.grade < top:
        problems.append(f"资源的数据分级（{data.grade} 级）不得低于其信息项的最高敏感级别（{top} 级）")
    if data.grade >= 4 and data.open_type != OpenType.NONE:
        problems.append("4 级（核心）数据不得开放，开放类型应为不予开放")
    if data.grade >= 3 and data.open_type == OpenType.UNCONDITIONAL and not data.deidentified:
        problems.append("3 级（敏感）数据须脱敏后才能无条件开放")
    # Items
    seen_names: set[str] = set()
    seen_fields: set[str] = set()
    for item in data.items:
        if item.name in seen_names:
            problems.append(f"信息项名称重复：{item.name}")
        if item.field_name in seen_fields:
            problems.append(f"信息项字段名重复：{item.field_name}")
        seen_names.add(item.name)
        seen_fields.add(item.field_name)
        if item.data_type == "string" and item.length is None:
            problems.append(f"字符型信息项“{item.name}”须填写长度")
    # Related resources must exist.
    codes = [c.strip() for c in data.related_codes if c.strip()]
    if own_code and own_code in codes:
        problems.append("关联资源不能是本资源自己")
    if codes:
        known = set(session.execute(select(Resource.code).where(Resource.code.in_(codes))).scalars())
        missing = [c for c in codes if c not in known]
        if missing:
            problems.append(f"关联资源代码不存在：{'、'.join(missing)}")
    return problems


def check_entry(session: Session, data: EntryIn, *, own_code: str | None = None) -> None:
    problems = entry_problems(session, data, own_code=own_code)
    if problems:
        raise InvalidInput("；".join(problems), details={"problems": problems})

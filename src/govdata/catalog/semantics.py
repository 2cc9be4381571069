"""When two departments' items mean the same thing: the key that cross-source checks and 一数一源 compare.

Exact names and machine field names match; beyond that a small synonym table (data, extend as needed) maps the
wordings departments commonly use for one concept onto one key. Identifier items are the join, not a compared
value, so they have no key.
"""

from __future__ import annotations

import re

from govdata.catalog.models import IdentifierKind

# concept key → wordings seen in catalogs for it
SYNONYMS: dict[str, tuple[str, ...]] = {
    "姓名": ("姓名", "名字", "人员姓名", "户主姓名"),
    "性别": ("性别",),
    "出生日期": ("出生日期", "出生年月日", "生日"),
    "民族": ("民族",),
    "婚姻状况": ("婚姻状况", "婚姻状态"),
    "联系电话": ("联系电话", "手机号码", "电话号码", "联系方式"),
    "户籍地址": ("户籍地址", "户籍地", "户籍所在地"),
    "现住址": ("现住址", "居住地址", "现居住地址", "住址"),
    "文化程度": ("文化程度", "学历"),
    "企业名称": ("企业名称", "单位名称", "市场主体名称", "纳税人名称"),
    "法定代表人": ("法定代表人", "法定代表人姓名", "法人代表", "负责人"),
    "注册资本": ("注册资本", "注册资本（万元）"),
    "成立日期": ("成立日期", "设立日期", "注册日期"),
    "住所": ("住所", "注册地址", "经营场所"),
    "登记状态": ("登记状态", "经营状态", "企业状态"),
}
_BY_WORDING = {wording: key for key, wordings in SYNONYMS.items() for wording in wordings}
_SPACE = re.compile(r"\s+")


def item_key(name: str, identifier_kind: IdentifierKind | str = IdentifierKind.NONE) -> str | None:
    """The concept an item holds, or None for subject identifiers (they are what rows are matched on)."""
    if IdentifierKind(identifier_kind) != IdentifierKind.NONE:
        return None
    clean = _SPACE.sub("", name)
    return _BY_WORDING.get(clean, clean)


def subject_attribute(name: str, identifier_kind: IdentifierKind | str = IdentifierKind.NONE) -> str | None:
    """The attribute of the subject itself (a person's name, a company's legal representative) an item holds.

    Only these are compared across departments and given a single source: an item like 登记日期 or 参保状态
    describes a department's own business event and legitimately differs from another department's.
    """
    key = item_key(name, identifier_kind)
    return key if key in SYNONYMS else None

"""Chinese labels for every enum shown to users, gathered for templates and the CLI."""

from __future__ import annotations

from govdata.catalog.changes import TRIGGER_LABELS, TRIGGER_STATE_LABELS
from govdata.catalog.demands import DEMAND_STATE_LABELS
from govdata.catalog.filings import FILING_STATE_LABELS
from govdata.catalog.models import (
    BaseDatabase,
    Classification,
    DataType,
    IdentifierKind,
    OpenType,
    ShareChannel,
    ShareMode,
    ShareType,
    UpdateCycle,
)
from govdata.catalog.workflow import STATE_LABELS
from govdata.org.models import ORG_KIND_LABELS, REGION_LEVEL_LABELS, ROLE_LABELS
from govdata.profiles.labels import LIMIT_LABELS

CLASSIFICATION = {
    Classification.BASE: "基础",
    Classification.THEME: "主题",
    Classification.DEPARTMENT: "部门",
}
BASE_DATABASE = {
    BaseDatabase.POPULATION: "人口基础信息库",
    BaseDatabase.LEGAL_ENTITY: "法人单位基础信息库",
    BaseDatabase.NATURAL_RESOURCE: "自然资源和空间地理基础信息库",
    BaseDatabase.CREDIT: "社会信用基础信息库",
    BaseDatabase.LICENCE: "电子证照基础信息库",
}
SHARE_TYPE = {
    ShareType.UNCONDITIONAL: "无条件共享",
    ShareType.CONDITIONAL: "有条件共享",
    ShareType.NONE: "不予共享",
}
OPEN_TYPE = {
    OpenType.UNCONDITIONAL: "无条件开放",
    OpenType.CONDITIONAL: "有条件开放",
    OpenType.NONE: "不予开放",
}
SHARE_MODE = {ShareMode.PLATFORM: "共享平台", ShareMode.OFFLINE: "线下"}
SHARE_CHANNEL = {ShareChannel.DATABASE: "数据库", ShareChannel.API: "接口", ShareChannel.FILE: "文件"}
UPDATE_CYCLE = {
    UpdateCycle.REALTIME: "实时",
    UpdateCycle.DAILY: "每日",
    UpdateCycle.WEEKLY: "每周",
    UpdateCycle.MONTHLY: "每月",
    UpdateCycle.QUARTERLY: "每季度",
    UpdateCycle.HALF_YEARLY: "每半年",
    UpdateCycle.YEARLY: "每年",
    UpdateCycle.IRREGULAR: "不定期",
}
DATA_TYPE = {
    DataType.STRING: "字符型",
    DataType.INTEGER: "整数型",
    DataType.DECIMAL: "数值型",
    DataType.DATE: "日期型",
    DataType.DATETIME: "日期时间型",
    DataType.BOOLEAN: "布尔型",
    DataType.BINARY: "二进制",
}
IDENTIFIER = {
    IdentifierKind.NONE: "—",
    IdentifierKind.PERSON: "公民身份号码",
    IdentifierKind.ORGANISATION: "统一社会信用代码",
}
GRADE = {1: "1级（一般）", 2: "2级（内部）", 3: "3级（敏感）", 4: "4级（核心）"}
VERSION_STATE = STATE_LABELS
TRIGGER = TRIGGER_LABELS
TRIGGER_STATE = TRIGGER_STATE_LABELS
DEMAND_STATE = DEMAND_STATE_LABELS
FILING_STATE = FILING_STATE_LABELS
ROLE = ROLE_LABELS
ORG_KIND = ORG_KIND_LABELS
REGION_LEVEL = REGION_LEVEL_LABELS
LIMIT = LIMIT_LABELS


def channels(value: str) -> str:
    return "、".join(SHARE_CHANNEL[ShareChannel(c)] for c in value.split(",") if c)

"""Request and response shapes of the catalog (pydantic v2); business rules live in the service."""

from __future__ import annotations

import datetime as dt
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from govdata.catalog.models import (
    BaseDatabase,
    Classification,
    DataType,
    DemandState,
    IdentifierKind,
    OpenType,
    ShareChannel,
    ShareMode,
    ShareType,
    TriggerKind,
    UpdateCycle,
)
from govdata.textguard import OptionalSafeText, SafeText

T = TypeVar("T")

FORMAT_CATEGORIES = ["电子文件", "电子表格", "数据库", "图形图像", "流媒体", "自描述格式", "服务接口"]
DOMAINS = [
    "人口",
    "法人",
    "自然资源和空间地理",
    "社会信用",
    "电子证照",
    "公共服务",
    "健康保障",
    "社会保障",
    "食品药品安全",
    "安全生产",
    "价格监管",
    "能源安全",
    "城乡建设",
    "社区治理",
    "生态环保",
    "应急保障",
    "交通运输",
    "教育文化",
    "财税金融",
    "气象服务",
    "市场监管",
    "公共安全",
    "民政服务",
    "就业创业",
    "公用事业",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DataItemIn(Strict):
    name: SafeText = Field(min_length=1, max_length=100, title="信息项名称")
    field_name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$", title="字段名")
    data_type: DataType = Field(title="数据类型")
    length: int | None = Field(default=None, ge=1, le=100_000, title="长度")
    identifier_kind: IdentifierKind = Field(default=IdentifierKind.NONE, title="主体标识类型")
    sensitivity: int = Field(default=1, ge=1, le=4, title="敏感级别")
    required: bool = Field(default=False, title="必填")
    is_basic: bool = Field(default=False, title="基础信息项")
    description: OptionalSafeText = Field(default=None, max_length=1000, title="说明")


class EntryIn(Strict):
    classification: Classification = Field(title="资源分类")
    base_database: BaseDatabase | None = Field(default=None, title="所属基础数据库")
    domain: SafeText = Field(min_length=1, max_length=50, title="领域")
    name: SafeText = Field(min_length=2, max_length=200, title="资源名称")
    summary: SafeText = Field(min_length=1, max_length=4000, title="资源摘要")
    format_category: SafeText = Field(max_length=30, title="资源格式分类")
    format_type: SafeText = Field(min_length=1, max_length=30, title="资源格式类型")
    update_cycle: UpdateCycle = Field(title="更新周期")
    share_type: ShareType = Field(title="共享类型")
    share_conditions: OptionalSafeText = Field(default=None, max_length=2000, title="共享条件")
    share_basis: OptionalSafeText = Field(default=None, max_length=2000, title="共享依据")
    share_mode: ShareMode = Field(default=ShareMode.PLATFORM, title="共享方式")
    share_channels: list[ShareChannel] = Field(min_length=1, max_length=3, title="提供渠道")
    open_type: OpenType = Field(title="开放类型")
    open_conditions: OptionalSafeText = Field(default=None, max_length=2000, title="开放条件")
    open_basis: OptionalSafeText = Field(default=None, max_length=2000, title="开放依据")
    deidentified: bool = Field(default=False, title="已脱敏")
    usage_requirements: OptionalSafeText = Field(default=None, max_length=2000, title="使用要求")
    grade: int = Field(ge=1, le=4, title="数据分级")
    release_date: dt.date | None = Field(default=None, title="发布日期")
    related_codes: list[str] = Field(default_factory=list, max_length=20, title="关联资源代码")
    items: list[DataItemIn] = Field(min_length=1, max_length=500, title="信息项")
    change_reason: OptionalSafeText = Field(default=None, max_length=2000, title="变更原因")


class CreateEntryIn(EntryIn):
    supplementary: bool = Field(default=False, title="补充目录")


class EditEntryIn(EntryIn):
    trigger_id: int | None = Field(default=None, title="变更情形")


class ReviewIn(Strict):
    decision: str = Field(pattern=r"^(approve|return)$", title="审核结论")
    comment: OptionalSafeText = Field(default=None, max_length=4000, title="审核意见")


class TriggerIn(Strict):
    kind: TriggerKind = Field(title="变更情形")
    description: SafeText = Field(min_length=2, max_length=2000, title="情况说明")
    occurred_on: dt.date = Field(title="发生日期")


class DemandIn(Strict):
    title: SafeText = Field(min_length=2, max_length=200, title="需求名称")
    description: SafeText = Field(min_length=1, max_length=4000, title="需求说明")
    wanted_items: SafeText = Field(min_length=1, max_length=2000, title="所需信息项")
    purpose: SafeText = Field(min_length=2, max_length=2000, title="用途及履职依据")


class DemandAnswerIn(Strict):
    state: DemandState = Field(title="处理结果")
    answer: SafeText = Field(min_length=2, max_length=4000, title="答复意见")
    matched_resource_id: int | None = Field(default=None, title="匹配的目录条目")
    assigned_org_id: int | None = Field(default=None, title="承担采集的部门")


class DesignateIn(Strict):
    source_resource_id: int = Field(title="指定采集的条目")
    duplicate_resource_ids: list[int] = Field(min_length=1, max_length=50, title="重复条目")
    reason: SafeText = Field(min_length=2, max_length=2000, title="认定理由")


class FilingDecisionIn(Strict):
    accept: bool = Field(title="是否同意备案")
    comment: OptionalSafeText = Field(default=None, max_length=2000, title="意见")


class WithdrawIn(Strict):
    reason: OptionalSafeText = Field(default=None, max_length=2000, title="原因")


# ---------------------------------------------------------------- responses


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DataItemOut(Out):
    name: str
    field_name: str
    data_type: DataType
    length: int | None
    identifier_kind: IdentifierKind
    sensitivity: int
    required: bool
    is_basic: bool
    description: str | None


class VersionOut(Out):
    id: int
    number: int
    state: str
    classification: Classification
    base_database: BaseDatabase | None
    domain: str
    name: str
    summary: str
    format_category: str
    format_type: str
    update_cycle: UpdateCycle
    share_type: ShareType
    share_conditions: str | None
    share_basis: str | None
    share_mode: ShareMode
    share_channels: str
    open_type: OpenType
    open_conditions: str | None
    open_basis: str | None
    deidentified: bool
    usage_requirements: str | None
    grade: int
    release_date: dt.date | None
    related_codes: str
    change_reason: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    review_due: dt.date | None
    reviewed_at: dt.datetime | None
    review_comment: str | None
    published_at: dt.datetime | None
    items: list[DataItemOut]


class VersionSummaryOut(Out):
    id: int
    number: int
    state: str
    name: str
    change_reason: str | None
    created_at: dt.datetime
    published_at: dt.datetime | None
    review_comment: str | None


class TriggerOut(Out):
    id: int
    kind: TriggerKind
    description: str
    occurred_on: dt.date
    state: str
    update_due: dt.date
    updated_on: dt.date | None
    report_due: dt.date | None
    reported_on: dt.date | None
    closed_on: dt.date | None


class EntryOut(BaseModel):
    id: int
    code: str
    org_id: int
    org_name: str
    region_code: str
    supplementary: bool
    source_resource_id: int | None
    head_version_number: int
    published_version_number: int | None
    version: VersionOut
    versions: list[VersionSummaryOut]
    triggers: list[TriggerOut]


class EntryRowOut(BaseModel):
    resource_id: int
    code: str
    name: str
    org_name: str
    region_name: str
    level: str
    classification: Classification
    domain: str
    share_type: ShareType
    open_type: OpenType
    state: str
    version_number: int
    updated_at: dt.datetime
    supplementary: bool


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int


class DueOut(BaseModel):
    due: dt.date
    overdue: bool
    workdays_left: int | None
    label: str


class WorkItemOut(BaseModel):
    kind: str
    title: str
    link: str
    who: str
    due: DueOut | None


class DemandOut(Out):
    id: int
    org_id: int
    title: str
    description: str
    wanted_items: str
    purpose: str
    state: DemandState
    due_date: dt.date
    matched_resource_id: int | None
    assigned_org_id: int | None
    answer: str | None
    answered_at: dt.datetime | None
    created_at: dt.datetime


class FilingOut(Out):
    id: int
    resource_id: int
    version_id: int
    upper_region_path: str
    state: str
    filed_at: dt.datetime
    due_date: dt.date
    decided_at: dt.datetime | None
    comment: str | None


class DuplicateOut(BaseModel):
    resource_id: int
    code: str
    name: str
    org_name: str
    name_similarity: float
    item_overlap: float
    shared_items: list[str]


class FieldChangeOut(BaseModel):
    field: str
    before: object
    after: object


class DiffOut(BaseModel):
    from_number: int
    to_number: int
    fields: list[FieldChangeOut]
    items_added: list[str]
    items_removed: list[str]
    items_changed: list[tuple[str, list[FieldChangeOut]]]


class RegionCountOut(BaseModel):
    region_code: str
    region_name: str
    level: str
    published: int
    pending: int
    supplementary: int


class DesignationOut(Out):
    id: int
    source_resource_id: int
    duplicate_resource_ids: str
    reason: str
    decided_at: dt.datetime


class ItemSourceIn(Strict):
    item_key: str = Field(min_length=1, max_length=100, title="信息项")
    subject_kind: IdentifierKind = Field(title="主体类型")
    source_resource_id: int = Field(title="权威来源条目")
    reason: SafeText = Field(min_length=2, max_length=2000, title="认定理由")


class CollectorOut(BaseModel):
    resource_id: int
    code: str
    entry_name: str
    item_name: str
    org_id: int
    org_name: str
    duplicate: bool


class CollectedItemOut(BaseModel):
    key: str
    subject_kind: IdentifierKind
    source_resource_id: int | None
    collectors: list[CollectorOut]

"""Request shapes of the open-data side: listings and their review."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from govdata.catalog.models import OpenType, UpdateCycle
from govdata.opendata.models import ListingState, Treatment
from govdata.org.models import SubjectKind
from govdata.textguard import OptionalSafeText, SafeText


class ListingItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    field_name: str = Field(max_length=60, title="信息项")
    treatment: Treatment = Field(title="开放方式：keep / mask / generalise / remove")
    rule: str = Field(default="none", max_length=20, title="脱敏或泛化规则")


class ListingIn(BaseModel):
    """An open-list entry; title, summary, domain and update cycle default to the catalog entry's.

    Items the department does not list are recorded as removed: nothing opens without a stated treatment.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resource_id: int = Field(title="目录条目")
    title: OptionalSafeText = Field(default=None, max_length=200, title="数据集名称")
    summary: OptionalSafeText = Field(default=None, max_length=4000, title="摘要")
    domain: OptionalSafeText = Field(default=None, max_length=50, title="领域")
    tags: list[SafeText] = Field(default_factory=list, max_length=20, title="关键词")
    formats: list[str] = Field(default_factory=lambda: ["csv", "xlsx", "json"], max_length=3, title="格式")
    open_type: OpenType | None = Field(default=None, title="开放类型")
    conditions: OptionalSafeText = Field(default=None, max_length=4000, title="开放条件")
    basis: OptionalSafeText = Field(default=None, max_length=4000, title="法律法规或政策依据")
    update_cycle: UpdateCycle | None = Field(default=None, title="更新频率")
    items: list[ListingItemIn] = Field(min_length=1, max_length=500, title="开放的信息项")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: bool = Field(title="审核结论：true 通过并发布，false 退回")
    comment: OptionalSafeText = Field(default=None, max_length=2000, title="审核意见")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: SafeText = Field(min_length=2, max_length=2000, title="理由")


class ListingItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    field_name: str
    name: str
    data_type: str
    sensitivity: int
    treatment: Treatment
    rule: str
    description: str | None


class ListingStepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: str | None
    to_state: str
    actor_name: str
    note: str | None
    at: dt.datetime


class ListingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_id: int
    version_id: int
    org_id: int
    title: str
    summary: str
    domain: str
    tags: str
    formats: str
    open_type: OpenType
    conditions: str | None
    basis: str | None
    update_cycle: UpdateCycle
    state: ListingState
    review_due: dt.date | None
    review_comment: str | None
    published_at: dt.datetime | None
    suspended_reason: str | None
    updated_at: dt.datetime
    download_count: int
    items: list[ListingItemOut]


class DatasetOut(BaseModel):
    """A dataset as the public sees it: only opened items, with how each was de-identified."""

    id: int
    title: str
    summary: str
    publisher: str
    domain: str
    tags: list[str]
    formats: list[str]
    open_type: OpenType
    conditions: str | None
    basis: str | None
    update_cycle: UpdateCycle
    state: ListingState
    published_at: dt.datetime | None
    updated_at: dt.datetime
    download_count: int
    items: list[ListingItemOut]
    downloads: dict[str, str]  # format → URL
    citation: str


class DatasetPage(BaseModel):
    total: int
    offset: int
    limit: int
    results: list[DatasetOut]
    facets: dict[str, list[tuple[str, int]]]


class RowsOut(BaseModel):
    dataset_id: int
    fields: list[str]
    titles: list[str]
    records: list[dict[str, object]]
    next_after: int | None  # pass as `after` for the next page; null on the last page
    citation: str


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=3, max_length=64, title="用户名")
    display_name: SafeText = Field(min_length=2, max_length=100, title="姓名或单位全称")
    subject_kind: SubjectKind = Field(title="主体类型：person 自然人 / organisation 法人或其他组织")
    subject_id: str = Field(min_length=15, max_length=18, title="公民身份号码或统一社会信用代码")
    password: str = Field(min_length=8, max_length=128, title="密码")


class RegisteredOut(BaseModel):
    id: int
    username: str
    display_name: str
    subject_kind: SubjectKind

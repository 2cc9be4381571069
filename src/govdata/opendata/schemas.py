"""Request shapes of the open-data side: listings and their review."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from govdata.catalog.models import OpenType, UpdateCycle
from govdata.opendata.models import Treatment
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

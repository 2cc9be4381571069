"""Request and response shapes for people, credentials and the jurisdiction."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from govdata.org.models import OrgKind, RegionLevel, Role, SubjectKind
from govdata.textguard import SafeText


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenLoginIn(Strict):
    username: str = Field(min_length=1, max_length=64, title="用户名")
    password: str = Field(min_length=1, max_length=200, title="密码")
    name: SafeText = Field(default="API 令牌", min_length=1, max_length=100, title="令牌名称")
    valid_days: int | None = Field(default=365, ge=1, le=3650, title="有效天数")


class TokenIn(Strict):
    name: SafeText = Field(min_length=1, max_length=100, title="令牌名称")
    valid_days: int | None = Field(default=365, ge=1, le=3650, title="有效天数")


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="令牌明文，只显示这一次")


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, title="用户名")
    display_name: SafeText = Field(min_length=1, max_length=100, title="姓名")
    role: Role = Field(title="角色")
    password: str = Field(min_length=8, max_length=200, title="初始密码")
    org_id: int | None = Field(default=None, title="所属单位")
    account_end_date: dt.date | None = Field(default=None, title="账号到期日")
    subject_kind: SubjectKind | None = Field(default=None, title="主体类型")
    subject_id: str | None = Field(default=None, max_length=18, title="证件号码")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    org_id: int | None
    active: bool
    account_end_date: dt.date | None


class MeOut(BaseModel):
    user_id: int | None
    username: str
    display_name: str
    role: Role | None
    org_id: int | None
    org_name: str | None
    permissions: list[str]


class RegionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    level: RegionLevel
    parent_id: int | None


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    short_name: str
    kind: OrgKind
    region_id: int
    org_code: str

"""Use cases for the jurisdiction's set-up, its people and their credentials."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.config import get_settings
from govdata.context import Ctx
from govdata.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from govdata.org.models import (
    ROLE_LABELS,
    ApiToken,
    DeploymentSetting,
    Organization,
    OrgKind,
    Region,
    RegionLevel,
    Role,
    SubjectKind,
    User,
    WebSession,
)
from govdata.profiles.loader import load_profile
from govdata.profiles.schema import Profile


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")
ROLE_ORG_KINDS: dict[Role, set[OrgKind] | None] = {
    Role.AUTHORITY_ADMIN: {OrgKind.AUTHORITY},
    Role.AUTHORITY_REVIEWER: {OrgKind.AUTHORITY},
    Role.DEPT_OFFICER: {OrgKind.DEPARTMENT, OrgKind.OPERATOR},
    Role.DEPT_USER: {OrgKind.DEPARTMENT, OrgKind.OPERATOR},
    Role.AUDITOR: {OrgKind.DEPARTMENT, OrgKind.AUTHORITY},
    Role.TECH_PROVIDER: {OrgKind.SERVICE_PROVIDER},
    Role.PUBLIC_USER: None,
}


def token_digest(token: str) -> str:
    """Credentials are stored as SHA-256 digests: a stolen database yields no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------- deployment


def org_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the given organisations in one query (pages list many rows of few bodies)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(wanted)))
    return {org_id: name for org_id, name in rows}


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(DeploymentSetting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str) -> None:
    row = session.get(DeploymentSetting, key)
    if row is None:
        session.add(DeploymentSetting(key=key, value=value))
    else:
        row.value = value
    session.flush()


def deployment_profile(session: Session) -> Profile:
    name = get_setting(session, "profile")
    if name is None:
        raise InvalidInput("本系统尚未初始化：请先运行 `govdata init --profile 名称` 选择适用的管理办法")
    return load_profile(name)


def init_deployment(ctx: Ctx, actor: Actor, profile_name: str) -> Profile:
    """Choose the profile (validated first) and create the secret; re-running with the same profile is a no-op."""
    require(actor, Permission.ORG_MANAGE)
    profile = load_profile(profile_name)
    current = get_setting(ctx.session, "profile")
    if current == profile_name:
        return profile
    set_setting(ctx.session, "profile", profile_name)
    if get_setting(ctx.session, "secret_key") is None:
        set_setting(ctx.session, "secret_key", secrets.token_urlsafe(48))
    ctx._profile = profile
    record(ctx, actor, "deployment.init", "deployment", profile_name, detail={"previous": current})
    return profile


# ---------------------------------------------------------------- regions and organisations


def get_or_create_region(
    ctx: Ctx, actor: Actor, code: str, name: str, level: RegionLevel, parent_code: str | None
) -> Region:
    require(actor, Permission.ORG_MANAGE)
    if not re.fullmatch(r"\d{6}", code):
        raise InvalidInput(f"行政区划代码应为 6 位数字（GB/T 2260）：{code}")
    existing = ctx.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
    if existing:
        return existing
    parent = None
    if parent_code:
        parent = ctx.session.execute(select(Region).where(Region.code == parent_code)).scalar_one_or_none()
        if parent is None:
            raise NotFound(f"上级行政区划 {parent_code} 不存在")
    region = Region(
        code=code,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "") + code + "/",
    )
    ctx.session.add(region)
    ctx.session.flush()
    record(ctx, actor, "region.create", "region", region.code, detail={"name": name, "level": level})
    return region


def get_or_create_org(
    ctx: Ctx,
    actor: Actor,
    *,
    region: Region,
    name: str,
    short_name: str,
    kind: OrgKind,
    org_code: str,
    uscc_code: str | None = None,
) -> Organization:
    require(actor, Permission.ORG_MANAGE, region_path=region.path)
    existing = ctx.session.execute(
        select(Organization).where(Organization.region_id == region.id, Organization.name == name)
    ).scalar_one_or_none()
    if existing:
        return existing
    if kind == OrgKind.AUTHORITY:
        other = ctx.session.execute(
            select(Organization).where(Organization.region_id == region.id, Organization.kind == kind)
        ).scalar_one_or_none()
        if other:
            raise Conflict(f"{region.name}已有数据主管机构：{other.name}（每级行政区划只设一个）")
    if uscc_code and not uscc.is_valid(uscc_code):
        raise InvalidInput(f"统一社会信用代码无效（GB 32100 校验不通过）：{uscc_code}")
    org = Organization(
        name=name, short_name=short_name, kind=kind, region_id=region.id, org_code=org_code, uscc=uscc_code
    )
    ctx.session.add(org)
    ctx.session.flush()
    record(ctx, actor, "org.create", "organization", org.id, detail={"name": name, "kind": kind})
    return org


def authority_of(session: Session, region_id: int) -> Organization | None:
    return session.execute(
        select(Organization).where(
            Organization.region_id == region_id, Organization.kind == OrgKind.AUTHORITY
        )
    ).scalar_one_or_none()


# ---------------------------------------------------------------- users


def check_password_strength(password: str) -> None:
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise InvalidInput("密码至少 8 位，且须同时包含字母和数字")


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    role: Role
    password: str
    org_id: int | None = None
    account_end_date: dt.date | None = None
    subject_kind: SubjectKind | None = None
    subject_id: str | None = None


def create_user(ctx: Ctx, actor: Actor, new: NewUser) -> User:
    org = ctx.session.get(Organization, new.org_id) if new.org_id is not None else None
    if new.org_id is not None and org is None:
        raise NotFound(f"单位 {new.org_id} 不存在")
    if new.role != Role.PUBLIC_USER:
        require(actor, Permission.ORG_MANAGE, region_path=org.region.path if org else None)
    if not USERNAME_RE.match(new.username):
        raise InvalidInput("用户名应为 3–64 位字母、数字、下划线、点或连字符")
    if not new.display_name.strip() or len(new.display_name) > 100:
        raise InvalidInput("请填写姓名（不超过 100 字）")
    check_password_strength(new.password)
    allowed = ROLE_ORG_KINDS[new.role]
    if allowed is None:
        if org is not None:
            raise InvalidInput("公众用户不属于任何单位")
        _check_subject(new.subject_kind, new.subject_id)
    elif org is None or org.kind not in allowed:
        raise InvalidInput(f"角色“{ROLE_LABELS[new.role]}”须属于相应类型的单位")
    if new.role == Role.TECH_PROVIDER and new.account_end_date is None:
        raise InvalidInput("技术服务单位人员账号须填写合同到期日（账号到期自动失效）")
    if ctx.session.execute(select(User.id).where(User.username == new.username)).first():
        raise Conflict(f"用户名 {new.username} 已被使用")
    user = User(
        username=new.username,
        display_name=new.display_name.strip(),
        role=new.role,
        org_id=org.id if org else None,
        password_hash=_hasher().hash(new.password),
        active=True,
        account_end_date=new.account_end_date,
        subject_kind=new.subject_kind,
        subject_id=new.subject_id.upper() if new.subject_id else None,
        failed_logins=0,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(user)
    ctx.session.flush()
    record(ctx, actor, "user.create", "user", user.id, detail={"username": user.username, "role": new.role})
    return user


def _check_subject(kind: SubjectKind | None, subject_id: str | None) -> None:
    if kind is None or not subject_id:
        raise InvalidInput("公众用户须注明是自然人还是法人/组织，并填写证件号码")
    if kind == SubjectKind.PERSON and not ric.is_valid(subject_id):
        raise InvalidInput("公民身份号码无效（GB 11643 校验码或出生日期不正确）")
    if kind == SubjectKind.ORGANISATION and not uscc.is_valid(subject_id):
        raise InvalidInput("统一社会信用代码无效（GB 32100 校验码不正确）")


def actor_for(user: User) -> Actor:
    org = user.org
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org_id=org.id if org else None,
        org_name=org.name if org else None,
        org_kind=org.kind if org else None,
        region_id=org.region_id if org else None,
        region_path=org.region.path if org else None,
    )


def user_by_username(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def account_usable(ctx: Ctx, user: User) -> str | None:
    """Why the account may not be used now, or None. SEC-7: a provider's account ends with its contract."""
    if not user.active:
        return "账号已停用"
    if user.account_end_date is not None and ctx.clock.today() > user.account_end_date:
        return f"账号已于 {user.account_end_date.isoformat()} 合同到期失效"
    return None


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str | None


def authenticate(ctx: Ctx, username: str, password: str) -> LoginResult:
    """Returns instead of raising, so the failure count and the audit event commit with the refusal."""
    settings_failures, lockout_minutes = _lockout_settings()
    user = ctx.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    now = ctx.clock.now()
    generic = "用户名或密码错误"
    if user is None:
        _hasher().hash("timing-equaliser")  # same cost as a real check
        return LoginResult(None, generic)
    who = actor_for(user)
    if user.locked_until is not None and user.locked_until > now:
        record(ctx, who, "login", "user", user.id, outcome="refused", detail={"reason": "locked"})
        until = user.locked_until.astimezone(ctx.clock.now().tzinfo).strftime("%H:%M")
        return LoginResult(None, f"连续登录失败次数过多，账号已锁定至 {until}，请稍后再试")
    unusable = account_usable(ctx, user)
    try:
        ok = _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        user.failed_logins += 1
        message = generic
        if user.failed_logins >= settings_failures:
            user.locked_until = now + dt.timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
            message = f"连续 {settings_failures} 次登录失败，账号锁定 {lockout_minutes} 分钟"
        record(ctx, who, "login", "user", user.id, outcome="failure")
        return LoginResult(None, message)
    if unusable:
        record(ctx, who, "login", "user", user.id, outcome="refused", detail={"reason": unusable})
        return LoginResult(None, unusable)
    user.failed_logins = 0
    user.locked_until = None
    record(ctx, who, "login", "user", user.id)
    return LoginResult(user, None)


def _lockout_settings() -> tuple[int, int]:
    s = get_settings()
    return s.login_max_failures, s.login_lockout_minutes


def change_password(ctx: Ctx, actor: Actor, old: str, new: str) -> None:
    user = ctx.session.get(User, actor.user_id)
    if user is None:
        raise NotFound("用户不存在")
    try:
        _hasher().verify(user.password_hash, old)
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidInput("原密码不正确") from exc
    check_password_strength(new)
    user.password_hash = _hasher().hash(new)
    record(ctx, actor, "user.password", "user", user.id)


# ---------------------------------------------------------------- sessions and tokens


def open_web_session(ctx: Ctx, user: User, max_age_seconds: int) -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = ctx.clock.now()
    ctx.session.add(
        WebSession(
            token_hash=token_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=max_age_seconds),
        )
    )
    ctx.session.flush()
    return token, csrf


def resolve_web_session(ctx: Ctx, token: str) -> tuple[Actor, str] | None:
    row = ctx.session.get(WebSession, token_digest(token))
    if row is None or row.expires_at <= ctx.clock.now():
        return None
    if account_usable(ctx, row.user) is not None:
        return None
    return actor_for(row.user), row.csrf_token


def close_web_session(ctx: Ctx, token: str) -> None:
    row = ctx.session.get(WebSession, token_digest(token))
    if row is not None:
        record(ctx, actor_for(row.user), "logout", "user", row.user_id)
        ctx.session.delete(row)


def create_api_token(ctx: Ctx, actor: Actor, name: str, valid_days: int | None = 365) -> tuple[ApiToken, str]:
    require(actor, Permission.TOKEN_OWN)
    if actor.user_id is None:
        raise InvalidInput("系统身份不能持有令牌")
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("请为令牌起一个名称（不超过 100 字）")
    if valid_days is not None and not 1 <= valid_days <= 3650:
        raise InvalidInput("令牌有效期应在 1–3650 天之间")
    plain = "gd_" + secrets.token_urlsafe(32)
    now = ctx.clock.now()
    token = ApiToken(
        user_id=actor.user_id,
        name=name,
        prefix=plain[:10],
        token_hash=token_digest(plain),
        created_at=now,
        expires_at=now + dt.timedelta(days=valid_days) if valid_days else None,
    )
    ctx.session.add(token)
    ctx.session.flush()
    record(ctx, actor, "token.create", "api_token", token.id, detail={"name": name})
    return token, plain


def list_api_tokens(ctx: Ctx, actor: Actor) -> list[ApiToken]:
    require(actor, Permission.TOKEN_OWN)
    return list(
        ctx.session.execute(select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id))
        .scalars()
        .all()
    )


def revoke_api_token(ctx: Ctx, actor: Actor, token_id: int) -> ApiToken:
    require(actor, Permission.TOKEN_OWN)
    token = ctx.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.user_id:
        raise NotFound("未找到该令牌")
    if token.revoked_at is None:
        token.revoked_at = ctx.clock.now()
        record(ctx, actor, "token.revoke", "api_token", token.id)
    return token


def resolve_api_token(ctx: Ctx, plain: str) -> Actor:
    token = ctx.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_digest(plain))
    ).scalar_one_or_none()
    now = ctx.clock.now()
    if token is None:
        raise Unauthenticated("API 令牌无效")
    if token.revoked_at is not None:
        raise Unauthenticated("API 令牌已被撤销")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("API 令牌已过期")
    unusable = account_usable(ctx, token.user)
    if unusable:
        raise Unauthenticated(f"API 令牌不可用：{unusable}")
    return actor_for(token.user)

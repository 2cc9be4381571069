"""Portal identities (OPEN-4) and access suspensions (OPEN-7).

Anyone may browse the open catalog and preview unconditional data; downloading, the API, applying and
commenting need an authenticated identity: a registered person (citizen ID number checked, GB 11643) or
organisation (USCC checked, GB 32100), or a government account. The authority can suspend a user's access,
with the reason on record; every portal use checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require, system_actor
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, NotFound
from govdata.opendata.models import AccessSuspension
from govdata.org.models import Role, SubjectKind, User
from govdata.org.service import NewUser, create_user


@dataclass(frozen=True)
class Registration:
    username: str
    display_name: str  # the person's name, or the organisation's full name
    subject_kind: SubjectKind
    subject_id: str  # citizen ID number or USCC
    password: str


def register(ctx: Ctx, data: Registration) -> User:
    """Self-registration on the portal; one account per ID number or USCC."""
    subject = data.subject_id.strip().upper()
    taken = ctx.session.execute(
        select(User.id).where(User.subject_id == subject, User.role == Role.PUBLIC_USER)
    ).first()
    if taken:
        what = "公民身份号码" if data.subject_kind == SubjectKind.PERSON else "统一社会信用代码"
        raise Conflict(f"该{what}已注册过账号；如忘记密码请联系平台运营单位")
    return create_user(
        ctx,
        system_actor("portal-registration"),
        NewUser(
            username=data.username.strip(),
            display_name=data.display_name,
            role=Role.PUBLIC_USER,
            password=data.password,
            subject_kind=data.subject_kind,
            subject_id=subject,
        ),
    )


def active_suspension(ctx: Ctx, user_id: int) -> AccessSuspension | None:
    return ctx.session.execute(
        select(AccessSuspension)
        .where(AccessSuspension.user_id == user_id, AccessSuspension.lifted_at.is_(None))
        .order_by(AccessSuspension.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def require_portal_use(ctx: Ctx, actor: Actor) -> None:
    """Identity first (OPEN-4), then no suspension in force (OPEN-7)."""
    if actor.user_id is None and not actor.is_system:
        raise Forbidden("下载、接口调用和申请须先登录（实名认证）")
    require(actor, Permission.OPEN_USE)
    if actor.user_id is not None:
        held = active_suspension(ctx, actor.user_id)
        if held is not None:
            raise Forbidden(f"您的开放数据访问权限已被暂停：{held.reason}。如有异议请联系数据主管机构")


def suspend_user(ctx: Ctx, actor: Actor, user_id: int, reason: str) -> AccessSuspension:
    require(actor, Permission.OPEN_SUPERVISE)
    user = ctx.session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    if user.role != Role.PUBLIC_USER:
        raise InvalidInput("只能暂停开放平台公众用户的访问权限")
    if active_suspension(ctx, user_id) is not None:
        raise Conflict(f"用户“{user.display_name}”的访问权限已处于暂停状态")
    held = AccessSuspension(user_id=user_id, reason=reason, suspended_by_id=actor.user_id, at=ctx.clock.now())
    ctx.session.add(held)
    ctx.session.flush()
    record(ctx, actor, "open.user.suspend", "user", user_id, detail={"reason": reason})
    return held


def lift_suspension(ctx: Ctx, actor: Actor, user_id: int, reason: str) -> AccessSuspension:
    require(actor, Permission.OPEN_SUPERVISE)
    held = active_suspension(ctx, user_id)
    if held is None:
        raise InvalidInput("该用户的访问权限未被暂停")
    held.lifted_at = ctx.clock.now()
    held.lifted_by_id = actor.user_id
    held.lift_reason = reason
    record(ctx, actor, "open.user.restore", "user", user_id, detail={"reason": reason})
    return held

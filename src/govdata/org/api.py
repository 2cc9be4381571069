"""JSON routes for identity, credentials, the jurisdiction, the profile and the calendar."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query
from sqlalchemy import select

from govdata.authz import Permission, require
from govdata.errors import Unauthenticated
from govdata.org import service
from govdata.org.models import Organization, Region
from govdata.org.schemas import (
    MeOut,
    NewTokenOut,
    OrgOut,
    RegionOut,
    TokenIn,
    TokenLoginIn,
    TokenOut,
    UserIn,
    UserOut,
)
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["用户与机构"])


@router.post("/auth/token", response_model=NewTokenOut, status_code=201, summary="用户名密码换取 API 令牌")
def token_login(ctx: CtxDep, body: TokenLoginIn) -> NewTokenOut:
    result = service.authenticate(ctx, body.username, body.password)
    if result.user is None:
        ctx.session.commit()  # keep the failure count and the audit event
        raise Unauthenticated(result.message or "登录失败")
    token, plain = service.create_api_token(ctx, service.actor_for(result.user), body.name, body.valid_days)
    return NewTokenOut(**TokenOut.model_validate(token).model_dump(), token=plain)


@router.get("/auth/tokens", response_model=list[TokenOut], summary="我的 API 令牌")
def list_tokens(ctx: CtxDep, actor: ApiActor) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_api_tokens(ctx, actor)]


@router.post("/auth/tokens", response_model=NewTokenOut, status_code=201, summary="新建 API 令牌")
def create_token(ctx: CtxDep, actor: ApiActor, body: TokenIn) -> NewTokenOut:
    token, plain = service.create_api_token(ctx, actor, body.name, body.valid_days)
    return NewTokenOut(**TokenOut.model_validate(token).model_dump(), token=plain)


@router.delete("/auth/tokens/{token_id}", response_model=TokenOut, summary="撤销 API 令牌")
def revoke_token(ctx: CtxDep, actor: ApiActor, token_id: int) -> TokenOut:
    return TokenOut.model_validate(service.revoke_api_token(ctx, actor, token_id))


@router.get("/me", response_model=MeOut, summary="当前用户")
def me(actor: ApiActor) -> MeOut:
    return MeOut(
        user_id=actor.user_id,
        username=actor.username,
        display_name=actor.display_name,
        role=actor.role,
        org_id=actor.org_id,
        org_name=actor.org_name,
        permissions=sorted(p.value for p in actor.permissions),
    )


@router.get("/regions", response_model=list[RegionOut], summary="行政区划")
def regions(ctx: CtxDep, actor: ApiActor) -> list[RegionOut]:
    require(actor, Permission.CATALOG_READ)
    return [
        RegionOut.model_validate(r)
        for r in ctx.session.execute(select(Region).order_by(Region.path)).scalars()
    ]


@router.get("/orgs", response_model=list[OrgOut], summary="单位")
def orgs(ctx: CtxDep, actor: ApiActor) -> list[OrgOut]:
    require(actor, Permission.CATALOG_READ)
    rows = ctx.session.execute(
        select(Organization).order_by(Organization.region_id, Organization.id)
    ).scalars()
    return [OrgOut.model_validate(o) for o in rows]


@router.post("/users", response_model=UserOut, status_code=201, summary="新建用户")
def create_user(ctx: CtxDep, actor: ApiActor, body: UserIn) -> UserOut:
    require(actor, Permission.ORG_MANAGE)
    user = service.create_user(ctx, actor, service.NewUser(**body.model_dump()))
    return UserOut.model_validate(user)


@router.get("/profile", summary="本部署适用的管理办法（时限等）")
def profile(ctx: CtxDep, actor: ApiActor) -> dict[str, object]:
    require(actor, Permission.PROFILE_READ)
    return ctx.profile.model_dump(mode="json")


@router.get("/calendar/add-workdays", summary="计算 N 个工作日后的日期（起算日不计）")
def add_workdays(
    ctx: CtxDep, actor: ApiActor, date: dt.date, n: int = Query(ge=0, le=366)
) -> dict[str, object]:
    require(actor, Permission.PROFILE_READ)
    result = ctx.calendar.add_workdays(date, n)
    return {"start": date, "workdays": n, "due": result, "describe": ctx.calendar.describe(result)}

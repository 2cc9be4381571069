"""Pages for login, the pending-work dashboard and one's own API tokens."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from govdata.catalog import queries as catalog_queries
from govdata.errors import DomainError
from govdata.opendata import queries as open_queries
from govdata.org import service
from govdata.org.models import Role
from govdata.quality import corrections
from govdata.sharing import queries as sharing_queries
from govdata.supervision import notices
from govdata.web_support import SESSION_COOKIE, CtxDep, PageActor, check_csrf, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send a user to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "org/login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    ctx: CtxDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    result = service.authenticate(ctx, username.strip(), password)
    if result.user is None:
        return render(
            request,
            "org/login.html",
            status_code=401,
            next=_safe_next(next),
            error=result.message,
            username=username,
        )
    settings = request.app.state.settings
    token, _csrf = service.open_web_session(ctx, result.user, settings.session_max_age_seconds)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.close_web_session(ctx, token)
    response = RedirectResponse("/login?msg=" + quote("已退出登录"), status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def dashboard(request: Request, ctx: CtxDep, actor: PageActor, overdue: bool = False) -> Response:
    if actor.role == Role.PUBLIC_USER:  # the public's home is the open portal, not the staff work list
        return RedirectResponse("/open/me", status_code=303)
    board = catalog_queries.pending_work(ctx, actor)
    for more in (corrections.work_items, notices.work_items, sharing_queries.work_items, open_queries.work_items):
        board.items += more(ctx, actor)
    board.items.sort(key=catalog_queries.urgency)
    items = board.overdue if overdue else board.items
    return render(
        request,
        "org/dashboard.html",
        board=board,
        items=items,
        only_overdue=overdue,
        profile=ctx.profile,
        today=ctx.clock.today().isoformat(),
    )


@router.get("/tokens")
def tokens(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return render(request, "org/tokens.html", tokens=service.list_api_tokens(ctx, actor), new_token=None)


@router.post("/tokens", dependencies=[Csrf])
def create_token(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    name: Annotated[str, Form(max_length=100)],
    valid_days: Annotated[int, Form(ge=1, le=3650)] = 365,
) -> Response:
    try:
        _token, plain = service.create_api_token(ctx, actor, name, valid_days)
    except DomainError as exc:
        return render(
            request, "error.html", status_code=exc.http_status, message=exc.message, status=exc.http_status
        )
    return render(request, "org/tokens.html", tokens=service.list_api_tokens(ctx, actor), new_token=plain)


@router.post("/tokens/{token_id}/revoke", dependencies=[Csrf])
def revoke_token(ctx: CtxDep, actor: PageActor, token_id: int) -> Response:
    service.revoke_api_token(ctx, actor, token_id)
    return RedirectResponse("/tokens?msg=" + quote("令牌已撤销，立即失效"), status_code=303)

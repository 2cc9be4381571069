"""Plumbing shared by every domain's routes: the request context, the actor, CSRF, templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata.authz import Actor
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.errors import Conflict, DomainError, Forbidden, InvalidInput, InvalidTransition, Unauthenticated
from govdata.org import service as org_service
from govdata.validation import validation_message

# What a form page shows back beside the kept input (422/409); anything else is an error page.
FORM_ERRORS = (InvalidInput, Conflict, InvalidTransition)

SESSION_COOKIE = "govdata_session"
TEMPLATES_DIR = Path(__file__).parent / "templates"


class LoginRequired(DomainError):
    """A page needs a logged-in user: pages answer with a redirect to the login form."""

    code = "login_required"
    http_status = 303


def get_ctx(request: Request) -> Iterator[Ctx]:
    """One transaction per request: committed when the route returns, rolled back on any error."""
    session = request.app.state.session_factory()
    ctx = Ctx(session=session, clock=request.app.state.clock)
    try:
        yield ctx
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response leaves, so a client that follows a redirect at once already sees
# the change (and a failed commit is an error response, never a 2xx for a write that did not happen).
CtxDep = Annotated[Ctx, Depends(get_ctx, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def api_actor(request: Request, ctx: CtxDep) -> Actor:
    """API callers use a bearer token; a logged-in browser may call too, with its CSRF header on writes."""
    token = _bearer(request)
    if token:
        return org_service.resolve_api_token(ctx, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    found = org_service.resolve_web_session(ctx, cookie) if cookie else None
    if found is None:
        raise Unauthenticated("请提供有效的 API 令牌（Authorization: Bearer …）或先登录")
    actor, csrf = found
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.headers.get("x-csrf-token") != csrf:
        raise Forbidden("缺少或错误的 CSRF 令牌（请求头 X-CSRF-Token）")
    request.state.csrf_token = csrf
    return actor


def page_actor(request: Request, ctx: CtxDep) -> Actor:
    cookie = request.cookies.get(SESSION_COOKIE)
    found = org_service.resolve_web_session(ctx, cookie) if cookie else None
    if found is None:
        raise LoginRequired("请先登录")
    actor, csrf = found
    request.state.csrf_token = csrf
    request.state.actor = actor
    return actor


def visitor_actor(request: Request, ctx: CtxDep) -> Actor | None:
    """Public pages (the open portal): the logged-in user if any, else an anonymous visitor (None)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    found = org_service.resolve_web_session(ctx, cookie) if cookie else None
    if found is None:
        token = _bearer(request)
        return org_service.resolve_api_token(ctx, token) if token else None
    actor, csrf = found
    request.state.csrf_token = csrf
    request.state.actor = actor
    return actor


ApiActor = Annotated[Actor, Depends(api_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]
VisitorActor = Annotated[Actor | None, Depends(visitor_actor)]


async def _posted(request: Request) -> FormData:
    """The whole posted form (cached by Starlette, so the CSRF check and the route share one parse)."""
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]


def form_text(form: FormData, key: str, limit: int = 4000) -> str:
    """A posted text field, stripped and cut to `limit`; absent or a file: empty."""
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def check_csrf(request: Request, actor: PageActor) -> None:
    """Every page form posts its session's CSRF token; a form from elsewhere is refused."""
    form = await request.form()
    sent = form.get("csrf_token")
    if not sent or sent != getattr(request.state, "csrf_token", None):
        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")


def fmt_dt(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["dt"] = fmt_dt
    templates.env.filters["urlq"] = lambda s: quote(str(s))
    from govdata import labels

    templates.env.globals["L"] = labels
    return templates


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("actor", getattr(request.state, "actor", None))
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    context.setdefault("flash", request.query_params.get("msg"))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def redirect_with(path: str, msg: str, anchor: str = "") -> RedirectResponse:
    """Back to a page after a form, with the confirmation (or the problem) it shows at the top."""
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}msg={quote(msg)}{anchor}", status_code=303)


def parse_form(
    model: type[BaseModel],
    data: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    *,
    blank_is_missing: bool = True,
) -> Any:
    """Validate a posted form: every problem said in Chinese with the page's own field names (`labels`).

    Blank fields count as missing unless `blank_is_missing=False` (a form whose empty text is a value)."""
    if blank_is_missing:
        data = {k: v for k, v in data.items() if v is not None and v != "" and v != []}
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        names = labels or {}
        errors = [{**e, "loc": tuple(names.get(p, p) if isinstance(p, str) else p for p in e["loc"])}
                  for e in exc.errors()]  # fmt: skip
        message, details = validation_message(errors)
        raise InvalidInput(message, details={"problems": details}) from None

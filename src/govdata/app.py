"""App factory: routers, middleware, and the one mapping from domain errors to HTTP answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govdata.clock import Clock, SystemClock
from govdata.config import Settings, get_settings
from govdata.db import make_engine, make_session_factory
from govdata.errors import DomainError
from govdata.validation import validation_message
from govdata.web_support import LoginRequired, make_templates, render


class BodyLimit:
    """Refuse bodies over the limit before anything reads them, declared length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if _UPLOAD.match(scope.get("path", "")) else self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(scope, send, limit)


_UPLOAD = re.compile(r"^/api/v1/(pools|emergency-collections)/\d+/batches$|^/(pools|emergency)/\d+/upload$")


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    response = JSONResponse(
        {"error": {"code": "payload_too_large", "message": f"请求内容过大：不得超过 {_size(limit)}"}},
        status_code=413,
    )
    await response(scope, _empty_receive, send)


def _size(limit: int) -> str:
    return (
        f"{limit / 1e9:g} GB"
        if limit >= 1e9
        else f"{limit / 1e6:g} MB"
        if limit >= 1e6
        else f"{limit / 1e3:g} KB"
    )


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_json(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def _error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status_code=status, message=message, status=status)


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        close = getattr(app.state.exchange.log, "close", None)
        if close is not None:  # calls already served are in the log before the process ends
            close()

    app = FastAPI(
        lifespan=lifespan,
        title="govdata 政务数据资源管理平台 API",
        version="0.1.0",
        description="政务数据资源目录、资源中心、共享交换、开放与监督。认证：`Authorization: Bearer <API 令牌>`。"
        '错误统一为 `{"error": {"code", "message"}}`。',
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> Response:
        # Swagger UI from the package's own static files: pages must work without a CDN.
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="govdata API 文档",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.clock = clock or SystemClock()
    app.state.templates = make_templates()
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, LoginRequired) and not _is_api(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if _is_api(request):
            return _error_json(exc.http_status, exc.code, exc.message, exc.details or None)
        return _error_page(request, exc.http_status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        message, details = validation_message(exc.errors())
        if _is_api(request):
            return _error_json(422, "invalid_input", message, details)
        return _error_page(request, 422, message)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        """A number the database cannot hold (an id past 2^63 in a path, say): bad input, not a crash.

        The request's session is rolled back by its dependency, so nothing was written."""
        message = "编号或数值超出允许范围"
        if _is_api(request):
            return _error_json(422, "invalid_input", message)
        return _error_page(request, 422, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "页面或接口不存在", 405: "不支持该请求方法", 401: "请先登录", 403: "没有权限"}
        message = messages.get(exc.status_code, str(exc.detail))
        if _is_api(request) or request.url.path.startswith("/static/"):
            return _error_json(exc.status_code, "http_error", message)
        return _error_page(request, exc.status_code, message)

    from govdata.audit import api as audit_api
    from govdata.audit import web as audit_web
    from govdata.catalog import api as catalog_api
    from govdata.catalog import web as catalog_web
    from govdata.catalog import web_editor as catalog_web_editor
    from govdata.catalog import web_review as catalog_web_review
    from govdata.opendata import api as opendata_api
    from govdata.opendata import apply_api as opendata_apply_api
    from govdata.opendata import ckan as opendata_ckan
    from govdata.opendata import dcat as opendata_dcat
    from govdata.opendata import feedback_api as opendata_feedback_api
    from govdata.opendata import web_apply as opendata_web_apply
    from govdata.opendata import web_feedback as opendata_web_feedback
    from govdata.opendata import web_listings as opendata_web_listings
    from govdata.opendata import web_portal as opendata_web_portal
    from govdata.opendata.files import store_from
    from govdata.opendata.search import ResultCache
    from govdata.org import api as org_api
    from govdata.org import provider_api as org_provider_api
    from govdata.org import web as org_web
    from govdata.org import web_providers as org_web_providers
    from govdata.pool import api as pool_api
    from govdata.pool import web as pool_web
    from govdata.pool import web_base as pool_web_base
    from govdata.pool import web_themes as pool_web_themes
    from govdata.quality import api as quality_api
    from govdata.quality import correction_api as quality_correction_api
    from govdata.quality import web as quality_web
    from govdata.quality import web_corrections as quality_web_corrections
    from govdata.quality import web_subject as quality_web_subject
    from govdata.sharing import api as sharing_api
    from govdata.sharing import exchange_api as sharing_exchange_api
    from govdata.sharing import web as sharing_web
    from govdata.sharing.calllog import GroupLog
    from govdata.sharing.exchange import Runtime
    from govdata.supervision import api as supervision_api
    from govdata.supervision import api_evaluation as supervision_api_evaluation
    from govdata.supervision import asset_api as supervision_asset_api
    from govdata.supervision import asset_web as supervision_asset_web
    from govdata.supervision import project_api as supervision_project_api
    from govdata.supervision import project_web as supervision_project_web
    from govdata.supervision import web as supervision_web
    from govdata.supervision import web_evaluation as supervision_web_evaluation
    from govdata.supervision import web_reports as supervision_web_reports

    app.state.exchange = Runtime(log=GroupLog(app.state.session_factory, app.state.clock))
    # Open datasets' bodies kept between downloads (opendata.files); GOVDATA_OPEN_FILES_DIR="" turns it off.
    app.state.open_files = store_from(settings.open_files_dir)
    # The portal's recent search answers and facet groups, exact (see opendata.search); GOVDATA_OPEN_SEARCH_CACHE=0
    # keeps no answers (the facet groups stay: they are rebuilt after every change of the catalog).
    app.state.open_search = ResultCache(max(settings.open_search_cache, 0))

    # The exchange first: department systems call it far more often than anything else, and routes match in order.
    for router in (
        sharing_exchange_api.router,
        org_api.router,
        org_provider_api.router,
        catalog_api.router,
        audit_api.router,
        pool_api.router,
        quality_api.router,
        quality_correction_api.router,
        sharing_api.router,
        opendata_api.router,
        opendata_apply_api.router,
        opendata_feedback_api.router,
        supervision_api.router,
        supervision_api_evaluation.router,
        supervision_project_api.router,
        supervision_asset_api.router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.include_router(opendata_ckan.router)  # CKAN's own paths: /api/3/action/… and /api/action/…
    for router in (
        org_web.router,
        org_web_providers.router,
        catalog_web_editor.router,
        catalog_web.router,
        catalog_web_review.router,
        audit_web.router,
        pool_web.router,
        pool_web_base.router,
        pool_web_themes.router,
        quality_web.router,
        quality_web_corrections.router,
        quality_web_subject.router,
        sharing_web.router,
        opendata_dcat.router,
        opendata_web_apply.router,
        opendata_web_feedback.router,
        opendata_web_listings.router,
        opendata_web_portal.router,
        supervision_web.router,
        supervision_web_evaluation.router,
        supervision_web_reports.router,
        supervision_project_web.router,
        supervision_asset_web.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    return app

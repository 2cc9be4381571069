"""Application credentials for the exchange API: a department system signs in as itself, never as a person.

The secret is 256 random bits, so a plain SHA-256 digest is safe to store and cheap to check on every call
(argon2 would cost more than the call itself). Rate limits are kept per application in the serving process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.context import Ctx
from govdata.errors import DomainError, InvalidInput, NotFound, Unauthenticated
from govdata.sharing.models import ShareApp
from govdata.sharing.schemas import AppIn

PREFIX = "gdx"


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_app(ctx: Ctx, actor: Actor, data: AppIn) -> tuple[ShareApp, str]:
    """Returns the credential in plain text once; only its digest is kept."""
    require(actor, Permission.SHARE_APP)
    if actor.org_id is None:
        raise InvalidInput("应用凭证属于某个政务部门，请用部门账号创建")
    client_id = f"{PREFIX}{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    app = ShareApp(
        org_id=actor.org_id,
        name=data.name,
        client_id=client_id,
        secret_hash=digest(secret),
        rate_per_minute=data.rate_per_minute,
        active=True,
        created_by_id=actor.user_id,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(app)
    ctx.session.flush()
    record(
        ctx,
        actor,
        "share.app.create",
        "share_app",
        app.id,
        detail={"name": data.name, "client_id": client_id},
    )
    return app, f"{client_id}.{secret}"


def list_apps(ctx: Ctx, actor: Actor) -> list[ShareApp]:
    require(actor, Permission.SHARE_APP)
    stmt = select(ShareApp).where(ShareApp.org_id == actor.org_id).order_by(ShareApp.id.desc())
    return list(ctx.session.execute(stmt).scalars())


def revoke_app(ctx: Ctx, actor: Actor, app_id: int) -> ShareApp:
    require(actor, Permission.SHARE_APP)
    app = ctx.session.get(ShareApp, app_id)
    if app is None or (not actor.is_system and app.org_id != actor.org_id):
        raise NotFound(f"应用凭证 {app_id} 不存在或无权访问")
    if not app.active:
        raise InvalidInput("该应用凭证已停用")
    app.active, app.revoked_at = False, ctx.clock.now()
    record(ctx, actor, "share.app.revoke", "share_app", app.id, detail={"client_id": app.client_id})
    return app


def split_credential(credential: str) -> tuple[str, str]:
    client_id, _, secret = credential.partition(".")
    if not client_id.startswith(PREFIX) or not secret:
        raise Unauthenticated("请提供应用凭证：Authorization: Bearer <client_id>.<secret>")
    return client_id, secret


def verify_secret(app: ShareApp | None, secret: str) -> ShareApp:
    if app is None or not hmac.comparedigest(app.secret_hash, digest(secret)):
        raise Unauthenticated("应用凭证无效")
    if not app.active:
        raise Unauthenticated("应用凭证已停用")
    return app


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """A token bucket per application: `rate_per_minute` calls, refilled continuously."""

    buckets: dict[int, _Bucket] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, app_id: int, rate_per_minute: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self.lock:
            bucket = self.buckets.get(app_id)
            if bucket is None:
                bucket = self.buckets[app_id] = _Bucket(tokens=float(rate_per_minute), at=now)
            bucket.tokens = min(
                float(rate_per_minute), bucket.tokens + (now - bucket.at) * rate_per_minute / 60
            )
            bucket.at = now
            if bucket.tokens < 1:
                raise RateLimited(f"调用过于频繁：该应用每分钟最多调用 {rate_per_minute} 次，请稍后重试")
            bucket.tokens -= 1

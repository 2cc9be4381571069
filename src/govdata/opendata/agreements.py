"""Signing a text online (AB32, SC33, SX20): the exact words, their version and SM3 digest, the signer, the time.

The text is stored as signed, with its terms filled in, so what was agreed can be shown and checked later
(`verify`): a changed word changes the digest.
"""

from __future__ import annotations

from sqlalchemy import select

from govdata.audit.service import record, sm3_hex
from govdata.authz import Actor
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden
from govdata.opendata.models import Agreement, AgreementKind
from govdata.org.models import User

KIND_LABELS: dict[AgreementKind, str] = {
    AgreementKind.SECURITY_COMMITMENT: "数据安全承诺书",
    AgreementKind.DATA_USE: "数据使用协议",
    AgreementKind.DEVELOPMENT: "授权开发协议",
}


def sign(
    ctx: Ctx,
    actor: Actor,
    kind: AgreementKind,
    text_version: str,
    text: str,
    *,
    application_id: int | None = None,
    development_id: int | None = None,
) -> Agreement:
    """Record one signature; the same text is signed once per application or development case."""
    if actor.user_id is None:
        raise Forbidden("须以本人账号登录后在线签署")
    existing = ctx.session.scalars(
        select(Agreement).where(
            Agreement.kind == kind,
            Agreement.application_id.is_(None)
            if application_id is None
            else Agreement.application_id == application_id,
            Agreement.development_id.is_(None)
            if development_id is None
            else Agreement.development_id == development_id,
        )
    ).first()
    if existing is not None:
        raise Conflict(f"{KIND_LABELS[kind]}已于 {existing.signed_at:%Y-%m-%d %H:%M} 签署，无需重复签署")
    user = ctx.session.get(User, actor.user_id)
    agreement = Agreement(
        kind=kind,
        application_id=application_id,
        development_id=development_id,
        text_version=text_version,
        text=text,
        text_sm3=sm3_hex(text.encode("utf-8")),
        signer_id=actor.user_id,
        signer_name=actor.display_name,
        signer_subject_id=user.subject_id if user else None,
        signed_at=ctx.clock.now(),
    )
    ctx.session.add(agreement)
    ctx.session.flush()
    record(ctx, actor, f"open.agreement.sign.{kind.value}", "open_agreement", agreement.id,
           detail={"version": text_version, "sm3": agreement.text_sm3,
                   "application": application_id, "development": development_id})  # fmt: skip
    return agreement


def verify(agreement: Agreement) -> bool:
    """The stored words still hash to the digest recorded at signing."""
    return sm3_hex(agreement.text.encode("utf-8")) == agreement.text_sm3

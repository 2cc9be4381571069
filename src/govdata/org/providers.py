"""Technical service providers (SEC-7): the company, its contract, its staff accounts, the contract's end and the
recorded destruction of the provider's copies.

AB39: a provider passes a security review and signs a confidentiality agreement with the outsourcing contract;
when the contract ends, its accounts are revoked or their passwords reset and the provider deletes the data
irreversibly (overwriting, physical destruction) under supervision. SC41: providers may not keep, use or pass on
the data. So: no account before both the review and the agreement are on record; at the contract's end (the end
date passed, or ended early by hand) every account is disabled, its password made unusable, its API tokens
revoked and its web sessions deleted — by `end_contracts` (the scheduled job) and, independently, by the login
and token checks in `org.service.account_usable`, which compare the account's end date (the contract's) with
today; a contract closes only once the destruction is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select, update
from stdnum.cn import uscc

from govdata.audit.queries import list_events
from govdata.audit.service import record
from govdata.authz import Actor, Permission, require, system_actor
from govdata.context import Ctx
from govdata.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from govdata.org import service as org_service
from govdata.org.models import (
    ApiToken,
    ContractState,
    DestructionMethod,
    Organization,
    OrgKind,
    ProviderAccount,
    ProviderContract,
    ProviderDestruction,
    Role,
    User,
    WebSession,
)
from govdata.textguard import OptionalSafeText, SafeText

ENDING_SOON_DAYS = 30  # the page warns a month ahead: time to extend, or to plan the hand-over
UNUSABLE_PASSWORD = "!contract-ended"  # not an argon2 hash: every password check fails (AB39 "重置密码")


# ---------------------------------------------------------------- inputs


_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProviderIn(BaseModel):
    model_config = _STRICT
    name: SafeText = Field(min_length=2, max_length=200, title="单位名称")
    uscc: str = Field(min_length=18, max_length=18, title="统一社会信用代码")


class ContractIn(BaseModel):
    model_config = _STRICT
    provider_id: int = Field(title="技术服务单位")
    number: SafeText = Field(min_length=1, max_length=60, title="合同编号")
    scope: SafeText = Field(min_length=2, max_length=4000, title="服务范围")
    start_date: dt.date = Field(title="起始日期")
    end_date: dt.date = Field(title="终止日期")
    security_review_on: dt.date | None = Field(default=None, title="安全审查日期")
    security_review_by: OptionalSafeText = Field(default=None, max_length=200, title="安全审查单位")
    confidentiality_signed_on: dt.date | None = Field(default=None, title="保密协议签订日期")


class ClearanceIn(BaseModel):
    model_config = _STRICT
    security_review_on: dt.date = Field(title="安全审查日期")
    security_review_by: SafeText = Field(min_length=2, max_length=200, title="安全审查单位")
    confidentiality_signed_on: dt.date = Field(title="保密协议签订日期")


class AccountIn(BaseModel):
    model_config = _STRICT
    username: str = Field(min_length=3, max_length=64, title="用户名")
    display_name: SafeText = Field(min_length=1, max_length=100, title="姓名")
    password: str = Field(min_length=8, max_length=200, title="初始密码")


class EndIn(BaseModel):
    model_config = _STRICT
    reason: SafeText = Field(min_length=2, max_length=2000, title="终止理由")


class ExtendIn(BaseModel):
    model_config = _STRICT
    end_date: dt.date = Field(title="续期后的终止日期")
    basis: SafeText = Field(min_length=2, max_length=2000, title="续期依据（续签合同或补充协议）")


class DestructionIn(BaseModel):
    model_config = _STRICT
    data_description: SafeText = Field(min_length=2, max_length=4000, title="销毁的数据")
    method: DestructionMethod = Field(title="销毁方式")
    method_detail: SafeText = Field(min_length=2, max_length=4000, title="销毁过程说明")
    destroyed_on: dt.date = Field(title="销毁日期")
    witnessed_by: SafeText = Field(min_length=2, max_length=200, title="监督见证人")
    statement: SafeText = Field(min_length=2, max_length=4000, title="服务单位签署的声明")
    statement_signed_by: SafeText = Field(min_length=1, max_length=100, title="声明签署人")


# ---------------------------------------------------------------- providers


def register_provider(ctx: Ctx, actor: Actor, data: ProviderIn) -> Organization:
    """A provider company is an organisation of kind service_provider in the authority's region."""
    require(actor, Permission.PROVIDER_MANAGE)
    if actor.region_id is None and not actor.is_system:
        raise InvalidInput("只有数据主管机构的人员可以登记技术服务单位")
    code = data.uscc.upper()
    if not uscc.is_valid(code):
        raise InvalidInput(f"统一社会信用代码无效（GB 32100 校验不通过）：{data.uscc}")
    region_id = actor.region_id
    if region_id is None:
        raise InvalidInput("系统身份须指明行政区划")
    same = ctx.session.execute(
        select(Organization).where(Organization.region_id == region_id, Organization.name == data.name)
    ).scalar_one_or_none()
    if same is not None:
        raise Conflict(f"本行政区划已有名为“{data.name}”的单位")
    taken = ctx.session.execute(
        select(Organization.name).where(
            Organization.uscc == code, Organization.kind == OrgKind.SERVICE_PROVIDER
        )
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(f"统一社会信用代码 {code} 已登记为技术服务单位“{taken}”")
    org = Organization(
        name=data.name, short_name=data.name[:50], kind=OrgKind.SERVICE_PROVIDER, region_id=region_id,
        org_code=code, uscc=code,
    )  # fmt: skip
    ctx.session.add(org)
    ctx.session.flush()
    record(ctx, actor, "provider.register", "organization", org.id, detail={"name": org.name, "uscc": code})
    return org


def list_providers(ctx: Ctx, actor: Actor) -> list[Organization]:
    require(actor, Permission.PROVIDER_MANAGE)
    rows = ctx.session.execute(
        select(Organization).where(Organization.kind == OrgKind.SERVICE_PROVIDER).order_by(Organization.name)
    ).scalars()
    return [o for o in rows if actor.is_system or o.region.path.startswith(actor.region_path or "\0")]


def _provider(ctx: Ctx, actor: Actor, provider_id: int) -> Organization:
    org = ctx.session.get(Organization, provider_id)
    if org is None or org.kind != OrgKind.SERVICE_PROVIDER:
        raise NotFound(f"技术服务单位 {provider_id} 不存在")
    require(actor, Permission.PROVIDER_MANAGE, region_path=org.region.path, hide=True)
    return org


# ---------------------------------------------------------------- contracts


def create_contract(ctx: Ctx, actor: Actor, data: ContractIn) -> ProviderContract:
    require(actor, Permission.PROVIDER_MANAGE)
    provider = _provider(ctx, actor, data.provider_id)
    authority = org_service.authority_of(ctx.session, actor.region_id) if actor.region_id else None
    if authority is None:
        raise InvalidInput("只有数据主管机构的人员可以登记技术服务合同")
    number = data.number.strip()
    if not number:
        raise InvalidInput("请填写合同编号")
    if data.end_date < data.start_date:
        raise InvalidInput("合同终止日期不能早于起始日期")
    if data.end_date < ctx.clock.today():
        raise InvalidInput(f"合同终止日期 {data.end_date} 已过，不能登记为履行中的合同")
    review_by = (data.security_review_by or "").strip() or None
    if (data.security_review_on is None) != (review_by is None):
        raise InvalidInput("安全审查须同时填写审查日期和审查单位")
    _check_not_future(ctx, data.security_review_on, "安全审查日期")
    _check_not_future(ctx, data.confidentiality_signed_on, "保密协议签订日期")
    if ctx.session.execute(
        select(ProviderContract.id).where(
            ProviderContract.authority_id == authority.id, ProviderContract.number == number
        )
    ).first():
        raise Conflict(f"合同编号 {number} 已登记")
    contract = ProviderContract(
        provider_id=provider.id, authority_id=authority.id, region_path=actor.region_path or "",
        number=number, scope=data.scope.strip(), start_date=data.start_date, end_date=data.end_date,
        security_review_on=data.security_review_on, security_review_by=review_by,
        confidentiality_signed_on=data.confidentiality_signed_on, state=ContractState.ACTIVE,
        created_by_id=actor.user_id, created_at=ctx.clock.now(),
    )  # fmt: skip
    ctx.session.add(contract)
    ctx.session.flush()
    record(ctx, actor, "provider.contract.create", "provider_contract", contract.id,
           detail={"provider": provider.name, "number": number, "start": str(data.start_date),
                   "end": str(data.end_date)})  # fmt: skip
    return contract


def _check_not_future(ctx: Ctx, day: dt.date | None, label: str) -> None:
    if day is not None and day > ctx.clock.today():
        raise InvalidInput(f"{label}不能晚于今天（{ctx.clock.today()}）")


def get_contract(ctx: Ctx, actor: Actor, contract_id: int) -> ProviderContract:
    contract = ctx.session.get(ProviderContract, contract_id)
    if contract is None:
        raise NotFound(f"技术服务合同 {contract_id} 不存在")
    require(actor, Permission.PROVIDER_MANAGE, region_path=contract.region_path, hide=True)
    return contract


def list_contracts(ctx: Ctx, actor: Actor) -> list[ProviderContract]:
    require(actor, Permission.PROVIDER_MANAGE)
    query = select(ProviderContract).order_by(ProviderContract.end_date, ProviderContract.id)
    if not actor.is_system:
        query = query.where(ProviderContract.region_path.startswith(actor.region_path or "\0"))
    return list(ctx.session.execute(query).scalars())


def record_clearance(ctx: Ctx, actor: Actor, contract_id: int, data: ClearanceIn) -> ProviderContract:
    """The security review and the confidentiality agreement (AB39), required before any account."""
    contract = get_contract(ctx, actor, contract_id)
    if contract.state != ContractState.ACTIVE:
        raise InvalidTransition("合同已终止，不能再补记安全审查或保密协议")
    _check_not_future(ctx, data.security_review_on, "安全审查日期")
    _check_not_future(ctx, data.confidentiality_signed_on, "保密协议签订日期")
    contract.security_review_on = data.security_review_on
    contract.security_review_by = data.security_review_by.strip()
    contract.confidentiality_signed_on = data.confidentiality_signed_on
    record(ctx, actor, "provider.contract.clearance", "provider_contract", contract.id,
           detail={"review_on": str(data.security_review_on), "review_by": contract.security_review_by,
                   "confidentiality_on": str(data.confidentiality_signed_on)})  # fmt: skip
    return contract


def cleared(contract: ProviderContract) -> bool:
    return contract.security_review_on is not None and contract.confidentiality_signed_on is not None


def accounts_of(ctx: Ctx, contract_id: int) -> list[ProviderAccount]:
    return list(
        ctx.session.execute(
            select(ProviderAccount)
            .where(ProviderAccount.contract_id == contract_id)
            .order_by(ProviderAccount.id)
        ).scalars()
    )


def add_account(ctx: Ctx, actor: Actor, contract_id: int, data: AccountIn) -> User:
    """A staff account of the provider, valid to the contract's end date and no longer."""
    contract = get_contract(ctx, actor, contract_id)
    if contract.state != ContractState.ACTIVE or ctx.clock.today() > contract.end_date:
        raise InvalidTransition("合同已终止或已到期，不能再开设账号")
    if not cleared(contract):
        raise InvalidTransition("须先记录安全审查和保密协议签订情况，才能为技术服务单位开设账号（AB39）")
    user = org_service.create_user(
        ctx, actor,
        org_service.NewUser(
            username=data.username.strip(), display_name=data.display_name, role=Role.TECH_PROVIDER,
            password=data.password, org_id=contract.provider_id, account_end_date=contract.end_date,
        ),
    )  # fmt: skip
    ctx.session.add(ProviderAccount(contract_id=contract.id, user_id=user.id, created_at=ctx.clock.now()))
    ctx.session.flush()
    record(ctx, actor, "provider.account.create", "provider_contract", contract.id,
           detail={"user_id": user.id, "username": user.username, "until": str(contract.end_date)})  # fmt: skip
    return user


def attach_account(ctx: Ctx, actor: Actor, contract_id: int, user_id: int) -> User:
    """Tie an existing staff account of the provider to a contract (accounts made before contracts were recorded):
    from now on it ends with the contract."""
    contract = get_contract(ctx, actor, contract_id)
    user = ctx.session.get(User, user_id)
    if user is None or user.role != Role.TECH_PROVIDER or user.org_id != contract.provider_id:
        raise InvalidInput("只能关联该技术服务单位的服务人员账号")
    if contract.state != ContractState.ACTIVE or not cleared(contract):
        raise InvalidTransition("只有已完成安全审查和保密协议、仍在履行中的合同才能关联账号")
    if ctx.session.execute(select(ProviderAccount.id).where(ProviderAccount.user_id == user.id)).first():
        raise Conflict(f"账号 {user.username} 已关联合同")
    user.account_end_date = contract.end_date
    ctx.session.add(ProviderAccount(contract_id=contract.id, user_id=user.id, created_at=ctx.clock.now()))
    ctx.session.flush()
    record(ctx, actor, "provider.account.attach", "provider_contract", contract.id,
           detail={"user_id": user.id, "username": user.username, "until": str(contract.end_date)})  # fmt: skip
    return user


def end_contract(ctx: Ctx, actor: Actor, contract_id: int, data: EndIn) -> ProviderContract:
    """End a contract early by hand (terminated, void, revoked): its accounts stop at once."""
    contract = get_contract(ctx, actor, contract_id)
    if contract.state != ContractState.ACTIVE:
        raise InvalidTransition("合同已终止")
    _end(ctx, actor, contract, data.reason.strip())
    return contract


EXTEND_ACTION = "provider.contract.extend"


def extend_contract(ctx: Ctx, actor: Actor, contract_id: int, data: ExtendIn) -> ProviderContract:
    """A renewed or supplemented contract moves the end date, and with it the end of every account still in use.
    Only before the end: once the end date has passed the accounts have stopped, and a new contract (with its own
    security review and confidentiality agreement) is registered instead."""
    contract = get_contract(ctx, actor, contract_id)
    today, old = ctx.clock.today(), contract.end_date
    if contract.state != ContractState.ACTIVE:
        raise InvalidTransition("合同已终止，不能续期；如继续合作，请登记新合同")
    if today > old:
        raise InvalidTransition(
            f"合同已于 {old.isoformat()} 到期，账号已按期停用，不能续期：请登记新合同并重新记录安全审查和保密协议"
        )
    if data.end_date <= old:
        raise InvalidInput(f"续期后的终止日期须晚于原终止日期 {old.isoformat()}")
    contract.end_date = data.end_date
    moved = []
    for link in accounts_of(ctx, contract.id):
        if link.disabled_at is None and link.user.account_end_date == old:
            link.user.account_end_date = data.end_date
            moved.append(link.user.username)
    record(ctx, actor, EXTEND_ACTION, "provider_contract", contract.id,
           detail={"from": old, "to": data.end_date, "basis": data.basis.strip(), "accounts": moved})  # fmt: skip
    return contract


@dataclass(frozen=True)
class Extension:
    at: dt.datetime
    by: str
    old: str
    new: str
    basis: str


def extensions_of(ctx: Ctx, contract_id: int) -> list[Extension]:
    """The contract's renewals, read back from the audit events that record them (the record nobody can edit)."""
    page = list_events(
        ctx, system_actor("contract-renewals"), action=EXTEND_ACTION, object_type="provider_contract",
        object_id=str(contract_id), size=1000,
    )  # fmt: skip
    out = []
    for event in sorted(page.items, key=lambda e: e.seq):
        detail = json.loads(event.detail or "{}")
        out.append(Extension(event.at, event.actor_name, str(detail.get("from", "")), str(detail.get("to", "")),
                             str(detail.get("basis", ""))))  # fmt: skip
    return out


def _end(ctx: Ctx, actor: Actor, contract: ProviderContract, reason: str) -> None:
    contract.state = ContractState.ENDED
    contract.ended_on = ctx.clock.today()
    contract.end_reason = reason
    contract.ended_by_id = actor.user_id
    disabled = _disable_accounts(ctx, actor, contract)
    record(ctx, actor, "provider.contract.end", "provider_contract", contract.id,
           detail={"reason": reason, "accounts_disabled": disabled})  # fmt: skip


def _disable_accounts(ctx: Ctx, actor: Actor, contract: ProviderContract) -> list[str]:
    """Disable, make the password unusable, revoke tokens, delete sessions; accounts already done are skipped
    for the audit but still swept (a token made by hand in between is revoked too)."""
    now = ctx.clock.now()
    names: list[str] = []
    for link in accounts_of(ctx, contract.id):
        user = link.user
        revoked = ctx.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        sessions = ctx.session.execute(delete(WebSession).where(WebSession.user_id == user.id)).rowcount
        if not user.active and link.disabled_at is not None and not revoked and not sessions:
            continue
        user.active = False
        user.password_hash = UNUSABLE_PASSWORD
        last = _last_day(contract)
        if user.account_end_date is None or user.account_end_date > last:
            user.account_end_date = last
        link.disabled_at = link.disabled_at or now
        names.append(user.username)
        record(ctx, actor, "user.disable", "user", user.id,
               detail={"reason": "技术服务合同终止", "contract_id": contract.id, "tokens_revoked": revoked,
                       "sessions_closed": sessions})  # fmt: skip
    return names


def _last_day(contract: ProviderContract) -> dt.date:
    """The last day an account may work: the end date, or the day before an early end."""
    if contract.ended_on is not None and contract.ended_on <= contract.end_date:
        return contract.ended_on - dt.timedelta(days=1)
    return contract.end_date


def end_contracts(ctx: Ctx, actor: Actor | None = None) -> int:
    """The scheduled job: end every contract whose end date has passed and sweep accounts of ended contracts.
    Idempotent — a second run the same day changes nothing. Returns how many contracts it ended."""
    actor = actor or system_actor("provider contract end")
    require(actor, Permission.PROVIDER_MANAGE)
    today = ctx.clock.today()
    due = (
        ctx.session.execute(
            select(ProviderContract).where(
                ProviderContract.state == ContractState.ACTIVE, ProviderContract.end_date < today
            )
        )
        .scalars()
        .all()
    )
    for contract in due:
        _end(ctx, actor, contract, f"合同期满（终止日期 {contract.end_date}）")
    ended = (
        ctx.session.execute(select(ProviderContract).where(ProviderContract.state != ContractState.ACTIVE))
        .scalars()
        .all()
    )
    for contract in ended:
        if contract not in due:
            _disable_accounts(ctx, actor, contract)
    return len(due)


def record_destruction(ctx: Ctx, actor: Actor, contract_id: int, data: DestructionIn) -> ProviderDestruction:
    """The provider's copies destroyed irreversibly, witnessed, with its signed statement; closes the contract."""
    contract = get_contract(ctx, actor, contract_id)
    if contract.state == ContractState.ACTIVE:
        raise InvalidTransition("合同尚在履行中：请先终止合同，再记录数据销毁")
    if contract.state == ContractState.CLOSED:
        raise InvalidTransition("该合同的数据销毁已记录，合同已关闭")
    _check_not_future(ctx, data.destroyed_on, "销毁日期")
    if data.destroyed_on < contract.start_date:
        raise InvalidInput("销毁日期不能早于合同起始日期")
    destruction = ProviderDestruction(
        contract_id=contract.id, data_description=data.data_description.strip(), method=data.method,
        method_detail=data.method_detail.strip(), destroyed_on=data.destroyed_on,
        witnessed_by=data.witnessed_by.strip(), statement=data.statement.strip(),
        statement_signed_by=data.statement_signed_by.strip(), recorded_by_id=actor.user_id,
        recorded_at=ctx.clock.now(),
    )  # fmt: skip
    ctx.session.add(destruction)
    contract.state = ContractState.CLOSED
    contract.closed_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, actor, "provider.contract.destruction", "provider_contract", contract.id,
           detail={"method": data.method, "destroyed_on": str(data.destroyed_on),
                   "witnessed_by": destruction.witnessed_by, "data": destruction.data_description})  # fmt: skip
    return destruction


def destruction_of(ctx: Ctx, contract_id: int) -> ProviderDestruction | None:
    return ctx.session.execute(
        select(ProviderDestruction).where(ProviderDestruction.contract_id == contract_id)
    ).scalar_one_or_none()


# ---------------------------------------------------------------- the overview


@dataclass
class Overview:
    current: list[ProviderContract]
    ending_soon: list[ProviderContract]
    pending_destruction: list[ProviderContract]
    closed: list[ProviderContract]


def overview(ctx: Ctx, actor: Actor) -> Overview:
    contracts = list_contracts(ctx, actor)
    soon = ctx.clock.today() + dt.timedelta(days=ENDING_SOON_DAYS)
    active = [c for c in contracts if c.state == ContractState.ACTIVE]
    return Overview(
        current=[c for c in active if c.end_date > soon],
        ending_soon=[c for c in active if c.end_date <= soon],
        pending_destruction=[c for c in contracts if c.state == ContractState.ENDED],
        closed=[c for c in contracts if c.state == ContractState.CLOSED],
    )

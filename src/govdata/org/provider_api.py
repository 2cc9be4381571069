"""JSON routes for technical service providers and their contracts (SEC-7); rules live in `org.providers`."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from govdata.context import Ctx
from govdata.org import providers
from govdata.org.models import ContractState, DestructionMethod, ProviderContract
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(prefix="/providers", tags=["技术服务单位"])


class ProviderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    uscc: str | None


class AccountOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    active: bool
    account_end_date: dt.date | None


class DestructionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    data_description: str
    method: DestructionMethod
    method_detail: str
    destroyed_on: dt.date
    witnessed_by: str
    statement: str
    statement_signed_by: str
    recorded_at: dt.datetime


class ContractOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    provider_id: int
    provider_name: str
    number: str
    scope: str
    start_date: dt.date
    end_date: dt.date
    security_review_on: dt.date | None
    security_review_by: str | None
    confidentiality_signed_on: dt.date | None
    state: ContractState
    ended_on: dt.date | None
    end_reason: str | None
    closed_at: dt.datetime | None
    accounts: list[AccountOut] = []
    destruction: DestructionOut | None = None


class UserCreatedOut(BaseModel):
    user_id: int
    username: str
    account_end_date: dt.date | None


def _out(ctx: Ctx, contract: ProviderContract) -> ContractOut:
    accounts = [
        AccountOut(user_id=a.user.id, username=a.user.username, display_name=a.user.display_name,
                   active=a.user.active, account_end_date=a.user.account_end_date)
        for a in providers.accounts_of(ctx, contract.id)
    ]  # fmt: skip
    found = providers.destruction_of(ctx, contract.id)
    return ContractOut.model_validate(
        {
            **{k: getattr(contract, k) for k in ContractOut.model_fields if hasattr(contract, k)},
            "provider_name": contract.provider.name,
            "accounts": accounts,
            "destruction": DestructionOut.model_validate(found) if found else None,
        }
    )


@router.get("", response_model=list[ProviderOut], summary="技术服务单位")
def list_providers(ctx: CtxDep, actor: ApiActor) -> list[ProviderOut]:
    return [ProviderOut.model_validate(p) for p in providers.list_providers(ctx, actor)]


@router.post("", response_model=ProviderOut, status_code=201, summary="登记技术服务单位")
def register_provider(ctx: CtxDep, actor: ApiActor, body: providers.ProviderIn) -> ProviderOut:
    return ProviderOut.model_validate(providers.register_provider(ctx, actor, body))


@router.get("/contracts", response_model=list[ContractOut], summary="技术服务合同")
def list_contracts(ctx: CtxDep, actor: ApiActor) -> list[ContractOut]:
    return [_out(ctx, c) for c in providers.list_contracts(ctx, actor)]


@router.post("/contracts", response_model=ContractOut, status_code=201, summary="登记技术服务合同")
def create_contract(ctx: CtxDep, actor: ApiActor, body: providers.ContractIn) -> ContractOut:
    return _out(ctx, providers.create_contract(ctx, actor, body))


@router.get("/contracts/{contract_id}", response_model=ContractOut, summary="合同详情、账号与数据销毁记录")
def get_contract(ctx: CtxDep, actor: ApiActor, contract_id: int) -> ContractOut:
    return _out(ctx, providers.get_contract(ctx, actor, contract_id))


@router.post(
    "/contracts/{contract_id}/clearance", response_model=ContractOut, summary="记录安全审查与保密协议"
)
def record_clearance(
    ctx: CtxDep, actor: ApiActor, contract_id: int, body: providers.ClearanceIn
) -> ContractOut:
    return _out(ctx, providers.record_clearance(ctx, actor, contract_id, body))


@router.post(
    "/contracts/{contract_id}/accounts", response_model=UserCreatedOut, status_code=201,
    summary="为技术服务单位人员开设账号（随合同到期失效）",
)  # fmt: skip
def add_account(ctx: CtxDep, actor: ApiActor, contract_id: int, body: providers.AccountIn) -> UserCreatedOut:
    user = providers.add_account(ctx, actor, contract_id, body)
    return UserCreatedOut(user_id=user.id, username=user.username, account_end_date=user.account_end_date)


@router.post(
    "/contracts/{contract_id}/extend", response_model=ContractOut, summary="合同续期（在用账号有效期随之延后）"
)
def extend_contract(ctx: CtxDep, actor: ApiActor, contract_id: int, body: providers.ExtendIn) -> ContractOut:
    return _out(ctx, providers.extend_contract(ctx, actor, contract_id, body))


@router.post(
    "/contracts/{contract_id}/end", response_model=ContractOut, summary="提前终止合同（账号立即停用）"
)
def end_contract(ctx: CtxDep, actor: ApiActor, contract_id: int, body: providers.EndIn) -> ContractOut:
    return _out(ctx, providers.end_contract(ctx, actor, contract_id, body))


@router.post(
    "/contracts/{contract_id}/destruction", response_model=ContractOut, summary="记录数据销毁并关闭合同"
)
def record_destruction(
    ctx: CtxDep, actor: ApiActor, contract_id: int, body: providers.DestructionIn
) -> ContractOut:
    providers.record_destruction(ctx, actor, contract_id, body)
    return _out(ctx, providers.get_contract(ctx, actor, contract_id))

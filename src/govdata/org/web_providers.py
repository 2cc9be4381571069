"""Pages for technical service providers (SEC-7): the overview (contracts in force, ending soon, ended with the
destruction pending, closed) with the forms to register a provider and a contract, and one contract's page with
its clearance, accounts, early end and destruction record. Routes only read and call `org.providers`; a refused
form is shown again with what was typed and the Chinese reason, nothing of it written."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from govdata.authz import Actor
from govdata.context import Ctx
from govdata.org import providers
from govdata.org.models import CONTRACT_STATE_LABELS, DESTRUCTION_METHOD_LABELS, ContractState
from govdata.web_support import (
    FORM_ERRORS,
    CtxDep,
    PageActor,
    Posted,
    check_csrf,
    form_text,
    parse_form,
    redirect_with,
    render,
)

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
LABELS = {
    "name": "单位名称",
    "uscc": "统一社会信用代码",
    "provider_id": "技术服务单位",
    "number": "合同编号",
    "scope": "服务范围",
    "start_date": "起始日期",
    "end_date": "终止日期",
    "security_review_on": "安全审查日期",
    "basis": "续期依据",
    "security_review_by": "安全审查单位",
    "confidentiality_signed_on": "保密协议签订日期",
    "username": "用户名",
    "display_name": "姓名",
    "password": "初始密码",
    "reason": "终止理由",
    "data_description": "销毁的数据",
    "method": "销毁方式",
    "method_detail": "销毁过程说明",
    "destroyed_on": "销毁日期",
    "witnessed_by": "监督见证人",
    "statement": "服务单位签署的声明",
    "statement_signed_by": "声明签署人",
}
FIELDS = {
    "provider": ("name", "uscc"),
    "contract": ("provider_id", "number", "scope", "start_date", "end_date", "security_review_on",
                 "security_review_by", "confidentiality_signed_on"),
    "clearance": ("security_review_on", "security_review_by", "confidentiality_signed_on"),
    "account": ("username", "display_name", "password"),
    "end": ("reason",),
    "extend": ("end_date", "basis"),
    "destruction": ("data_description", "method", "method_detail", "destroyed_on", "witnessed_by", "statement",
                    "statement_signed_by"),
}  # fmt: skip


def _parse(model: type[BaseModel], data: dict[str, str]) -> Any:
    return parse_form(model, data, LABELS)


_go = redirect_with


def _common(ctx: Ctx) -> dict[str, Any]:
    return {
        "state_labels": CONTRACT_STATE_LABELS,
        "method_labels": DESTRUCTION_METHOD_LABELS,
        "today": ctx.clock.today(),
        "soon_days": providers.ENDING_SOON_DAYS,
    }


def _overview(request: Request, ctx: Ctx, actor: Actor, *, errors: list[str] | None = None, failed: str = "",
              kept: dict[str, str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    return render(
        request, "org/providers.html", status_code=status_code,
        board=providers.overview(ctx, actor), providers=providers.list_providers(ctx, actor),
        errors=errors or [], failed=failed, kept=kept or {}, **_common(ctx),
    )  # fmt: skip


@router.get("/providers")
def overview(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return _overview(request, ctx, actor)


@router.post("/providers", dependencies=[Csrf])
def register(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    kept = {k: form_text(form, k) for k in FIELDS["provider"]}
    try:
        org = providers.register_provider(ctx, actor, _parse(providers.ProviderIn, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _overview(request, ctx, actor, errors=[exc.message], failed="provider", kept=kept,
                         status_code=exc.http_status)  # fmt: skip
    return _go("/providers", f"已登记技术服务单位“{org.name}”，可为其登记合同")


@router.post("/providers/contracts", dependencies=[Csrf])
def create_contract(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    kept = {k: form_text(form, k) for k in FIELDS["contract"]}
    try:
        contract = providers.create_contract(ctx, actor, _parse(providers.ContractIn, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _overview(request, ctx, actor, errors=[exc.message], failed="contract", kept=kept,
                         status_code=exc.http_status)  # fmt: skip
    note = "" if providers.cleared(contract) else "；开设账号前须先记录安全审查和保密协议"
    return _go(f"/providers/contracts/{contract.id}",
               f"合同 {contract.number} 已登记，账号将于 {contract.end_date} 合同终止日后自动停用{note}")  # fmt: skip


def _contract(request: Request, ctx: Ctx, actor: Actor, contract_id: int, *, errors: list[str] | None = None,
              failed: str = "", kept: dict[str, str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    contract = providers.get_contract(ctx, actor, contract_id)
    return render(
        request, "org/provider_contract.html", status_code=status_code, contract=contract,
        accounts=providers.accounts_of(ctx, contract.id), destruction=providers.destruction_of(ctx, contract.id),
        extensions=providers.extensions_of(ctx, contract.id),
        cleared=providers.cleared(contract), active=contract.state == ContractState.ACTIVE,
        errors=errors or [], failed=failed, kept=kept or {}, **_common(ctx),
    )  # fmt: skip


@router.get("/providers/contracts/{contract_id}")
def contract_page(request: Request, ctx: CtxDep, actor: PageActor, contract_id: int) -> Response:
    return _contract(request, ctx, actor, contract_id)


def _act(request: Request, ctx: Ctx, actor: Actor, contract_id: int, form: Any, which: str,
         model: type[BaseModel], action: Any, message: Any) -> Response:  # fmt: skip
    providers.get_contract(ctx, actor, contract_id)  # 404 / 403 before reading the form
    kept = {k: form_text(form, k) for k in FIELDS[which]}
    try:
        done = action(ctx, actor, contract_id, _parse(model, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        kept.pop("password", None)
        return _contract(request, ctx, actor, contract_id, errors=[exc.message], failed=which, kept=kept,
                         status_code=exc.http_status)  # fmt: skip
    return _go(f"/providers/contracts/{contract_id}", message(done))


@router.post("/providers/contracts/{contract_id}/clearance", dependencies=[Csrf])
def clearance(request: Request, ctx: CtxDep, actor: PageActor, contract_id: int, form: Posted) -> Response:
    return _act(request, ctx, actor, contract_id, form, "clearance", providers.ClearanceIn,
                providers.record_clearance, lambda c: "已记录安全审查和保密协议，可以开设账号")  # fmt: skip


@router.post("/providers/contracts/{contract_id}/accounts", dependencies=[Csrf])
def add_account(request: Request, ctx: CtxDep, actor: PageActor, contract_id: int, form: Posted) -> Response:
    return _act(request, ctx, actor, contract_id, form, "account", providers.AccountIn, providers.add_account,
                lambda u: f"已开设账号 {u.username}，有效至 {u.account_end_date}（合同终止日），届时自动停用")  # fmt: skip


@router.post("/providers/contracts/{contract_id}/extend", dependencies=[Csrf])
def extend(request: Request, ctx: CtxDep, actor: PageActor, contract_id: int, form: Posted) -> Response:
    return _act(request, ctx, actor, contract_id, form, "extend", providers.ExtendIn, providers.extend_contract,
                lambda c: f"合同已续期至 {c.end_date}，在用账号的有效期随之延至同日")  # fmt: skip


@router.post("/providers/contracts/{contract_id}/end", dependencies=[Csrf])
def end(request: Request, ctx: CtxDep, actor: PageActor, contract_id: int, form: Posted) -> Response:
    return _act(request, ctx, actor, contract_id, form, "end", providers.EndIn, providers.end_contract,
                lambda c: "合同已终止：账号已停用、令牌已撤销、登录会话已清除；请督促服务单位销毁数据并记录")  # fmt: skip


@router.post("/providers/contracts/{contract_id}/destruction", dependencies=[Csrf])
def destruction(request: Request, ctx: CtxDep, actor: PageActor, contract_id: int, form: Posted) -> Response:
    return _act(request, ctx, actor, contract_id, form, "destruction", providers.DestructionIn,
                providers.record_destruction, lambda d: f"已记录 {d.destroyed_on} 的数据销毁，合同已关闭")  # fmt: skip

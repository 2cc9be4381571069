"""The demo's technical service providers (SEC-7): 数智科技 under a contract in force with its existing operations
account tied to it; 云维信息 whose contract ran out at the end of 2025, its account ended by the job and its copies'
destruction recorded (closed); 安信数据, ended early by hand this month, destruction still pending.

Past steps run through the use cases with a clock set back to their day (same session), as demo.sharing does.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from stdnum.cn import uscc

from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.org import providers
from govdata.org.models import DestructionMethod, Organization, User
from govdata.org.service import actor_for

REVIEWER = "四川省大数据中心网络安全处"


def _uscc(stem: str) -> str:
    """A valid USCC from a 16-character stem (the organisation code's check digit searched, then the USCC's)."""
    for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        candidate = stem + c + uscc.calc_check_digit(stem + c)
        if uscc.is_valid(candidate):
            return candidate
    raise ValueError(stem)  # pragma: no cover


def _at(ctx: Ctx, day: dt.date) -> Ctx:
    return Ctx(session=ctx.session, clock=FixedClock(dt.datetime.combine(day, dt.time(10), CHINA_TZ)))


def load_demo_providers(ctx: Ctx) -> None:
    admin_user = ctx.session.execute(select(User).where(User.username == "prov_admin")).scalar_one()
    admin = actor_for(admin_user)
    # 1. 数智科技: in force until mid-2027, its operations account tied to the contract.
    shuzhi = ctx.session.execute(
        select(Organization).where(Organization.name == "四川数智科技有限公司")
    ).scalar_one()
    current = providers.create_contract(
        _at(ctx, dt.date(2025, 7, 1)), admin,
        providers.ContractIn(
            provider_id=shuzhi.id, number="SCDSJ-YW-2025-018",
            scope="省级政务数据共享交换平台和资源池的运行维护、故障处置与安全加固（不含数据导出）",
            start_date=dt.date(2025, 7, 1), end_date=dt.date(2027, 6, 30), security_review_on=dt.date(2025, 6, 20),
            security_review_by=REVIEWER, confidentiality_signed_on=dt.date(2025, 6, 28),
        ),
    )  # fmt: skip
    ops = ctx.session.execute(select(User).where(User.username == "provider_ops")).scalar_one_or_none()
    if ops is not None:
        providers.attach_account(ctx, admin, current.id, ops.id)
    # 2. 云维信息: ended on 2025-12-31 by the job, destruction witnessed and recorded, closed.
    past = _at(ctx, dt.date(2025, 3, 3))
    yunwei = providers.register_provider(past, admin, providers.ProviderIn(name="成都云维信息技术有限公司",
                                                                          uscc=_uscc("91510100MA61R8Q5")))  # fmt: skip
    ended = providers.create_contract(
        past, admin,
        providers.ContractIn(
            provider_id=yunwei.id, number="SCDSJ-KF-2025-004", scope="政务数据资源目录系统二期开发与数据迁移",
            start_date=dt.date(2025, 3, 3), end_date=dt.date(2025, 12, 31), security_review_on=dt.date(2025, 2, 20),
            security_review_by=REVIEWER, confidentiality_signed_on=dt.date(2025, 2, 27),
        ),
    )  # fmt: skip
    providers.add_account(past, admin, ended.id,
                          providers.AccountIn(username="yunwei_dev", display_name="周凯", password="Demo2026!yunwei"))  # fmt: skip
    providers.end_contracts(_at(ctx, dt.date(2026, 1, 1)))
    providers.record_destruction(
        _at(ctx, dt.date(2026, 1, 16)), admin, ended.id,
        providers.DestructionIn(
            data_description="开发测试环境中的目录数据副本（2 台服务器）及迁移过程中形成的数据库导出文件",
            method=DestructionMethod.OVERWRITE, method_detail="按 GB/T 35274 三次覆写并抽样校验无法恢复；导出介质粉碎",
            destroyed_on=dt.date(2026, 1, 15), witnessed_by="省大数据中心网络安全处 刘洋",
            statement="本公司确认已以不可逆方式删除履行合同期间接触、留存的全部政务数据，未向任何第三方提供。",
            statement_signed_by="成都云维信息技术有限公司 法定代表人 何伟",
        ),
    )  # fmt: skip
    # 3. 安信数据: ended early by hand this month; destruction still to be recorded.
    early = _at(ctx, dt.date(2026, 9, 1))
    anxin = providers.register_provider(early, admin, providers.ProviderIn(name="四川安信数据服务有限公司",
                                                                          uscc=_uscc("91510100MA62T3K7")))  # fmt: skip
    pending = providers.create_contract(
        early, admin,
        providers.ContractIn(
            provider_id=anxin.id, number="SCDSJ-AQ-2026-011", scope="开放平台渗透测试与安全评估",
            start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 8, 31), security_review_on=dt.date(2026, 8, 25),
            security_review_by=REVIEWER, confidentiality_signed_on=dt.date(2026, 8, 28),
        ),
    )  # fmt: skip
    providers.add_account(early, admin, pending.id,
                          providers.AccountIn(username="anxin_test", display_name="郑洁", password="Demo2026!anxin"))  # fmt: skip
    providers.end_contract(_at(ctx, dt.date(2026, 11, 16)), admin, pending.id,
                           providers.EndIn(reason="评估工作提前完成，双方协商一致解除合同"))  # fmt: skip

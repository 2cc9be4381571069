"""What a jurisdiction profile holds: the data that makes one regulation differ from another."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Limit(StrEnum):
    """Every time limit the platform enforces; each profile gives a value for every one."""

    CATALOG_REVIEW = "catalog_review"  # authority reviews a submitted catalog entry (审核)
    CATALOG_UPDATE = "catalog_update"  # department updates its catalog after a trigger (HN9, WZ13, AB16: 10)
    CATALOG_UPDATE_REPORT = "catalog_update_report"  # report the update with its basis (AB16: 3)
    CATALOG_UPDATE_REVIEW = "catalog_update_review"  # authority reviews an update request (WZ13: 5)
    SUPPLEMENTARY_FILING = (
        "supplementary_filing"  # upper authority acknowledges a filed local catalog (CAT-3)
    )
    DEMAND_ANSWER = "demand_answer"  # authority answers a demand-list item (CAT-6)
    SHARE_ANSWER = "share_answer"  # provider answers a conditional share request (HN16: 5, AB25: 7)
    SHARE_OPEN_ACCESS = "share_open_access"  # authority opens access after consent (SC25)
    SHARE_COORDINATION = (
        "share_coordination"  # authority coordinates a not-shared / refused case (HN16, AB24)
    )
    CORRECTION_FORWARD = "correction_forward"  # authority forwards a correction request (AB20: 2)
    CORRECTION_ANSWER = "correction_answer"  # collecting body verifies (AB20: 5+5, WZ17: 10+10)
    RECONCILIATION = "reconciliation"  # providers reconcile inconsistent data (AB26)
    OPEN_LIST_REVIEW = "open_list_review"  # authority reviews an open listing (OPEN-2)
    OPEN_APPLICATION_ANSWER = (
        "open_application_answer"  # provider answers a conditional open application (WZ31)
    )
    OPEN_CORRECTION_ANSWER = "open_correction_answer"  # correction on the open catalog (WZ30)
    WITHDRAWAL_VERIFY = "withdrawal_verify"  # verify a withdrawal request (AB33 "立即")
    RECTIFICATION = "rectification"  # default deadline of a rectification notice (SUP-1)


class TimeLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=0, description="工作日数；0 表示当日（立即）办理")
    extension_days: int = Field(default=0, ge=0, description="可延长的最多工作日数")
    extension_requires: str | None = Field(default=None, description="延期的条件，如“经单位主要负责人同意”")
    basis: str = Field(description="条款依据，如 AB16；法规未规定时写 default")
    note: str | None = Field(default=None, description="法规未规定时，为什么取这个默认值")


class Bodies(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: str  # 四川省 / 河南省 / 阿坝州 / 万州区 / 山西省
    authority: str  # name of the data authority in this text, e.g. 州公共数据资源主管部门
    government: str  # the government that decides escalated disputes
    platform: str  # name of the platform in this text
    open_portal: str  # name of the open-data portal
    department_term: str  # 政务部门 / 公共机构


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # SC25: after a provider consents, the authority opens the access rights.
    authority_opens_share_access: bool
    # AB25: the provider must support verification/comparison even for not-shared data.
    match_on_not_shared: bool
    # CAT-3: whether lower-level supplementary catalogs need approval (True) or only filing (False).
    supplementary_needs_approval: bool
    # Whether the authority publishes approved entries in a separate step (False: approval publishes).
    separate_publish_step: bool


class ReportWindows(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # (month, first day, last day) windows for annual reports (SUP-3, WZ44).
    department_report: tuple[int, int, int]
    authority_report: tuple[int, int, int]


class Indicator(BaseModel):
    """One indicator of an evaluation dimension (SUP-2): what is measured, from which records, and its weight."""

    model_config = ConfigDict(extra="forbid")

    key: str  # one the code computes: govdata.supervision.indicators.INDICATORS
    label: str  # 中文 name shown in the results
    weight: float = Field(gt=0, le=1, description="在本维度内的权重；同一维度的权重之和为 1")
    definition: str  # 中文: how it is computed and from which records


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    regulation: str  # full title of the regulation
    code: str  # SC / HN / AB / WZ / SX
    bodies: Bodies
    levels: list[str]  # administrative levels this jurisdiction has: province / city / county
    time_limits: dict[Limit, TimeLimit]
    workflow: Workflow
    audit_retention_months: int = Field(ge=24)  # HN12: logs kept at least 24 months
    open_min_group_size: int = Field(ge=2)  # k for "usable but invisible" aggregate queries (OPEN-8)
    report_windows: ReportWindows
    evaluation_weights: dict[str, float]  # aggregation / sharing / opening / application / security
    evaluation_indicators: dict[str, list[Indicator]]  # per dimension, the indicators and their weights

    @model_validator(mode="after")
    def _every_limit_present(self) -> Profile:
        """A missing limit would surface later as a KeyError mid-workflow; reject it when loading instead."""
        missing = [which for which in Limit if which not in self.time_limits]
        if missing:
            from govdata.profiles.labels import LIMIT_LABELS  # labels imports this module

            listed = "、".join(f"{which.value}（{LIMIT_LABELS[which]}）" for which in missing)
            raise ValueError(f"time_limits 缺少时限：{listed}；每个时限都必须配置")
        return self

    @model_validator(mode="after")
    def _indicators_computable(self) -> Profile:
        """An indicator the code cannot compute, or weights that do not add up, are load errors, not zeros."""
        from govdata.supervision.indicators import INDICATORS  # imports models; keep loading cheap

        problems: list[str] = []
        for dimension in self.evaluation_weights:
            if not self.evaluation_indicators.get(dimension):
                problems.append(f"维度 {dimension} 没有指标")
        for dimension, indicators in self.evaluation_indicators.items():
            if dimension not in self.evaluation_weights:
                problems.append(f"维度 {dimension} 不在 evaluation_weights 中")
            keys = [i.key for i in indicators]
            if len(set(keys)) != len(keys):
                problems.append(f"维度 {dimension} 的指标重复")
            for key in keys:
                known = INDICATORS.get(key)
                if known is None:
                    problems.append(f"未知指标“{key}”，可用：{'、'.join(INDICATORS)}")
                elif known.dimension != dimension:
                    problems.append(f"指标“{key}”属于维度 {known.dimension}，不能放在 {dimension}")
            total = sum(i.weight for i in indicators)
            if indicators and abs(total - 1.0) > 1e-6:
                problems.append(f"维度 {dimension} 的指标权重之和应为 1.0，实际为 {total:g}")
        if problems:
            raise ValueError("evaluation_indicators 有误：" + "；".join(problems))
        return self

    def limit(self, which: Limit) -> TimeLimit:
        return self.time_limits[which]

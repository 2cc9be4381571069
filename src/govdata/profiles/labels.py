"""Chinese labels for profile keys, kept in one place so the CLI, pages and API say the same thing."""

from __future__ import annotations

from govdata.profiles.schema import Limit

# Every Limit has a label; pages show the label, never the raw key.
LIMIT_LABELS: dict[Limit, str] = {
    Limit.CATALOG_REVIEW: "目录审核（主管机构审核部门提交的目录）",
    Limit.CATALOG_UPDATE: "目录更新（自情形发生之日起）",
    Limit.CATALOG_UPDATE_REPORT: "目录更新报送（更新后报送更新目录及变更依据）",
    Limit.CATALOG_UPDATE_REVIEW: "目录更新审核（主管机构审核更新申请）",
    Limit.SUPPLEMENTARY_FILING: "补充目录备案或审批（上级主管机构）",
    Limit.DEMAND_ANSWER: "需求清单答复",
    Limit.SHARE_ANSWER: "有条件共享申请答复（提供部门）",
    Limit.SHARE_OPEN_ACCESS: "开通共享访问权限（同意共享后）",
    Limit.SHARE_COORDINATION: "共享争议协调（不予共享或拒绝共享）",
    Limit.CORRECTION_FORWARD: "校核申请转交（主管机构转交收集单位）",
    Limit.CORRECTION_ANSWER: "数据校核（异议、纠错申请）",
    Limit.RECONCILIATION: "数据不一致协商核实",
    Limit.OPEN_LIST_REVIEW: "开放清单审查",
    Limit.OPEN_APPLICATION_ANSWER: "有条件开放申请答复",
    Limit.OPEN_CORRECTION_ANSWER: "开放目录更正申请答复",
    Limit.WITHDRAWAL_VERIFY: "开放数据撤回要求核实",
    Limit.RECTIFICATION: "限期整改（整改通知默认期限）",
}

# Keys of Workflow, in the order pages list them.
WORKFLOW_LABELS: dict[str, str] = {
    "authority_opens_share_access": "提供部门同意共享后由主管机构开通访问权限",
    "match_on_not_shared": "不予共享数据仍须配合核实、比对",
    "supplementary_needs_approval": "下级补充目录须经上级审批（否则仅备案）",
    "separate_publish_step": "审核通过的目录须主管机构另行发布",
}

# Keys of Bodies.
BODY_LABELS: dict[str, str] = {
    "jurisdiction": "辖区",
    "authority": "数据主管机构",
    "government": "争议决定机关（人民政府）",
    "platform": "共享平台",
    "open_portal": "开放平台",
    "department_term": "部门称谓",
}

LEVEL_LABELS: dict[str, str] = {"province": "省级", "city": "市（州）级", "county": "县（市、区）级"}

# The five dimensions of the annual evaluation (SC45, HN18, WZ43, AB43).
EVALUATION_LABELS: dict[str, str] = {
    "aggregation": "汇聚",
    "sharing": "共享",
    "opening": "开放",
    "application": "应用",
    "security": "安全",
}

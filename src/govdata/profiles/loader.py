"""Load jurisdiction profiles (built-in or from a YAML file) and render them for people.

Profiles are data, so every error here is the operator's to fix: messages are Chinese and name the field.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from govdata.errors import InvalidInput, NotFound
from govdata.profiles.labels import (
    BODY_LABELS,
    EVALUATION_LABELS,
    LEVEL_LABELS,
    LIMIT_LABELS,
    WORKFLOW_LABELS,
)
from govdata.profiles.schema import Limit, Profile, TimeLimit

_SUFFIXES = (".yaml", ".yml")


def _builtin_dir() -> Traversable:
    # `builtin` holds only data files (no __init__.py), so address it from its parent package.
    return resources.files("govdata.profiles").joinpath("builtin")


def builtin_names() -> list[str]:
    """Names of the profiles shipped with the package, one per source regulation."""
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in _builtin_dir().iterdir()
        if entry.is_file() and entry.name.endswith(_SUFFIXES)
    )


def load_profile(name_or_path: str) -> Profile:
    """A built-in name (e.g. `henan`) or a path to a YAML file; built-in names win over same-named files."""
    names = builtin_names()
    if name_or_path in names:
        text = _builtin_dir().joinpath(f"{name_or_path}.yaml").read_text(encoding="utf-8")
        return _parsed(text, f"内置配置 {name_or_path}")
    path = Path(name_or_path)
    if not _looks_like_path(name_or_path, path):
        raise NotFound(
            f"没有名为“{name_or_path}”的内置配置。内置配置有：{'、'.join(names)}；"
            "也可以给出一个 YAML 配置文件的路径",
            details={"name": name_or_path, "builtin": names},
        )
    if not path.is_file():
        raise NotFound(f"找不到配置文件：{path}", details={"path": str(path)})
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"配置文件 {path} 不是 UTF-8 编码的文本", details={"path": str(path)}) from exc
    except OSError as exc:
        raise InvalidInput(
            f"无法读取配置文件 {path}：{exc.strerror or exc}", details={"path": str(path)}
        ) from exc
    return _parsed(text, f"配置文件 {path}")


def _looks_like_path(raw: str, path: Path) -> bool:
    return "/" in raw or "\\" in raw or raw.endswith(_SUFFIXES) or path.exists()


@lru_cache(maxsize=16)
def _parsed(text: str, source: str) -> Profile:
    """Parsing and validating a profile costs milliseconds and every request needs one: keyed by the file's exact
    text, so an edited file is parsed again. Callers must not modify the returned profile."""
    return parse_profile_yaml(text, source=source)


def parse_profile_yaml(text: str, *, source: str = "配置") -> Profile:
    """Parse YAML text into a checked Profile; `source` says where it came from in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列"
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(
            f"{source} 不是有效的 YAML{('（' + where + '）') if where else ''}：{problem}",
            details={"source": source},
        ) from exc
    return parse_profile(data, source=source)


def parse_profile(data: object, *, source: str = "配置") -> Profile:
    """Validate already-parsed data (e.g. a profile stored as JSON) with the same checks as a YAML file."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{source} 的顶层应为映射（键: 值），实际是 {type(data).__name__}")
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = [_describe_error(dict(err)) for err in exc.errors()]
        raise InvalidInput(
            f"{source} 有误：" + "；".join(problems),
            details={"source": source, "errors": problems},
        ) from exc
    _check_semantics(profile, source)
    return profile


def _describe_error(err: Mapping[str, Any]) -> str:
    """One pydantic error as "字段 a.b：原因" in Chinese, so operators can find the line to fix."""
    loc = [str(part) for part in err.get("loc", ()) if part != "[key]"]
    field = ".".join(loc) if loc else "（整体）"
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        reason = "缺少必填字段"
    elif kind == "extra_forbidden":
        reason = "不允许的字段（是否拼写错误？）"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        reason = "应为整数"
    elif kind in ("float_type", "float_parsing"):
        reason = "应为数字"
    elif kind in ("bool_type", "bool_parsing"):
        reason = "应为 true 或 false"
    elif kind == "string_type":
        reason = "应为文本"
    elif kind == "greater_than_equal":
        reason = f"不能小于 {ctx.get('ge')}"
    elif kind == "enum":
        reason = f"不是有效的取值，可选：{ctx.get('expected')}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        reason = "应为映射（键: 值）"
    elif kind in ("list_type", "tuple_type"):
        reason = "应为列表"
    elif kind in ("too_short", "too_long"):
        reason = "元素个数不对"
    elif kind == "value_error":
        reason = str(ctx.get("error") or err.get("msg", ""))
    else:
        reason = str(err.get("msg", kind))
    return f"字段 {field}：{reason}"


def _check_semantics(profile: Profile, source: str) -> None:
    """Checks the schema's types cannot express: known levels, a valid report window, weights summing to 1."""
    problems: list[str] = []
    if not profile.levels:
        problems.append("字段 levels：至少要有一个行政层级")
    for level in profile.levels:
        if level not in LEVEL_LABELS:
            problems.append(f"字段 levels：未知层级“{level}”，可选：{'、'.join(LEVEL_LABELS)}")
    if len(set(profile.levels)) != len(profile.levels):
        problems.append("字段 levels：层级重复")
    for key in ("department_report", "authority_report"):
        month, first, last = getattr(profile.report_windows, key)
        if not (1 <= month <= 12 and 1 <= first <= last <= 31):
            problems.append(f"字段 report_windows.{key}：应为 [月, 起始日, 截止日]，且 1≤起始日≤截止日≤31")
    weights = profile.evaluation_weights
    if set(weights) != set(EVALUATION_LABELS):
        problems.append(f"字段 evaluation_weights：应恰好包含 {'、'.join(EVALUATION_LABELS)}")
    if any(value < 0 for value in weights.values()):
        problems.append("字段 evaluation_weights：权重不能为负数")
    if not math.isclose(sum(weights.values()), 1.0, abs_tol=1e-6):
        problems.append(f"字段 evaluation_weights：权重之和应为 1.0，实际为 {sum(weights.values()):g}")
    if problems:
        raise InvalidInput(
            f"{source} 有误：" + "；".join(problems), details={"source": source, "errors": problems}
        )


# --- rendering --------------------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _days_text(days: int) -> str:
    return "立即（当日）" if days == 0 else f"{days} 个工作日"


def _extension_text(limit: TimeLimit) -> str:
    return f"可延长 {limit.extension_days} 个工作日" if limit.extension_days else "不可延长"


def _basis_text(basis: str) -> str:
    return "默认值（法规未规定）" if basis == "default" else basis


def _window_text(window: tuple[int, int, int]) -> str:
    month, first, last = window
    return f"{month} 月 {first} 日至 {last} 日"


def profile_as_text(profile: Profile) -> str:
    """The whole profile in Chinese for `govdata profile show NAME`, to check before choosing it."""
    lines: list[str] = [profile.regulation, f"配置名称：{profile.name}（代码 {profile.code}）", ""]

    lines.append("一、机构名称")
    for key, label in BODY_LABELS.items():
        lines.append(f"  {label}：{getattr(profile.bodies, key)}")
    lines.append("")

    levels = "、".join(LEVEL_LABELS.get(level, level) for level in profile.levels)
    lines += ["二、行政层级", f"  {levels}", ""]

    lines.append("三、办理时限（按工作日计算，含国务院调休安排）")
    header = ("事项", "时限", "延期", "依据")
    rows = [
        (
            LIMIT_LABELS[which],
            _days_text(profile.limit(which).days),
            _extension_text(profile.limit(which)),
            _basis_text(profile.limit(which).basis),
        )
        for which in Limit
    ]
    widths = [max(_width(row[col]) for row in [header, *rows]) for col in range(len(header))]
    lines.append("  " + "  ".join(_pad(cell, widths[col]) for col, cell in enumerate(header)).rstrip())
    lines.append("  " + "  ".join("-" * width for width in widths))
    for which, row in zip(Limit, rows, strict=True):
        limit = profile.limit(which)
        lines.append("  " + "  ".join(_pad(cell, widths[col]) for col, cell in enumerate(row)).rstrip())
        if limit.extension_days and limit.extension_requires:
            lines.append(f"      延期条件：{limit.extension_requires}")
        if limit.note:
            lines.append(f"      说明：{limit.note}")
    lines.append("")

    lines.append("四、流程开关")
    for key, label in WORKFLOW_LABELS.items():
        lines.append(f"  [{'是' if getattr(profile.workflow, key) else '否'}] {label}")
    lines.append("")

    weights = "、".join(
        f"{EVALUATION_LABELS.get(key, key)} {value:.0%}" for key, value in profile.evaluation_weights.items()
    )
    lines += [
        "五、其他",
        f"  共享日志保存期限：{profile.audit_retention_months} 个月",
        f"  “可用不可见”聚合查询最小分组人数（k）：{profile.open_min_group_size}",
        f"  年度报告：部门 {_window_text(profile.report_windows.department_report)}；"
        f"{profile.bodies.authority} {_window_text(profile.report_windows.authority_report)}",
        f"  年度评估权重：{weights}",
    ]
    return "\n".join(lines) + "\n"

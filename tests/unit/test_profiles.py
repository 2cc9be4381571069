"""Built-in jurisdiction profiles match their regulations, and bad profiles fail loudly in Chinese."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from govdata.errors import InvalidInput, NotFound
from govdata.profiles.labels import LIMIT_LABELS, WORKFLOW_LABELS
from govdata.profiles.loader import builtin_names, load_profile, profile_as_text
from govdata.profiles.schema import Limit, Profile

BUILTINS = ["aba", "henan", "shanxi", "sichuan", "wanzhou"]
BUILTIN_DIR = Path(__file__).resolve().parents[2] / "src" / "govdata" / "profiles" / "builtin"


def _builtin_data(name: str) -> dict[str, Any]:
    return yaml.safe_load((BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: object, filename: str = "custom.yaml") -> Path:
    path = tmp_path / filename
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_builtin_names_are_the_five_regulations() -> None:
    assert builtin_names() == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_loads_with_every_limit(name: str) -> None:
    profile = load_profile(name)
    assert isinstance(profile, Profile)
    assert profile.name == name
    assert set(profile.time_limits) == set(Limit)
    for which in Limit:
        limit = profile.limit(which)
        assert limit.basis, f"{name}.{which} 缺少依据"
        assert limit.note, f"{name}.{which} 缺少说明"
        if limit.basis == "default":
            # a default must say why it was chosen
            assert "未" in limit.note or "不设" in limit.note or "无" in limit.note, f"{name}.{which}"
        else:
            assert limit.basis.startswith(profile.code), f"{name}.{which} 的依据应出自本法规"
        if limit.extension_days:
            assert limit.extension_requires, f"{name}.{which} 可延长却未写延期条件"


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_general_settings(name: str) -> None:
    profile = load_profile(name)
    assert profile.audit_retention_months >= 24
    assert profile.open_min_group_size >= 2
    assert set(profile.evaluation_weights) == {"aggregation", "sharing", "opening", "application", "security"}
    assert math.isclose(sum(profile.evaluation_weights.values()), 1.0)
    assert profile.report_windows.department_report == (1, 1, 10)
    assert profile.report_windows.authority_report == (1, 21, 31)


def _days(name: str, which: Limit) -> tuple[int, int, str]:
    limit = load_profile(name).limit(which)
    return limit.days, limit.extension_days, limit.basis


@pytest.mark.parametrize(
    ("name", "which", "expected"),
    [
        # catalog update within 10 working days of a change in law or duties
        ("henan", Limit.CATALOG_UPDATE, (10, 0, "HN9")),
        ("wanzhou", Limit.CATALOG_UPDATE, (10, 0, "WZ13")),
        ("aba", Limit.CATALOG_UPDATE, (10, 0, "AB16")),
        # AB16: report the update with its basis within 3
        ("aba", Limit.CATALOG_UPDATE_REPORT, (3, 0, "AB16")),
        # WZ13: authority reviews the update request within 5
        ("wanzhou", Limit.CATALOG_UPDATE_REVIEW, (5, 0, "WZ13")),
        # conditional share answers: HN16 5, AB25 7
        ("henan", Limit.SHARE_ANSWER, (5, 0, "HN16")),
        ("aba", Limit.SHARE_ANSWER, (7, 0, "AB25")),
        # AB20: correction 5, extendable to 10 in total; forwarded by the authority within 2
        ("aba", Limit.CORRECTION_ANSWER, (5, 5, "AB20")),
        ("aba", Limit.CORRECTION_FORWARD, (2, 0, "AB20")),
        # WZ17: correction 10 + up to 10
        ("wanzhou", Limit.CORRECTION_ANSWER, (10, 10, "WZ17")),
        # WZ31: conditional open application 10 + 10; WZ30: open-catalog correction 10 + 10
        ("wanzhou", Limit.OPEN_APPLICATION_ANSWER, (10, 10, "WZ31")),
        ("wanzhou", Limit.OPEN_CORRECTION_ANSWER, (10, 10, "WZ30")),
        # AB33: verify a withdrawal request immediately
        ("aba", Limit.WITHDRAWAL_VERIFY, (0, 0, "AB33")),
    ],
)
def test_values_from_the_regulations(name: str, which: Limit, expected: tuple[int, int, str]) -> None:
    assert _days(name, which) == expected


def test_extension_conditions_quote_the_heads() -> None:
    assert "负责人批准" in (load_profile("aba").limit(Limit.CORRECTION_ANSWER).extension_requires or "")
    wanzhou = load_profile("wanzhou")
    for which in (Limit.CORRECTION_ANSWER, Limit.OPEN_APPLICATION_ANSWER, Limit.OPEN_CORRECTION_ANSWER):
        assert "主要负责人同意" in (wanzhou.limit(which).extension_requires or "")


def test_silent_texts_use_defaults() -> None:
    # The SC and SX drafts fix no day counts at all.
    for name in ("sichuan", "shanxi"):
        profile = load_profile(name)
        assert all(profile.limit(which).basis == "default" for which in Limit), name
    assert load_profile("sichuan").limit(Limit.CATALOG_UPDATE).days == 10


def test_workflow_switches_follow_the_texts() -> None:
    assert load_profile("sichuan").workflow.authority_opens_share_access is True  # SC25
    for name in ("henan", "aba", "wanzhou", "shanxi"):
        assert load_profile(name).workflow.authority_opens_share_access is False, name
    assert load_profile("aba").workflow.match_on_not_shared is True  # AB25
    assert load_profile("aba").workflow.supplementary_needs_approval is True  # AB15 同意
    assert load_profile("sichuan").workflow.supplementary_needs_approval is False  # SC9 备案


def test_bodies_and_levels_use_each_texts_terms() -> None:
    aba = load_profile("aba")
    assert aba.bodies.department_term == "公共机构"
    assert aba.bodies.platform == "阿坝州大数据平台"
    assert aba.levels == ["city", "county"]
    wanzhou = load_profile("wanzhou")
    assert wanzhou.bodies.authority == "区大数据发展局"
    assert wanzhou.levels == ["county"]
    assert load_profile("shanxi").bodies.authority == "政务信息管理部门"
    for name in ("sichuan", "henan", "shanxi"):
        assert load_profile(name).levels == ["province", "city", "county"]


def test_audit_retention_from_hn12() -> None:
    assert load_profile("henan").audit_retention_months == 24


def test_unknown_name_is_not_found_and_lists_builtins() -> None:
    with pytest.raises(NotFound) as caught:
        load_profile("guangdong")
    for name in BUILTINS:
        assert name in caught.value.message
    assert "内置配置" in caught.value.message


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="找不到配置文件"):
        load_profile(str(tmp_path / "nope.yaml"))


def test_file_path_loads(tmp_path: Path) -> None:
    data = _builtin_data("henan")
    data["name"] = "henan-zhengzhou"
    data["time_limits"]["share_answer"]["days"] = 3
    profile = load_profile(str(_write(tmp_path, data)))
    assert profile.name == "henan-zhengzhou"
    assert profile.limit(Limit.SHARE_ANSWER).days == 3


def test_missing_limit_is_rejected_naming_it(tmp_path: Path) -> None:
    data = _builtin_data("aba")
    del data["time_limits"]["catalog_update_report"]
    with pytest.raises(InvalidInput) as caught:
        load_profile(str(_write(tmp_path, data)))
    assert "catalog_update_report" in caught.value.message
    assert LIMIT_LABELS[Limit.CATALOG_UPDATE_REPORT] in caught.value.message
    assert "缺少" in caught.value.message


def test_missing_limit_field_is_rejected_naming_the_field(tmp_path: Path) -> None:
    data = _builtin_data("aba")
    del data["time_limits"]["share_answer"]["basis"]
    with pytest.raises(InvalidInput) as caught:
        load_profile(str(_write(tmp_path, data)))
    assert "time_limits.share_answer.basis" in caught.value.message
    assert "缺少必填字段" in caught.value.message


def test_wrong_type_and_unknown_key_name_the_field(tmp_path: Path) -> None:
    data = _builtin_data("henan")
    data["time_limits"]["share_answer"]["days"] = "五"
    data["time_limits"]["share_anwser"] = data["time_limits"]["share_answer"]
    with pytest.raises(InvalidInput) as caught:
        load_profile(str(_write(tmp_path, data)))
    assert "time_limits.share_answer.days" in caught.value.message
    assert "share_anwser" in caught.value.message


def test_negative_days_and_short_retention_are_rejected(tmp_path: Path) -> None:
    data = _builtin_data("henan")
    data["time_limits"]["share_answer"]["days"] = -1
    data["audit_retention_months"] = 12
    with pytest.raises(InvalidInput) as caught:
        load_profile(str(_write(tmp_path, data)))
    assert "time_limits.share_answer.days" in caught.value.message
    assert "audit_retention_months" in caught.value.message


def test_weights_must_sum_to_one(tmp_path: Path) -> None:
    data = _builtin_data("henan")
    data["evaluation_weights"]["security"] = 0.5
    with pytest.raises(InvalidInput, match="evaluation_weights"):
        load_profile(str(_write(tmp_path, data)))


def test_unknown_level_is_rejected(tmp_path: Path) -> None:
    data = _builtin_data("henan")
    data["levels"] = ["province", "township"]
    with pytest.raises(InvalidInput, match="levels"):
        load_profile(str(_write(tmp_path, data)))


def test_invalid_yaml_is_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ntime_limits: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="YAML"):
        load_profile(str(path))


def test_non_mapping_yaml_is_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="映射"):
        load_profile(str(path))


def test_limit_labels_cover_every_limit() -> None:
    assert set(LIMIT_LABELS) == set(Limit)
    assert LIMIT_LABELS[Limit.CATALOG_UPDATE] == "目录更新（自情形发生之日起）"


@pytest.mark.parametrize("name", BUILTINS)
def test_profile_as_text_mentions_everything(name: str) -> None:
    profile = load_profile(name)
    text = profile_as_text(profile)
    assert profile.regulation in text
    for label in LIMIT_LABELS.values():
        assert label in text
    for label in WORKFLOW_LABELS.values():
        assert label in text
    assert profile.bodies.authority in text
    assert "工作日" in text
    assert f"{profile.audit_retention_months} 个月" in text


def test_profile_as_text_shows_extension_and_immediate() -> None:
    text = profile_as_text(load_profile("aba"))
    assert "可延长 5 个工作日" in text
    assert "立即（当日）" in text
    assert "AB20" in text

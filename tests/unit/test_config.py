"""The shipped config is complete, and a clerk's mistake is reported with file, entry and problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.config import CATEGORY_CODES, ConfigError, load_config

CONFIG = Path(__file__).resolve().parents[2] / "config"
DEMO_ALLEYS = (
    "光明胡同 东斜街 织女桥东河沿 力学胡同 太仆寺街 府右街 西交民巷 西斜街 "
    "二龙路 福光路 幸福北里 体育馆西路 四块玉中街 东四块玉北街 西四块玉胡同 法华寺街 "
    "磁器口东一巷 红桥后街 文章胡同 营房西街 敬业西里 信用北里 双玉中街 法华中街 "
).split()


def test_every_demo_alley_is_configured_with_geometry() -> None:
    config = load_config(CONFIG)
    assert {a.name for a in config.alleys} == set(DEMO_ALLEYS)
    for alley in config.alleys:
        assert alley.chief and alley.street_office in config.street_offices and len(alley.polyline) >= 2


def test_every_category_code_has_a_chinese_name_and_triage_class() -> None:
    config = load_config(CONFIG)
    assert [c.code for c in config.categories] == list(CATEGORY_CODES)
    assert {c.triage for c in config.categories} == {"简易", "基础", "难点"}
    assert config.category("wall_opening").triage == "难点"  # type: ignore[union-attr]
    assert config.handling_days == {"简易": 1, "基础": 3, "难点": 15}


def test_issue_rules_come_from_issues_yml() -> None:
    rules = load_config(CONFIG).issues
    assert rules.departments == ("城管", "房管", "交通", "环卫", "街道")
    assert (rules.duplicate_window_hours, rules.attach_minutes, rules.max_photos, rules.photo_max_px) == (72, 10, 9,
                                                                                                         2048)


def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize("file, old, new, entry, problem", [
    ("alleys.yml", "    chief: 王立新\n", "", "alleys[0] (光明胡同)", "chief"),
    ("alleys.yml", "center: [39.9097, 116.3783]", "center: [116.3783, 39.9097]", "alleys[0] (光明胡同)",
     "纬度和经度写反"),
    ("alleys.yml", "aliases: [东斜]", "aliases: [光明]", "alleys[1] (东斜街)", "已被 光明胡同 使用"),
    ("alleys.yml", "street_office: 金融街街道\n    chief: 冯国栋", "street_office: 月球街道\n    chief: 冯国栋",
     "alleys[7] (西斜街)", "月球街道"),
    ("alleys.yml", "polyline: [[39.9097, 116.3760], [39.9097, 116.3806]]", "polyline: [[39.9097, 116.3760]]",
     "alleys[0] (光明胡同)", "polyline"),
    ("categories.yml", "triage: 难点\n    keywords: [开墙打洞", "triage: 很难\n    keywords: [开墙打洞",
     "categories[1] (wall_opening)", "triage"),
    ("categories.yml", "code: ground_lock", "code: ground_locks", "categories[12] (ground_locks)", "未知的分类代码"),
    ("categories.yml", "简易: {handling_days: 1}", "简易: {handling_days: 0}", "triage.简易", "handling_days"),
    ("categories.yml", "      - things: [路灯,", "      - stuff: [路灯,",
     "categories[11] (facility_damage) patterns[0]", "things"),
    ("categories.yml", "not_ours: [快递,", "not_ours: [\"\", 快递,", "not_ours", "文字列表"),
    ("menu.json", '"key": "REPORT"', '"url": "x"', "button[0]", "key"),
    ("alleys.yml", "alleys:\n", "alleys: [\n", "(file)", "YAML"),
    ("issues.yml", "reports_per_hour: 5", "reports_per_hour: 五", "reports_per_hour", "整数"),
    ("issues.yml", "max_photos: 9", "max_photos: 20", "max_photos", "1 到 9"),
    ("issues.yml", "departments: [城管, 房管, 交通, 环卫, 街道]", "departments: []", "departments", "非空"),
    ("rewards.yml", "daily_cap: 60", "daily_cap: many", "daily_cap", "整数"),
    ("rewards.yml", "{code: bath, name: 洗浴券, cost: 60", "{code: bath, name: 洗浴券, cost: -1", "catalogue[1].cost",
     "整数"),
])
def test_invalid_config_names_the_file_the_entry_and_the_problem(
        tmp_path: Path, file: str, old: str, new: str, entry: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_broken(tmp_path, file, old, new))
    assert err.value.file.endswith(file)
    assert err.value.entry == entry
    assert problem in err.value.problem
    assert file in str(err.value) and entry in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    (target / "menu.json").unlink()
    with pytest.raises(ConfigError, match=r"menu\.json"):
        load_config(target)

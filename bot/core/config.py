"""Load and validate the YAML/JSON data a street office edits in ``config/``.

Invalid data stops start-up with a message that names the file, the entry and what is wrong, because the
person fixing it is a clerk with a text editor, not a developer reading a traceback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlu.vocabulary import AlleyWords, CategoryWords, Pattern, Vocabulary
from points.rules import Rules, RulesError, parse_rules

TRIAGE_CLASSES = ("简易", "基础", "难点")
CATEGORY_CODES = (
    "illegal_construction", "wall_opening", "illegal_parking", "road_occupation", "overhead_wires",
    "facade_damage", "illegal_ads", "road_damage", "illegal_business", "piled_materials", "sanitation",
    "facility_damage", "ground_lock", "other",
)
# Beijing's municipal area with a margin: a coordinate outside it is a typo (often lat/lng swapped).
_LAT_RANGE = (39.4, 41.1)
_LNG_RANGE = (115.4, 117.6)
# WeChat's own menu limits (custom menu API): 3 top buttons, 5 sub-buttons, names in bytes.
_MENU_TOP, _MENU_SUB = 3, 5
_MENU_TOP_NAME_BYTES, _MENU_SUB_NAME_BYTES = 16, 60


class ConfigError(Exception):
    """A config file is missing or wrong; the message is meant for the person editing it."""

    def __init__(self, file: Path | str, entry: str, problem: str) -> None:
        self.file, self.entry, self.problem = str(file), entry, problem
        super().__init__(f"配置错误 {self.file} · {entry}: {problem}")


@dataclass(frozen=True)
class StreetOffice:
    name: str
    district: str
    phone: str


@dataclass(frozen=True)
class Alley:
    name: str
    aliases: tuple[str, ...]
    district: str
    street_office: str
    chief: str
    center: tuple[float, float]
    polyline: tuple[tuple[float, float], ...]
    council: tuple[str, ...] = ()  # 街巷理事会: members shown on the public page (optional)


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    item: str
    triage: str
    keywords: tuple[str, ...]
    patterns: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class IssueRules:
    """config/issues.yml: how 随手拍 reports are limited, merged, attached and followed up."""

    departments: tuple[str, ...] = ("城管", "房管", "交通", "环卫", "街道")
    reports_per_hour: int = 5
    duplicate_window_hours: int = 72
    attach_minutes: int = 10
    max_photos: int = 9
    photo_max_px: int = 2048
    thumbnail_px: int = 320
    photo_hash_distance: int = 6
    rating_days: int = 7
    reminder_hour: int = 9


@dataclass(frozen=True)
class BroadcastRules:
    """config/broadcasts.yml: how staff notices are limited and delivered."""

    max_length: int = 600
    daily_cap_per_sender: int = 3
    sends_per_second: int = 100
    retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    ack_days: int = 3


def _load_broadcast_rules(path: Path) -> BroadcastRules:
    data = read_yaml(path)
    values: dict[str, Any] = {}
    for key, (low, high) in {"max_length": (10, 2000), "daily_cap_per_sender": (1, 1000),
                             "sends_per_second": (1, 10000), "ack_days": (1, 30)}.items():
        value = data.get(key, getattr(BroadcastRules, key))
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigError(path, key, f"应为 {low} 到 {high} 之间的整数，实际是 {value!r}")
        values[key] = value
    delays = data.get("retry_delays", [1, 5, 30])
    if not isinstance(delays, list) or not all(isinstance(d, int | float) and 0 <= d <= 3600 for d in delays):
        raise ConfigError(path, "retry_delays", "应为秒数列表，例如 [1, 5, 30]")
    values["retry_delays"] = tuple(float(d) for d in delays)
    return BroadcastRules(**values)


ASSESSMENT_PARTS = ("知情", "处置", "响应", "评价")


@dataclass(frozen=True)
class AssessmentRules:
    """config/assessment.yml: how chiefs are scored (bot/chiefs/scoring.py does the arithmetic)."""

    weights: dict[str, float] = field(default_factory=lambda: {"知情": 25, "处置": 35, "响应": 20, "评价": 20})
    patrol_days_per_week: int = 5
    response_full_hours: float = 4
    response_zero_hours: float = 48
    overdue_deduction: float = 2
    overdue_deduction_cap: float = 10
    grades: dict[str, float] = field(default_factory=lambda: {"优秀": 90, "良好": 80, "合格": 60})


@dataclass(frozen=True)
class ConsoleRules:
    """config/console.yml: the staff console's map."""

    map_tiles: str = ""  # a tile URL template; empty: no tiles
    map_subdomains: str = ""
    map_attribution: str = ""

    @property
    def tile_origin(self) -> str | None:
        """The origin the tiles come from, as the CSP names it (a host whose first label holds {s} becomes
        *.rest-of-host: CSP wildcards stand for whole leftmost labels), or None without tiles."""
        if not self.map_tiles:
            return None
        scheme, _, rest = self.map_tiles.partition("://")
        host = rest.split("/", 1)[0]
        if "{s}" in host:
            host = "*." + host.split(".", 1)[1]
        return f"{scheme}://{host}"


@dataclass(frozen=True)
class AppConfig:
    directory: Path
    street_offices: dict[str, StreetOffice]
    alleys: tuple[Alley, ...]
    categories: tuple[Category, ...]
    handling_days: dict[str, int]
    menu: dict[str, Any]
    issues: IssueRules = IssueRules()
    rewards: Rules | None = None  # config/rewards.yml; None only in hand-built configs of tests
    broadcasts: BroadcastRules = BroadcastRules()
    console: ConsoleRules = ConsoleRules()
    assessment: AssessmentRules = AssessmentRules()
    not_ours: tuple[str, ...] = ()  # categories.yml: subjects outside the alleys' public space

    @property
    def points(self) -> Rules:
        assert self.rewards is not None, "config/rewards.yml was not loaded"
        return self.rewards

    def vocabulary(self) -> Vocabulary:
        """The words the NLU needs (alley names, category keywords), fingerprinted by the files they come from."""
        digest = hashlib.sha256()
        for name in ("alleys.yml", "categories.yml"):
            digest.update((self.directory / name).read_bytes())
        return Vocabulary(tuple(AlleyWords(a.name, tuple(a.aliases)) for a in self.alleys),
                          tuple(CategoryWords(c.code, c.name, c.keywords, c.patterns) for c in self.categories),
                          digest.hexdigest(), self.not_ours)

    def alley(self, name: str) -> Alley | None:
        return next((a for a in self.alleys if a.name == name), None)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def menu_keys(self) -> set[str]:
        keys: set[str] = set()
        for button in self.menu["button"]:
            for item in button.get("sub_button") or [button]:
                if item.get("key"):
                    keys.add(item["key"])
        return keys


def _read(path: Path, parse: Callable[[str], Any], kind: str, errors: tuple[type[Exception], ...]) -> Any:
    if not path.is_file():
        raise ConfigError(path, "(file)", "文件不存在")
    try:
        return parse(path.read_text(encoding="utf-8"))
    except errors as exc:
        raise ConfigError(path, "(file)", f"{kind} 格式错误: {exc}") from exc


def read_yaml(path: Path) -> dict[str, Any]:
    """A config YAML file as a mapping, or a ConfigError naming the file and what is wrong."""
    data = _read(path, yaml.safe_load, "YAML", (yaml.YAMLError,))
    if not isinstance(data, dict):
        raise ConfigError(path, "(file)", "顶层应当是一个映射 (key: value)")
    return data


def _point(path: Path, entry: str, value: Any, what: str) -> tuple[float, float]:
    if not (isinstance(value, list | tuple) and len(value) == 2
            and all(isinstance(v, int | float) for v in value)):
        raise ConfigError(path, entry, f"{what} 应为 [纬度, 经度] 两个数字，实际是 {value!r}")
    lat, lng = float(value[0]), float(value[1])
    if not (_LAT_RANGE[0] <= lat <= _LAT_RANGE[1] and _LNG_RANGE[0] <= lng <= _LNG_RANGE[1]):
        raise ConfigError(path, entry, f"{what} {value!r} 不在北京范围内（是否把纬度和经度写反了？）")
    return lat, lng


def _text(path: Path, entry: str, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, entry, f"缺少字段 {key} 或它不是文字")
    return value.strip()


def _load_alleys(path: Path) -> tuple[dict[str, StreetOffice], tuple[Alley, ...]]:
    data = read_yaml(path)
    offices: dict[str, StreetOffice] = {}
    for name, raw in (data.get("street_offices") or {}).items():
        entry = f"street_offices.{name}"
        if not isinstance(raw, dict):
            raise ConfigError(path, entry, "应为映射 {district, phone}")
        offices[name] = StreetOffice(name, _text(path, entry, raw, "district"), str(raw.get("phone", "")))
    raws = data.get("alleys")
    if not isinstance(raws, list) or not raws:
        raise ConfigError(path, "alleys", "应为非空列表")
    alleys: list[Alley] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(raws):
        entry = f"alleys[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(path, entry, "应为映射")
        name = _text(path, entry, raw, "name")
        entry = f"alleys[{index}] ({name})"
        office = _text(path, entry, raw, "street_office")
        if office not in offices:
            raise ConfigError(path, entry, f"街道 {office} 没有在 street_offices 中列出")
        aliases = raw.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            raise ConfigError(path, entry, "aliases 应为文字列表")
        for spelling in (name, *aliases):
            if spelling in seen and seen[spelling] != name:
                raise ConfigError(path, entry, f"名称或别名 {spelling} 已被 {seen[spelling]} 使用")
            seen[spelling] = name
        polyline = raw.get("polyline")
        if not isinstance(polyline, list) or len(polyline) < 2:
            raise ConfigError(path, entry, "polyline 至少需要两个点")
        alleys.append(Alley(
            name=name,
            aliases=tuple(aliases),
            district=_text(path, entry, raw, "district"),
            street_office=office,
            chief=_text(path, entry, raw, "chief"),
            center=_point(path, entry, raw.get("center"), "center"),
            polyline=tuple(_point(path, entry, p, f"polyline[{i}]") for i, p in enumerate(polyline)),
            council=_council(path, entry, raw.get("council")),
        ))
    return offices, tuple(alleys)


def _council(path: Path, entry: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value) or len(value) > 30:
        raise ConfigError(path, f"{entry}.council", "应为理事会成员的列表（如“李明（居民代表）”），最多 30 人")
    return tuple(v.strip() for v in value)


def _load_categories(path: Path) -> tuple[tuple[Category, ...], dict[str, int], tuple[str, ...]]:
    data = read_yaml(path)
    triage = data.get("triage") or {}
    handling: dict[str, int] = {}
    for cls in TRIAGE_CLASSES:
        days = (triage.get(cls) or {}).get("handling_days")
        if not isinstance(days, int) or days <= 0:
            raise ConfigError(path, f"triage.{cls}", "handling_days 应为正整数")
        handling[cls] = days
    raws = data.get("categories")
    if not isinstance(raws, list):
        raise ConfigError(path, "categories", "应为列表")
    categories: list[Category] = []
    for index, raw in enumerate(raws):
        entry = f"categories[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(path, entry, "应为映射")
        code = _text(path, entry, raw, "code")
        entry = f"categories[{index}] ({code})"
        if code not in CATEGORY_CODES:
            raise ConfigError(path, entry, f"未知的分类代码 {code}（见 DESIGN §5）")
        if any(c.code == code for c in categories):
            raise ConfigError(path, entry, f"分类代码 {code} 重复")
        cls = _text(path, entry, raw, "triage")
        if cls not in TRIAGE_CLASSES:
            raise ConfigError(path, entry, f"triage 应为 {'/'.join(TRIAGE_CLASSES)} 之一，实际是 {cls}")
        keywords = raw.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise ConfigError(path, entry, "keywords 应为文字列表")
        categories.append(Category(code, _text(path, entry, raw, "name"), _text(path, entry, raw, "item"),
                                   cls, tuple(keywords), _patterns(path, entry, raw.get("patterns") or [])))
    missing = [c for c in CATEGORY_CODES if c not in {x.code for x in categories}]
    if missing:
        raise ConfigError(path, "categories", f"缺少分类: {', '.join(missing)}")
    not_ours = data.get("not_ours") or []
    if not isinstance(not_ours, list) or not all(isinstance(w, str) and w for w in not_ours):
        raise ConfigError(path, "not_ours", "应为文字列表")
    return tuple(categories), handling, tuple(not_ours)


def _patterns(path: Path, entry: str, raws: Any) -> tuple[Pattern, ...]:
    """categories.yml ``patterns``: each a list of things and a list of what happened to them."""
    if not isinstance(raws, list):
        raise ConfigError(path, entry, "patterns 应为列表")
    found: list[Pattern] = []
    for i, raw in enumerate(raws):
        where = f"{entry} patterns[{i}]"
        if not isinstance(raw, dict) or set(raw) != {"things", "states"}:
            raise ConfigError(path, where, "应为 {things: [...], states: [...]}")
        lists = [raw["things"], raw["states"]]
        if not all(isinstance(words, list) and words and all(isinstance(w, str) and w for w in words)
                   for words in lists):
            raise ConfigError(path, where, "things 和 states 应为非空的文字列表")
        found.append(Pattern(tuple(lists[0]), tuple(lists[1])))
    return tuple(found)


def _load_menu(path: Path) -> dict[str, Any]:
    menu: dict[str, Any] = _read(path, json.loads, "JSON", (json.JSONDecodeError,))
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= _MENU_TOP:
        raise ConfigError(path, "button", f"应有 1 到 {_MENU_TOP} 个一级菜单")
    for i, button in enumerate(buttons):
        entry = f"button[{i}]"
        name = button.get("name") if isinstance(button, dict) else None
        if not isinstance(name, str) or len(name.encode()) > _MENU_TOP_NAME_BYTES:
            raise ConfigError(path, entry, f"name 缺失或超过 {_MENU_TOP_NAME_BYTES} 字节")
        subs = button.get("sub_button")
        if subs is None:
            if button.get("type") != "click" or not button.get("key"):
                raise ConfigError(path, entry, "没有子菜单的按钮应为 type=click 并带 key")
            continue
        if not isinstance(subs, list) or not 1 <= len(subs) <= _MENU_SUB:
            raise ConfigError(path, entry, f"sub_button 应有 1 到 {_MENU_SUB} 项")
        for j, sub in enumerate(subs):
            sub_entry = f"{entry}.sub_button[{j}]"
            if not isinstance(sub, dict) or sub.get("type") != "click" or not sub.get("key"):
                raise ConfigError(path, sub_entry, "应为 type=click 并带 key")
            if len(str(sub.get("name", "")).encode()) > _MENU_SUB_NAME_BYTES or not sub.get("name"):
                raise ConfigError(path, sub_entry, f"name 缺失或超过 {_MENU_SUB_NAME_BYTES} 字节")
    return menu


_ISSUE_LIMITS = {  # field: (smallest, largest) a clerk may set
    "reports_per_hour": (1, 1000), "duplicate_window_hours": (0, 24 * 30), "attach_minutes": (1, 120),
    "max_photos": (1, 9), "photo_max_px": (320, 8000), "thumbnail_px": (64, 1024),
    "photo_hash_distance": (0, 32), "rating_days": (1, 90), "reminder_hour": (0, 23),
}


def _load_issue_rules(path: Path) -> IssueRules:
    data = read_yaml(path)
    values: dict[str, Any] = {}
    departments = data.get("departments")
    if not isinstance(departments, list) or not departments or not all(
            isinstance(d, str) and d.strip() for d in departments):
        raise ConfigError(path, "departments", "应为非空的文字列表，例如 [城管, 房管, 交通, 环卫, 街道]")
    values["departments"] = tuple(d.strip() for d in departments)
    for key, (low, high) in _ISSUE_LIMITS.items():
        value = data.get(key, getattr(IssueRules, key))
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigError(path, key, f"应为 {low} 到 {high} 之间的整数，实际是 {value!r}")
        values[key] = value
    return IssueRules(**values)


_READ: dict[tuple[Path, tuple[tuple[str, int, int], ...]], AppConfig] = {}


def load_config(directory: Path) -> AppConfig:
    """The config in ``directory``; read again only when one of its files changed (a process that builds
    several runtimes, such as the tests' command-line runs, parses the YAML once)."""
    files = tuple(sorted((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in directory.iterdir() if f.is_file()))
    key = (directory.resolve(), files)
    if key not in _READ:
        _READ[key] = read_config(directory)
    return _READ[key]


def read_config(directory: Path) -> AppConfig:
    """Read every file in ``directory`` once; raise ConfigError on the first problem found."""
    offices, alleys = _load_alleys(directory / "alleys.yml")
    categories, handling, not_ours = _load_categories(directory / "categories.yml")
    menu = _load_menu(directory / "menu.json")
    issues = _load_issue_rules(directory / "issues.yml")
    rewards_path = directory / "rewards.yml"
    try:
        rewards = parse_rules(read_yaml(rewards_path))
    except RulesError as exc:
        raise ConfigError(rewards_path, exc.entry, exc.problem) from exc
    broadcasts = _load_broadcast_rules(directory / "broadcasts.yml")
    console = _load_console(directory / "console.yml")
    assessment = _load_assessment(directory / "assessment.yml")
    return AppConfig(directory, offices, alleys, categories, handling, menu, issues, rewards, broadcasts, console,
                     assessment, not_ours)


def _number(path: Path, entry: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(path, entry, f"应为 {low} 到 {high} 之间的数")
    return float(value)


def _load_assessment(path: Path) -> AssessmentRules:
    """Checked at start-up like the other files: the weights of the four parts adding up to 100, the grades
    in order, each number within reason."""
    if not path.exists():
        return AssessmentRules()
    data = read_yaml(path)
    weights = data.get("weights")
    if not isinstance(weights, dict) or set(weights) != set(ASSESSMENT_PARTS):
        raise ConfigError(path, "weights", f"应列出 {'、'.join(ASSESSMENT_PARTS)} 四项的分值")
    values = {p: _number(path, f"weights.{p}", weights[p], 0, 100) for p in ASSESSMENT_PARTS}
    if abs(sum(values.values()) - 100) > 1e-9:
        raise ConfigError(path, "weights", f"四项加起来应为 100（现在是 {sum(values.values()):g}）")
    grades = data.get("grades")
    if not isinstance(grades, dict) or set(grades) != {"优秀", "良好", "合格"}:
        raise ConfigError(path, "grades", "应列出 优秀、良好、合格 三档的最低分")
    marks = {g: _number(path, f"grades.{g}", grades[g], 0, 100) for g in ("优秀", "良好", "合格")}
    if not marks["优秀"] > marks["良好"] > marks["合格"]:
        raise ConfigError(path, "grades", "应为 优秀 > 良好 > 合格")
    full = _number(path, "response_full_hours", data.get("response_full_hours", 4), 0, 720)
    zero = _number(path, "response_zero_hours", data.get("response_zero_hours", 48), 0, 2160)
    if zero <= full:
        raise ConfigError(path, "response_zero_hours", "应大于 response_full_hours")
    return AssessmentRules(
        weights=values, grades=marks, response_full_hours=full, response_zero_hours=zero,
        patrol_days_per_week=int(_number(path, "patrol_days_per_week", data.get("patrol_days_per_week", 5), 1, 7)),
        overdue_deduction=_number(path, "overdue_deduction", data.get("overdue_deduction", 2), 0, 100),
        overdue_deduction_cap=_number(path, "overdue_deduction_cap", data.get("overdue_deduction_cap", 10), 0, 100))


def _load_console(path: Path) -> ConsoleRules:
    """Optional: without the file, the console's maps show no tiles."""
    if not path.exists():
        return ConsoleRules()
    data = read_yaml(path)
    values = {}
    for name in ("map_tiles", "map_subdomains", "map_attribution"):
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ConfigError(path, name, "应为文字")
        values[name] = value.strip()
    tiles = values["map_tiles"]
    if tiles and (not tiles.startswith(("https://", "http://")) or not all(k in tiles for k in ("{x}", "{y}", "{z}"))):
        raise ConfigError(path, "map_tiles", "应为 https:// 开头、含 {x} {y} {z} 的瓦片地址模板，或留空")
    return ConsoleRules(**values)

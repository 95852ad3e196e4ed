"""Project configuration of `segdsl check`: lint severities and thresholds.

Read from `[tool.segdsl]` in a `pyproject.toml`, or from a `segdsl.toml`
(same keys at its top level), found by walking up from the checked file's
folder: the nearest folder with either file wins, so a monorepo can give each
team's models their own rules. `--config PATH` names a file explicitly.

    [tool.segdsl]
    fail-on = "warning"        # error | warning | note: the lowest severity that fails CI
    broad-share = 0.6          # SEG501: a segment above this share of the population
    small-size = 100           # SEG502: a segment (or case) with fewer members
    stale-days = 7             # SEG504: newest event this many days before as_of
    missing-share = 0.05       # SEG505: condition unknown for this share of members
    history = "5 years"        # SEG407: how far back the data reaches

    schema = "schema.toml"     # columns of the sources (--schema), relative to this file
    db = "shop.duckdb"         # or a database (--db) / target = "postgresql://…" (--target)

    [tool.segdsl.rules]        # severity per rule, by code or name: error | warning | note | off
    SEG404 = "off"
    too-small = "error"

    [tool.segdsl.segments.vip]           # one segment, or a case: [tool.segdsl.segments."lifecycle.new"]
    ignore = ["SEG502"]
    small-size = 20

    [tool.segdsl.sources.orders]         # one events source (its name in the model)
    stale-days = 2
    history = "2 years"

A mistake in the configuration is a usage error (SEG309, exit code 2): a
typo in a rule name must not silently switch a rule off.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..lang.diagnostics import SegError, did_you_mean, error

SEVERITIES = ("error", "warning", "note", "off")
RANK = {"off": 0, "note": 1, "warning": 2, "error": 3}

# Threshold keys, their defaults and the rules they tune.
THRESHOLDS: dict[str, object] = {
    "broad-share": 0.6,
    "small-size": 100,
    "stale-days": 7,
    "missing-share": 0.05,
    "history": "5 years",
}
_SEGMENT_KEYS = {"ignore", "broad-share", "small-size", "missing-share"}
_SOURCE_KEYS = {"stale-days", "history"}
_DATA_KEYS = ("schema", "db", "target")  # schema = "columns.toml", db = "shop.duckdb", target = "postgresql://…"
_DURATION = re.compile(r"^\s*(\d+)\s*(days?|weeks?|months?|years?)\s*$")


@dataclass(frozen=True)
class Duration:
    """A span of time from the configuration, such as "5 years"."""

    amount: int
    unit: str  # day, week, month, year

    @property
    def months(self) -> float:
        """Length in months (days and weeks converted on the average month)."""
        if self.unit == "year":
            return 12.0 * self.amount
        if self.unit == "month":
            return float(self.amount)
        return self.amount * (7 if self.unit == "week" else 1) / (365.25 / 12)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


def parse_duration(text: str) -> Duration | None:
    m = _DURATION.match(str(text))
    if not m:
        return None
    return Duration(int(m.group(1)), m.group(2).rstrip("s"))


@dataclass
class Config:
    """Everything `check` needs to know about the project's rules."""

    path: Path | None = None
    fail_on: str = "warning"
    rules: dict[str, str] = field(default_factory=dict)  # code -> severity
    values: dict[str, object] = field(default_factory=dict)  # threshold -> value
    segments: dict[str, dict[str, object]] = field(default_factory=dict)
    sources: dict[str, dict[str, object]] = field(default_factory=dict)
    # Where the columns of the sources are learnt (and, for db/target, the data lints and the
    # editor's member counts run): paths are relative to the configuration file.
    schema: Path | None = None
    db: Path | None = None
    target: str | None = None

    def severity(self, code: str, default: str, subject: str | None = None) -> str:
        """The severity of a finding of rule `code` about `subject` ('off' drops it)."""
        if subject is not None:
            for key in _subject_keys(subject):
                ignored = self.segments.get(key, {}).get("ignore", ())
                if code in ignored:  # type: ignore[operator]
                    return "off"
        return self.rules.get(code, default)

    def threshold(self, name: str, subject: str | None = None, source: str | None = None) -> object:
        """A threshold, with per-segment and per-source overrides."""
        if subject is not None:
            for key in _subject_keys(subject):
                if name in self.segments.get(key, {}):
                    return self.segments[key][name]
        if source is not None and name in self.sources.get(source, {}):
            return self.sources[source][name]
        return self.values.get(name, THRESHOLDS[name])

    def history(self, source: str | None = None) -> Duration:
        value = self.threshold("history", source=source)
        return value if isinstance(value, Duration) else parse_duration(str(value))  # type: ignore[return-value]

    def fails(self, severity: str) -> bool:
        """Whether a finding of this severity makes `check` exit with 1."""
        return RANK[severity] >= RANK[self.fail_on]


def _subject_keys(subject: str) -> list[str]:
    """A case `lifecycle.new` is configured by its own name or by its segmentation's."""
    owner, _, case = subject.partition(".")
    return [subject, owner] if case else [subject]


def _fail(path: Path, message: str, hint: str | None = None):
    return error("SEG309", f"{path}: {message}", None, hint)


def _rule_code(path: Path, name: str) -> str:
    from .lints import RULES, RULES_BY_NAME

    if name in RULES:
        return name
    if name in RULES_BY_NAME:
        return RULES_BY_NAME[name].code
    raise _fail(path, f"unknown rule `{name}`",
                did_you_mean(name, list(RULES) + list(RULES_BY_NAME)) or "rules are SEG401 … SEG507 or their names")


def _check_value(path: Path, key: str, value: object, where: str) -> object:
    default = THRESHOLDS[key]
    if key == "history":
        d = parse_duration(value) if isinstance(value, str) else None
        if d is None or d.amount <= 0:
            raise _fail(path, f"`{where}{key}` must be a duration such as \"5 years\", not {value!r}")
        return d
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, f"`{where}{key}` must be a number, not {value!r}")
    if key.endswith("-share") and not 0 <= value <= 1:
        raise _fail(path, f"`{where}{key}` is a share from 0 to 1, not {value!r}", f"for 60 % write {key} = 0.6")
    if isinstance(default, int) and (value < 0 or not float(value).is_integer()):
        raise _fail(path, f"`{where}{key}` must be a whole number of at least 0, not {value!r}")
    return value


def from_table(table: dict, path: Path) -> Config:
    """A Config from the `[tool.segdsl]` table (or a segdsl.toml's top level)."""
    cfg = Config(path=path)
    for key, value in table.items():
        if key == "fail-on":
            if value not in ("error", "warning", "note"):
                raise _fail(path, f"`fail-on` must be error, warning or note, not {value!r}")
            cfg.fail_on = value
        elif key in THRESHOLDS:
            cfg.values[key] = _check_value(path, key, value, "")
        elif key == "rules":
            if not isinstance(value, dict):
                raise _fail(path, "`rules` must be a table: [tool.segdsl.rules]")
            for name, sev in value.items():
                if sev not in SEVERITIES:
                    raise _fail(path, f"the severity of `{name}` must be error, warning, note or off, not {sev!r}")
                cfg.rules[_rule_code(path, name)] = sev
        elif key in _DATA_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise _fail(path, f"`{key}` must be a path or URL in quotes, not {value!r}")
            if key == "target":
                cfg.target = value
            else:
                setattr(cfg, key, (path.parent / value).resolve())
        elif key in ("segments", "sources"):
            allowed = _SEGMENT_KEYS if key == "segments" else _SOURCE_KEYS
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise _fail(path, f"`{key}` must hold one table per name: [tool.segdsl.{key}.NAME]")
            target = cfg.segments if key == "segments" else cfg.sources
            for name, settings in value.items():
                out: dict[str, object] = {}
                for k, v in settings.items():
                    if k not in allowed:
                        raise _fail(path, f"unknown setting `{k}` for {key[:-1]} `{name}`",
                                    did_you_mean(k, allowed) or f"settings: {', '.join(sorted(allowed))}")
                    if k == "ignore":
                        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                            raise _fail(path, f"`ignore` of `{name}` must be a list of rules")
                        out[k] = frozenset(_rule_code(path, x) for x in v)
                    else:
                        out[k] = _check_value(path, k, v, f"{key}.{name}.")
                target[name] = out
        else:
            raise _fail(path, f"unknown setting `{key}`",
                        did_you_mean(key, list(THRESHOLDS) + ["fail-on", "rules", "segments", "sources", *_DATA_KEYS]))
    return cfg


def load(path: Path) -> Config:
    """Read a configuration file: a pyproject.toml ([tool.segdsl]) or a segdsl.toml."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error("SEG309", f"cannot find the configuration `{path}`", None, "give the path of a segdsl.toml") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(path, f"cannot read it: {exc}") from None
    if path.name == "pyproject.toml" or "tool" in data:
        table = data.get("tool", {}).get("segdsl", {})
    else:
        table = data
    if not isinstance(table, dict):
        raise _fail(path, "[tool.segdsl] must be a table")
    return from_table(table, path)


def find(start: Path) -> Config:
    """The configuration that applies to files in `start`: the nearest segdsl.toml or
    pyproject.toml with [tool.segdsl] in it or a folder above, else the defaults."""
    start = start.resolve()
    found = Config()
    for folder in (start, *start.parents):
        own = folder / "segdsl.toml"
        if own.is_file():
            found = load(own)
            break
        project = folder / "pyproject.toml"
        if project.is_file():
            try:
                has = "segdsl" in tomllib.loads(project.read_text(encoding="utf-8")).get("tool", {})
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                has = False
            if has:
                found = load(project)
                break
        if (folder / ".git").exists():
            break  # the top of the repository: configuration above it belongs to someone else
    return found


__all__ = ["Config", "Duration", "find", "load", "from_table", "parse_duration", "SEVERITIES", "RANK", "SegError"]

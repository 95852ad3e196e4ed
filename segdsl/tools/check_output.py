"""Output of `segdsl check` for people and for machines.

* text: diagnostics with the source line and a caret (stderr), an `ok`
  line per clean file (stdout), as a terminal or CI log shows them;
* json: one document with every file and diagnostic, for scripts;
* github: workflow commands (`::warning file=…,line=…::…`) that GitHub
  Actions turns into annotations on the pull request's diff;
* sarif: a SARIF 2.1.0 log, which code-scanning tools (GitHub code
  scanning, Azure DevOps, IDE viewers) show inline.

Paths are written relative to the working folder, as CI runs from the top
of the repository; columns count characters (SARIF `unicodeCodePoints`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..lang.diagnostics import CODES, Diagnostic, display_path
from .check_command import Result

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/segdsl/"


def _rule_name(code: str) -> str:
    from ..semantic.lints import RULES

    if code in RULES:
        return RULES[code].name
    return re.sub(r"[^a-z0-9]+", "-", CODES.get(code, code).lower()).strip("-")


def _path(d: Diagnostic) -> str | None:
    if d.span is None:
        return None
    return display_path(d.span.file) if not d.span.file.startswith("<") else d.span.file


def text(result: Result, quiet: bool = False) -> tuple[str, str]:
    """(stdout, stderr) of the text format."""
    from ..lang.diagnostics import SourceCache

    out: list[str] = []
    err: list[str] = []
    sources: SourceCache = result.sources
    blocks: list[list[Diagnostic]] = [[d] for d in result.usage] if result.usage else []
    for f in result.files:
        if f.ok and not quiet:
            counts = _counts(f.diagnostics)
            extra = ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in counts.items() if n)
            line = f"ok {f.path}: {f.summary}" + (f" ({extra})" if extra else "")
            out.append(line)
            if f.columns_from:
                where = ", ".join(f"{name} ← {origin}" for name, origin in f.columns_from.items())
                out.append(f"   columns checked: {where}")
        if f.diagnostics:
            blocks.append(f.diagnostics)
    for block in blocks:
        err.append("\n\n".join(d.render(sources) for d in block) + "\n")
        if len(block) > 1:
            err.append(f"\n{len(block)} problems\n")
    return ("\n".join(out) + "\n" if out else ""), "".join(err)


def _counts(diags: list[Diagnostic]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "note": 0}
    for d in diags:
        counts[d.severity] = counts.get(d.severity, 0) + 1
    return counts


def to_json(result: Result) -> str:
    diags = []
    for d in result.diagnostics:
        item = {"code": d.code, "rule": _rule_name(d.code), "severity": d.severity, "message": d.message,
                "hint": d.hint, "file": _path(d)}
        if d.span is not None and d.span.line > 0:
            item.update(line=d.span.line, column=d.span.column, end_line=d.span.end_line,
                        end_column=d.span.end_column)
        diags.append(item)
    doc = {
        "tool": {"name": "segdsl", "version": __version__},
        "files": [{"path": f.path, "ok": f.ok, "summary": f.summary or None, "columns_from": f.columns_from}
                  for f in result.files],
        "diagnostics": diags,
        "counts": _counts(result.diagnostics),
        "exit_code": result.exit_code(),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(result: Result) -> str:
    """GitHub Actions workflow commands, one per diagnostic."""
    lines = []
    for d in result.diagnostics:
        command = {"error": "error", "warning": "warning"}.get(d.severity, "notice")
        props = []
        path = _path(d)
        if path and not path.startswith("<"):
            props.append(f"file={_escape_property(path)}")
            if d.span.line > 0:
                props += [f"line={d.span.line}", f"col={d.span.column}"]
                if d.span.end_line > 0:
                    props += [f"endLine={d.span.end_line}", f"endColumn={d.span.end_column}"]
        props.append(f"title={_escape_property(f'{d.code} {CODES.get(d.code, d.code)}')}")
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        lines.append(f"::{command} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _uri(path: str) -> tuple[str, str | None]:
    """A SARIF artifact URI: relative to the source root when inside it."""
    p = Path(path)
    if p.is_absolute():
        return p.as_uri(), None
    return quote(p.as_posix()), "%SRCROOT%"


def sarif(result: Result) -> str:
    """A SARIF 2.1.0 log with one run."""
    from ..semantic.lints import RULES

    codes = sorted(CODES)
    rules = []
    for code in codes:
        rule = RULES.get(code)
        level = {"off": "none"}.get(rule.severity, rule.severity) if rule else "error"
        entry = {
            "id": code,
            "name": _rule_name(code),
            "shortDescription": {"text": rule.title if rule else CODES[code]},
            "defaultConfiguration": {"level": level, "enabled": level != "none"},
            "properties": {"tags": ["segment-quality" if rule else "correctness"]},
        }
        if rule:
            entry["fullDescription"] = {"text": rule.help}
            entry["help"] = {"text": rule.help + f" Configure with [tool.segdsl.rules] {code} = \"off\" or "
                             f"silence one definition with # segdsl: ignore[{code}]."}
        rules.append(entry)
    results = []
    artifacts: dict[str, int] = {}
    for d in result.diagnostics:
        item: dict = {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code) if d.code in codes else -1,
            "level": {"error": "error", "warning": "warning"}.get(d.severity, "note"),
            "message": {"text": d.message + (f" (hint: {d.hint})" if d.hint else "")},
        }
        if item["ruleIndex"] < 0:
            del item["ruleIndex"]
        path = _path(d)
        if path and not path.startswith("<"):
            uri, base = _uri(path)
            location: dict = {"artifactLocation": {"uri": uri}}
            if base:
                location["artifactLocation"]["uriBaseId"] = base
            if uri not in artifacts:
                artifacts[uri] = len(artifacts)
            location["artifactLocation"]["index"] = artifacts[uri]
            if d.span.line > 0:
                location["region"] = {"startLine": d.span.line, "startColumn": d.span.column,
                                      "endLine": d.span.end_line, "endColumn": d.span.end_column}
            item["locations"] = [{"physicalLocation": location}]
        results.append(item)
    artifact_list = []
    for uri in artifacts:
        loc: dict = {"uri": uri}
        if not uri.startswith("file:"):
            loc["uriBaseId"] = "%SRCROOT%"
        artifact_list.append({"location": loc, "mimeType": "text/x-segdsl", "sourceLanguage": "segdsl"})
    run = {
        "tool": {"driver": {"name": "segdsl", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI, "rules": rules}},
        "columnKind": "unicodeCodePoints",
        "artifacts": artifact_list,
        "results": results,
        "invocations": [{"executionSuccessful": not result.usage, "exitCode": result.exit_code()}],
    }
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


__all__ = ["FORMATS", "text", "to_json", "github", "sarif"]

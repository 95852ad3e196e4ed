"""The results of `segdsl test` as text, JSON, JUnit XML and GitHub Actions annotations.

Every failure points at its `expect` (file:line:col) and says what was
expected and what the model gave; member sets are shown as the members
missing and the members not expected. `explanations` (filled in by the
command from `segdsl explain`) are shown under the expectation they belong to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from ..lang.diagnostics import CODES, Diagnostic, SourceCache
from .fixtures import show_value
from .runner import FileTests, Outcome, TestResult, text_of


@dataclass
class Run:
    """Everything one `segdsl test` reports."""

    files: list[FileTests]
    sources: SourceCache
    engine: str
    # (file, test name, expectation index) → rendered explanations of its wrong members
    explanations: dict[tuple[str, str, int], list[str]] = field(default_factory=dict)
    coverage: bool = False  # list what no test expects

    def results(self) -> list[TestResult]:
        return [r for f in self.files for r in f.results]

    def counts(self) -> dict[str, int]:
        rs = self.results()
        return {"tests": len(rs), "passed": sum(r.status == "pass" for r in rs),
                "failed": sum(r.status == "fail" for r in rs), "errors": sum(r.status == "error" for r in rs),
                "files_with_errors": sum(bool(f.errors) for f in self.files)}

    def exit_code(self) -> int:
        c = self.counts()
        return 0 if not (c["failed"] or c["errors"] or c["files_with_errors"]) else 1


def _where(o: Outcome) -> str:
    s = o.expect.span
    return f"{s.file}:{s.line}:{s.column}"


def text(run: Run) -> tuple[str, str]:
    """(stdout, stderr): one line per test on stdout, failures and errors in full on stderr."""
    out: list[str] = []
    err: list[str] = []
    for f in run.files:
        for d in f.errors:
            err.append(d.render(run.sources))
        for r in f.results:
            label = f"  {r.label}" if r.label else ""
            mark = {"pass": "ok  ", "fail": "FAIL", "error": "ERR "}[r.status]
            out.append(f"{mark} {f.path}: {r.name}{label} ({r.seconds * 1000:.0f} ms, {r.engine})")
            if r.errors:
                err.append("\n\n".join(d.render(run.sources) for d in r.errors))
            for i, o in enumerate(r.outcomes):
                if o.passed:
                    continue
                lines = [f"FAIL {_where(o)}: {r.name}: {text_of(o.expect, run.sources)}", f"  {o.summary()}"]
                for why in run.explanations.get((f.path, r.name, i), []):
                    lines += [""] + ["  " + line if line else "" for line in why.rstrip("\n").splitlines()]
                err.append("\n".join(lines))
    c = run.counts()
    parts = [f"{c['passed']} passed"] + ([f"{c['failed']} failed"] if c["failed"] else []) + \
        ([f"{c['errors']} could not run"] if c["errors"] else []) + \
        ([f"{c['files_with_errors']} files with errors"] if c["files_with_errors"] else [])
    out.append(f"{c['tests']} test{'s' * (c['tests'] != 1)} on {run.engine}: " + ", ".join(parts))
    if run.coverage:
        from .coverage import report

        out.append(report(run.files).rstrip("\n"))
    return "\n".join(out) + "\n", ("\n\n".join(err) + "\n") if err else ""


def _diag(d: Diagnostic) -> dict:
    out: dict = {"code": d.code, "severity": d.severity, "message": d.message, "hint": d.hint}
    if d.span is not None:
        out.update(file=d.span.file, line=d.span.line, column=d.span.column)
    return out


def _value(v: object) -> object:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def _outcome(o: Outcome, run: Run, key: tuple[str, str, int]) -> dict:
    e = o.expect
    out: dict = {"expect": text_of(e, run.sources), "kind": e.kind, "subject": e.subject_text,
                 "file": e.span.file, "line": e.span.line, "column": e.span.column, "passed": o.passed}
    if e.kind in ("members", "not_in", "contains"):
        out.update(expected=[_value(k.value) for k in e.keys], actual=[_value(k) for k in o.actual_members],
                   missing=[_value(k) for k in o.missing], unexpected=[_value(k) for k in o.unexpected])
    else:
        out.update(member=_value(e.key.value if e.key else None),
                   expected=None if e.kind == "missing" else _value(e.value.value if e.value else None),
                   actual=_value(o.actual))
    if key in run.explanations:
        out["explanations"] = run.explanations[key]
    return out


def to_json(run: Run) -> str:
    files = []
    for f in run.files:
        tests = [{"name": r.name, "label": r.label, "line": r.span.line, "engine": r.engine, "status": r.status,
                  "seconds": round(r.seconds, 4),
                  "expectations": [_outcome(o, run, (f.path, r.name, i)) for i, o in enumerate(r.outcomes)],
                  "errors": [_diag(d) for d in r.errors]} for r in f.results]
        files.append({"path": f.path, "tests": tests, "errors": [_diag(d) for d in f.errors]})
    data: dict = {"engine": run.engine, "summary": run.counts(), "files": files}
    if run.coverage:
        from .coverage import uncovered

        missing, total = uncovered(run.files)
        data["coverage"] = {"total": total, "covered": total - len(missing),
                            "not_covered": [{"file": i.file, "line": i.line, "kind": i.kind, "name": i.name}
                                            for i in missing]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def junit(run: Run) -> str:
    """JUnit XML: a suite per file, a case per test; a failed expectation is a <failure>, a test that
    could not run an <error>."""
    c = run.counts()
    root = ET.Element("testsuites", name="segdsl test", tests=str(c["tests"]), failures=str(c["failed"]),
                      errors=str(c["errors"] + c["files_with_errors"]))
    for f in run.files:
        suite = ET.SubElement(root, "testsuite", name=f.path, tests=str(len(f.results)),
                              failures=str(sum(r.status == "fail" for r in f.results)),
                              errors=str(sum(r.status == "error" for r in f.results) + bool(f.errors)),
                              time=f"{sum(r.seconds for r in f.results):.3f}")
        if f.errors:
            case = ET.SubElement(suite, "testcase", classname=f.path, name="(load)", time="0")
            ET.SubElement(case, "error", message=f.errors[0].message,
                          type=f.errors[0].code).text = "\n\n".join(d.render(run.sources) for d in f.errors)
        for r in f.results:
            case = ET.SubElement(suite, "testcase", classname=f.path, name=r.name, time=f"{r.seconds:.3f}",
                                 file=f.path, line=str(r.span.line))
            if r.errors:
                ET.SubElement(case, "error", message=r.errors[0].message, type=r.errors[0].code).text = \
                    "\n\n".join(d.render(run.sources) for d in r.errors)
                continue
            failed = [(i, o) for i, o in enumerate(r.outcomes) if not o.passed]
            if failed:
                body = []
                for i, o in failed:
                    body.append(f"{_where(o)}: {text_of(o.expect, run.sources)}\n  {o.summary()}")
                    body += run.explanations.get((f.path, r.name, i), [])
                ET.SubElement(case, "failure", message=f"{text_of(failed[0][1].expect, run.sources)}: "
                              f"{failed[0][1].summary()}", type="expectation").text = "\n".join(body)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def _annotation(file: str, line: int, column: int, title: str, message: str) -> str:
    props = [f"file={_escape_property(file)}"]
    if line > 0:
        props += [f"line={line}", f"col={column}"]
    props.append(f"title={_escape_property(title)}")
    return f"::error {','.join(props)}::{_escape_data(message)}"


def github(run: Run) -> str:
    """GitHub Actions annotations: one at each failing `expect`, one per diagnostic of a test that could
    not run; then the summary line."""
    lines = []
    for f in run.files:
        for d in f.errors:
            s = d.span
            lines.append(_annotation(s.file if s else f.path, s.line if s else 0, s.column if s else 0,
                                     f"{d.code} {CODES.get(d.code, d.code)}",
                                     d.message + (f"\nhint: {d.hint}" if d.hint else "")))
        for r in f.results:
            for d in r.errors:
                s = d.span
                lines.append(_annotation(s.file if s else f.path, s.line if s else 0, s.column if s else 0,
                                         f"{d.code} {CODES.get(d.code, d.code)}",
                                         d.message + (f"\nhint: {d.hint}" if d.hint else "")))
            for i, o in enumerate(r.outcomes):
                if o.passed:
                    continue
                s = o.expect.span
                message = "\n".join([f"{text_of(o.expect, run.sources)}: {o.summary()}"]
                                    + run.explanations.get((f.path, r.name, i), []))
                lines.append(_annotation(s.file, s.line, s.column, f"segdsl test {r.name} failed", message))
    lines.append(text(run)[0].splitlines()[-1])
    return "\n".join(lines) + "\n"


FORMATS = ("text", "json", "junit", "github")

__all__ = ["Run", "text", "to_json", "junit", "github", "FORMATS", "show_value"]

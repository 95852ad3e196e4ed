"""`segdsl lsp`: the language server (LSP 3.17 over stdio, on pygls and lsprotocol).

Every feature reads the editor's buffers, not the files on disk: a document is checked
with its unsaved imports. Checking runs in one worker thread, shortly after the last edit
(a newer edit supersedes an older check, whose result is dropped), so that completion and
hover answer at once from the last result while a check runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ... import __version__
from ...lang.diagnostics import Diagnostic, Span
from . import lens as lenses
from .analysis import CheckOutcome, Definition, check_document, diagnostics_for
from .completion import complete
from .describe import column_markdown, hover_markdown
from .index import Index
from .outline import TOKEN_MODIFIERS, TOKEN_TYPES, encode, folds, tokens

DEBOUNCE = 0.02  # seconds after an edit before it is checked: a burst of keystrokes is checked once
NAME = re.compile(r"(?!\d)\w+")

_SEVERITY = {"error": t.DiagnosticSeverity.Error, "warning": t.DiagnosticSeverity.Warning,
             "note": t.DiagnosticSeverity.Information}
_SYMBOL = {"param": t.SymbolKind.Constant, "entity": t.SymbolKind.Class, "events": t.SymbolKind.Event,
           "feature": t.SymbolKind.Field, "segment": t.SymbolKind.Boolean, "segmentation": t.SymbolKind.Enum,
           "case": t.SymbolKind.EnumMember, "holdout": t.SymbolKind.Object, "arm": t.SymbolKind.EnumMember,
           "report": t.SymbolKind.Namespace, "audience": t.SymbolKind.Interface, "test": t.SymbolKind.Method}
_COMPLETION = {"keyword": t.CompletionItemKind.Keyword, "param": t.CompletionItemKind.Constant,
               "entity": t.CompletionItemKind.Class, "events": t.CompletionItemKind.Event,
               "feature": t.CompletionItemKind.Field, "segment": t.CompletionItemKind.Variable,
               "segmentation": t.CompletionItemKind.Enum, "case": t.CompletionItemKind.EnumMember,
               "holdout": t.CompletionItemKind.Module, "arm": t.CompletionItemKind.EnumMember,
               "column": t.CompletionItemKind.Property, "score": t.CompletionItemKind.Value,
               "function": t.CompletionItemKind.Function, "report": t.CompletionItemKind.Reference,
               "audience": t.CompletionItemKind.Interface}


@dataclass
class _State:
    """The last check of an open document."""

    version: int | None = None
    outcome: CheckOutcome | None = None
    task: asyncio.Task | None = None
    # The last outcome whose model checked: completion and hover keep using it while the text is broken.
    good: CheckOutcome | None = None
    generation: int = 0  # counts the checks scheduled: only the latest one publishes


class SegdslServer(LanguageServer):
    """The server and what it keeps between requests."""

    def __init__(self) -> None:
        super().__init__("segdsl", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Incremental)
        self.index = Index()
        self.states: dict[str, _State] = {}
        self.checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="segdsl-check")
        self.as_of: dt.date | None = None
        self.database: str | None = None
        self.jobs: dict[str, lenses.Job] = {}  # the count of each document's current text
        self.live: set[lenses.Job] = set()  # every count whose thread runs, cancelled ones included
        self.checking: tuple[str, Any] | None = None  # the document being checked, and its data holder
        self.counted: dict[tuple, lenses.Counts | str] = {}

    # ── documents ──────────────────────────────────────────────────────
    def path_of(self, uri: str) -> Path:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path is None:  # an untitled buffer: imports are relative to the working folder
            return (Path.cwd() / (re.sub(r"\W+", "_", uri) + ".seg")).resolve()
        return Path(path).resolve()

    def uri_of(self, path: Path) -> str:
        for uri in self.states:
            if self.path_of(uri) == path:
                return uri
        return from_fs_path(str(path)) or path.as_uri()

    def lines_of(self, path: Path) -> list[str]:
        return (self.index.text(path) or "").splitlines()

    def edited(self, uri: str) -> None:
        """A buffer changed: record its text, cancel its counts, and check it and the open files importing it."""
        doc = self.workspace.get_text_document(uri)
        path = self.path_of(uri)
        self.index.set_open(path, doc.source)
        job = self.jobs.pop(uri, None)
        if job is not None:
            job.cancel()
            self.window_log_message(t.LogMessageParams(t.MessageType.Log, f"member counts of {uri} cancelled"))
        for other in list(self.states):
            if other == uri or path in self.index.closure(self.path_of(other)):
                self.schedule(other)

    def schedule(self, uri: str) -> None:
        state = self.states.setdefault(uri, _State())
        if state.task is not None and not state.task.done():
            state.task.cancel()
        state.generation += 1
        running = self.checking
        if running is not None and running[0] == uri:
            _cancel_data(running[1])  # its data lints' queries: the result would be dropped
        state.task = asyncio.get_running_loop().create_task(self._check(uri))

    async def _check(self, uri: str) -> None:
        generation = self.states[uri].generation
        await asyncio.sleep(DEBOUNCE)
        doc = self.workspace.get_text_document(uri)
        version = doc.version
        path = self.path_of(uri)
        overlay = dict(self.index.open)
        loop = asyncio.get_running_loop()

        mine: list[Any] = []

        def opened(data: Any) -> None:
            mine.append(data)
            self.checking = (uri, data)

        outcome = await loop.run_in_executor(self.checker, _check_safely, path, overlay, self.database, opened)
        if self.checking is not None and mine and self.checking[1] is mine[0]:
            self.checking = None
        state = self.states.get(uri)
        if state is None or state.generation != generation \
                or self.workspace.get_text_document(uri).version != version:
            return  # closed or edited meanwhile: a newer check follows
        state.version, state.outcome = version, outcome
        if outcome.model is not None:
            state.good = outcome
        lines = doc.source.splitlines()
        self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=[to_lsp(d, lines) for d in diagnostics_for(outcome, path)]))

    def outcome(self, uri: str) -> CheckOutcome | None:
        state = self.states.get(uri)
        return state.outcome if state else None

    def known(self, uri: str) -> CheckOutcome | None:
        """The last outcome with a checked model (for completion and hover while the text is broken)."""
        state = self.states.get(uri)
        if state is None:
            return None
        return state.outcome if state.outcome is not None and state.outcome.model is not None else state.good


def _check_safely(path: Path, overlay: dict[Path, str], database: str | None, opened) -> CheckOutcome:
    """A check that never takes the server down: a fault is reported as SEG900 at the top of the file."""
    try:
        return check_document(path, overlay, database, opened)
    except BaseException as exc:  # noqa: BLE001 - the server must survive every input; an interrupted query
        # raises KeyboardInterrupt in this thread
        return CheckOutcome([Diagnostic("SEG900", f"internal error: {type(exc).__name__}: {exc}", None,
                                        "this is a bug in segdsl, not in your model; please report it")])


def _cancel_data(data: Any) -> None:
    engine = getattr(data, "target", None)
    if engine is not None:
        try:
            engine.cancel()
        except Exception:  # noqa: BLE001 - closed meanwhile
            pass


# ── positions ──────────────────────────────────────────────────────────────
def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _column(lines: list[str], line: int, column: int) -> int:
    """A 1-based character column as 0-based UTF-16 units."""
    if 0 < line <= len(lines):
        return _units(lines[line - 1][: max(column - 1, 0)])
    return max(column - 1, 0)


def to_range(span: Span | None, lines: list[str]) -> t.Range:
    if span is None or span.line <= 0:
        return t.Range(t.Position(0, 0), t.Position(0, 0))
    return t.Range(t.Position(span.line - 1, _column(lines, span.line, span.column)),
                   t.Position(span.end_line - 1, _column(lines, span.end_line, span.end_column)))


def from_position(lines: list[str], pos: t.Position) -> tuple[int, int]:
    """An LSP position as a 1-based line and character column."""
    line = lines[pos.line] if pos.line < len(lines) else ""
    units = 0
    for i, ch in enumerate(line):
        if units >= pos.character:
            return pos.line + 1, i + 1
        units += 2 if ord(ch) > 0xFFFF else 1
    return pos.line + 1, len(line) + 1


def offset_of(text: str, pos: t.Position) -> int:
    lines = text.split("\n")
    line, column = from_position(text.splitlines(), pos)
    return sum(len(x) + 1 for x in lines[: line - 1]) + column - 1


def to_lsp(d: Diagnostic, lines: list[str]) -> t.Diagnostic:
    """A diagnostic of segdsl for the editor; the hint goes with the message, and both apart in `data`."""
    message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    return t.Diagnostic(range=to_range(d.span, lines), message=message, severity=_SEVERITY.get(d.severity),
                        code=d.code, source="segdsl",
                        data={"message": d.message, "hint": d.hint, "severity": d.severity})


server = SegdslServer()


@server.feature(t.INITIALIZE)
def initialize(ls: SegdslServer, params: t.InitializeParams) -> None:
    roots: list[Path] = []
    for folder in params.workspace_folders or []:
        if folder.uri.startswith("file:"):
            roots.append(Path(to_fs_path(folder.uri)))
    if not roots and params.root_uri and params.root_uri.startswith("file:"):
        roots.append(Path(to_fs_path(params.root_uri)))
    ls.index = Index(roots)
    options = params.initialization_options or {}
    lens_options = options.get("codeLens", {}) if isinstance(options, dict) else {}
    as_of = lens_options.get("asOf") if isinstance(lens_options, dict) else None
    try:
        ls.as_of = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        ls.as_of = None
    ls.database = lens_options.get("database") or None if isinstance(lens_options, dict) else None


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: SegdslServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.states.setdefault(params.text_document.uri, _State())
    ls.edited(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: SegdslServer, params: t.DidChangeTextDocumentParams) -> None:
    ls.edited(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: SegdslServer, params: t.DidSaveTextDocumentParams) -> None:
    ls.index.forget()
    ls.edited(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: SegdslServer, params: t.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    state = ls.states.pop(uri, None)
    if state is not None and state.task is not None:
        state.task.cancel()
    job = ls.jobs.pop(uri, None)
    if job is not None:
        job.cancel()
    ls.index.set_open(ls.path_of(uri), None)
    ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_files(ls: SegdslServer, params: t.DidChangeWatchedFilesParams) -> None:
    ls.index.forget()
    for uri in list(ls.states):
        ls.schedule(uri)


# ── completion, hover, navigation ──────────────────────────────────────────
@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=["."]))
def completion(ls: SegdslServer, params: t.CompletionParams) -> t.CompletionList:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    path = ls.path_of(uri)
    ls.index.set_open(path, text)
    outcome = ls.known(uri)
    columns: dict[str, dict[str, str]] = {}
    labels: dict[str, tuple[str, ...]] = {}
    if outcome is not None:
        for name, cols in (outcome.schemas or {}).items():
            columns[name] = {c: getattr(ty, "value", str(ty)) for c, ty in cols.items()}
        if outcome.model is not None:
            labels = {n: tuple(s.labels) for n, s in outcome.model.segmentations.items()}
    visible = ls.index.visible(path)
    for d in visible.values():
        declared = getattr(d.node, "columns", None) if d.kind in ("entity", "events") else None
        for decl in declared or ():
            columns.setdefault(d.key, {}).setdefault(decl.name.text, decl.type.text)
    items = complete(text, offset_of(text, params.position), visible, columns, labels)
    return t.CompletionList(is_incomplete=False, items=[
        t.CompletionItem(label=i.label, kind=_COMPLETION.get(i.kind), detail=i.detail or i.kind) for i in items])


@server.feature(t.TEXT_DOCUMENT_HOVER)
def hover(ls: SegdslServer, params: t.HoverParams) -> t.Hover | None:
    uri = params.text_document.uri
    path = ls.path_of(uri)
    lines = ls.lines_of(path)
    occ, target = ls.index.at(path, *from_position(lines, params.position))
    if occ is None:
        return None
    outcome = ls.known(uri)
    if target is not None:
        text = hover_markdown(target, ls.index.text(target.path), outcome.model if outcome else None, path)
    elif occ.key.startswith("column:"):
        text = column_markdown(occ.key, outcome.schemas if outcome else {})
    else:
        return None
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text), range=to_range(occ.span, lines))


def _target(ls: SegdslServer, uri: str, position: t.Position) -> tuple[Path, Definition | None]:
    path = ls.path_of(uri)
    _, target = ls.index.at(path, *from_position(ls.lines_of(path), position))
    return path, target


def _location(ls: SegdslServer, path: Path, span: Span) -> t.Location:
    return t.Location(uri=ls.uri_of(path), range=to_range(span, ls.lines_of(path)))


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
def definition(ls: SegdslServer, params: t.DefinitionParams) -> t.Location | None:
    _, target = _target(ls, params.text_document.uri, params.position)
    return _location(ls, target.path, target.name_span) if target else None


@server.feature(t.TEXT_DOCUMENT_REFERENCES)
def references(ls: SegdslServer, params: t.ReferenceParams) -> list[t.Location]:
    _, target = _target(ls, params.text_document.uri, params.position)
    if target is None:
        return []
    found = ls.index.references(target, params.context.include_declaration)
    return [_location(ls, p, span) for p, span in found]


@server.feature(t.TEXT_DOCUMENT_PREPARE_RENAME)
def prepare_rename(ls: SegdslServer, params: t.PrepareRenameParams) -> t.Range | None:
    path = ls.path_of(params.text_document.uri)
    lines = ls.lines_of(path)
    occ, target = ls.index.at(path, *from_position(lines, params.position))
    if occ is None or target is None:
        return None
    return to_range(occ.span, lines)


@server.feature(t.TEXT_DOCUMENT_RENAME)
def rename(ls: SegdslServer, params: t.RenameParams) -> t.WorkspaceEdit | None:
    from .outline import KEYWORDS

    _, target = _target(ls, params.text_document.uri, params.position)
    if target is None:
        return None
    new = params.new_name
    if not NAME.fullmatch(new) or new in KEYWORDS:
        raise JsonRpcInvalidParams(f"`{new}` is not a name: names are letters, digits and _, not starting with a "
                                   "digit, and not a keyword")
    owner = target.key.rpartition(".")[0]
    clash = ls.index.visible(target.path).get(f"{owner}.{new}" if owner else new)
    if clash is not None and clash is not target:
        raise JsonRpcInvalidParams(f"`{new}` is already defined in {clash.path.name}:{clash.name_span.line}")
    changes: dict[str, list[t.TextEdit]] = {}
    for path, span in ls.index.references(target, include_declaration=True):
        changes.setdefault(ls.uri_of(path), []).append(t.TextEdit(to_range(span, ls.lines_of(path)), new))
    return t.WorkspaceEdit(changes=changes)


# ── outline ────────────────────────────────────────────────────────────────
def _symbol(ls: SegdslServer, d: Definition, lines: list[str], children: list[t.DocumentSymbol]) -> t.DocumentSymbol:
    name = d.key.rpartition(".")[2] if d.kind in ("case", "arm") else d.key.removeprefix("test:")
    return t.DocumentSymbol(name=name, kind=_SYMBOL[d.kind], range=to_range(d.span, lines),
                            selection_range=to_range(d.name_span, lines), detail=d.label or d.kind,
                            children=children or None)


@server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: SegdslServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol]:
    path = ls.path_of(params.text_document.uri)
    entry = ls.index.parsed(path)
    if entry is None:
        return []
    lines = entry.text.splitlines()
    out: list[t.DocumentSymbol] = []
    parts: dict[str, list[t.DocumentSymbol]] = {}
    for d in entry.definitions:
        if d.kind in ("case", "arm"):
            parts.setdefault(d.key.rpartition(".")[0], []).append(_symbol(ls, d, lines, []))
    for d in entry.definitions:
        if d.kind not in ("case", "arm"):
            out.append(_symbol(ls, d, lines, parts.get(d.key, [])))
    return sorted(out, key=lambda x: (x.range.start.line, x.range.start.character))


@server.feature(t.WORKSPACE_SYMBOL)
def workspace_symbols(ls: SegdslServer, params: t.WorkspaceSymbolParams) -> list[t.SymbolInformation]:
    query = params.query.casefold()
    out = []
    for d in ls.index.definitions():
        if query in d.key.casefold():
            out.append(t.SymbolInformation(name=d.key, kind=_SYMBOL[d.kind], container_name=d.path.name,
                                           location=_location(ls, d.path, d.name_span)))
    return out


@server.feature(t.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: SegdslServer, params: t.DocumentFormattingParams) -> list[t.TextEdit] | None:
    from ...lang.diagnostics import SegError
    from ...lang.formatter import format_text

    doc = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_text(doc.source, str(ls.path_of(params.text_document.uri)))
    except SegError:
        return None  # a file that does not parse is left as it is; its diagnostics say why
    if formatted == doc.source:
        return []
    lines = doc.source.split("\n")
    end = t.Position(len(lines) - 1, _units(lines[-1]))
    return [t.TextEdit(t.Range(t.Position(0, 0), end), formatted)]


@server.feature(t.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                t.SemanticTokensLegend(token_types=list(TOKEN_TYPES), token_modifiers=list(TOKEN_MODIFIERS)))
def semantic_tokens(ls: SegdslServer, params: t.SemanticTokensParams) -> t.SemanticTokens:
    path = ls.path_of(params.text_document.uri)
    text = ls.index.text(path) or ""
    found = tokens(text, ls.index.occurrences(path), ls.index.visible(path))
    return t.SemanticTokens(data=encode(found))


@server.feature(t.TEXT_DOCUMENT_FOLDING_RANGE)
def folding(ls: SegdslServer, params: t.FoldingRangeParams) -> list[t.FoldingRange]:
    path = ls.path_of(params.text_document.uri)
    entry = ls.index.parsed(path)
    if entry is None:
        return []
    kinds = {"region": t.FoldingRangeKind.Region, "comment": t.FoldingRangeKind.Comment}
    return [t.FoldingRange(start_line=f.start, end_line=f.end, kind=kinds[f.kind])
            for f in folds(entry.text, entry.definitions)]


# ── code lenses ────────────────────────────────────────────────────────────
@server.feature(t.TEXT_DOCUMENT_CODE_LENS, t.CodeLensOptions(resolve_provider=False))
def code_lens(ls: SegdslServer, params: t.CodeLensParams) -> list[t.CodeLens]:
    uri = params.text_document.uri
    outcome = ls.outcome(uri)
    doc = ls.workspace.get_text_document(uri)
    state = ls.states.get(uri)
    if outcome is None or outcome.model is None or not outcome.database or state is None \
            or state.version != doc.version:
        return []
    path = ls.path_of(uri)
    entry = ls.index.parsed(path)
    if entry is None:
        return []
    segments = [d for d in entry.definitions if d.kind == "segment" and d.key in outcome.model.segments]
    if not segments:
        return []
    from ...semantic.params import today

    as_of = ls.as_of or today()
    key = (uri, doc.version, str(outcome.database), as_of)
    counted = ls.counted.get(key)
    if counted is None:
        _start_count(ls, uri, key, outcome, as_of)
    lines = entry.text.splitlines()
    out = []
    for d in segments:
        if isinstance(counted, lenses.Counts):
            title = lenses.title(d.key, counted)
        elif isinstance(counted, str):
            title = f"members not counted: {counted}"
        else:
            title = "counting members…"
        out.append(t.CodeLens(range=to_range(d.name_span, lines), command=t.Command(title=title, command="")))
    return out


def _start_count(ls: SegdslServer, uri: str, key: tuple, outcome: CheckOutcome, as_of: dt.date) -> None:
    running = ls.jobs.get(uri)
    if running is not None and running.key == key:
        return
    if running is not None:
        running.cancel()
    job = lenses.Job(key)
    ls.jobs[uri] = job
    ls.live.add(job)
    loop = asyncio.get_running_loop()

    def finished(j: lenses.Job) -> None:
        loop.call_soon_threadsafe(_count_finished, ls, uri, j)

    lenses.run_job(job, lambda: lenses.count_members(outcome.program, outcome.model, outcome.database, as_of, job),
                   finished)


def _count_finished(ls: SegdslServer, uri: str, job: lenses.Job) -> None:
    ls.live.discard(job)
    if ls.jobs.get(uri) is job:
        ls.jobs.pop(uri)
    if job.cancelled:
        ls.window_log_message(t.LogMessageParams(t.MessageType.Log, f"member counts of {uri} (version {job.key[1]}) "
                                                 "stopped"))
        return
    ls.counted[job.key] = job.result if job.result is not None else (job.error or "failed")
    if len(ls.counted) > 64:
        ls.counted.pop(next(iter(ls.counted)))
    caps = ls.client_capabilities.workspace
    if caps and caps.code_lens and caps.code_lens.refresh_support:
        ls.workspace_code_lens_refresh(None)


@server.feature(t.SHUTDOWN)
def shutdown(ls: SegdslServer, params: Any) -> None:
    # Counting threads are stopped before the process ends: DuckDB aborts the process when the
    # interpreter finalizes under a query that still runs.
    jobs = list(ls.live | set(ls.jobs.values()))
    ls.jobs.clear()
    for job in jobs:
        job.cancel()
    for job in jobs:
        job.done.wait(10.0)
    if ls.checking is not None:
        _cancel_data(ls.checking[1])
    ls.checker.shutdown(wait=True, cancel_futures=True)


def main() -> None:
    """Serves one editor over stdin and stdout until it says exit."""
    server.start_io()


__all__ = ["server", "main", "SegdslServer"]

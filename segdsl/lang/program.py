"""Program: files and imports → the list of parsed files a program consists of.

Imports are resolved relative to the importing file; a file imported twice
(a diamond) is read once, and a cycle of imports is an error at the import
that closes it. Data files are also named relative to the file that names
them, so a shared `common.seg` travels with its data: a source of an
imported file in another folder is rewritten as a path from the main
model's folder (`lib/data.csv`), which is where every later stage resolves
data paths.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from . import syntax as s
from .diagnostics import Diagnostic, SegError, SourceCache, display_path
from .parser import parse


@dataclass
class Program:
    files: list[s.File]  # imported files before the files that import them
    sources: SourceCache
    root: Path  # where relative data paths are resolved: the main file's folder
    main: str


def load_program(path: Path | None = None, text: str | None = None, name: str = "<text>",
                 overlay: Mapping[Path, str] | None = None) -> Program:
    """Parse a main file (by path, or given as text) and everything it imports.

    `overlay` maps resolved paths to texts that stand in for those files: an editor's
    unsaved buffers are checked as they are, not as they were last saved.
    """
    overlay = overlay or {}
    sources = SourceCache()
    files: list[s.File] = []
    done: set[Path] = set()
    diagnostics: list[Diagnostic] = []

    def visit(file_text: str, label: str, here: Path, stack: tuple[Path, ...]) -> None:
        sources.add(label, file_text)
        try:
            parsed = parse(file_text, label)
        except SegError as exc:
            diagnostics.extend(exc.diagnostics)
            return
        for d in parsed.definitions:
            if not isinstance(d, s.Import):
                continue
            target = (here / d.path).resolve()
            if target in stack:
                diagnostics.append(Diagnostic("SEG105", f"import cycle: `{d.path}` imports this file back", d.span,
                                              "move the shared definitions into a third file both import"))
                continue
            if target in done:
                continue
            if target not in overlay and not target.is_file():
                diagnostics.append(Diagnostic("SEG104", f"cannot find `{d.path}`", d.span,
                                              f"paths are relative to the importing file; looked for {display_path(target)}"))
                continue
            done.add(target)
            try:
                imported = overlay[target] if target in overlay else target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                diagnostics.append(Diagnostic("SEG104", f"cannot read `{d.path}`: {exc}", d.span, None))
                continue
            visit(imported, _label(target), target.parent, stack + (target,))
        files.append(parsed if here == root else _rebased(parsed, here, root))

    if path is not None:
        path = Path(path)
        if path.resolve() in overlay:
            text = overlay[path.resolve()]
        elif not path.is_file():
            raise SegError([Diagnostic("SEG304", f"cannot find the model file `{path}`", None,
                                       "check the path; model files end in .seg")])
        try:
            text = text if path.resolve() in overlay else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SegError([Diagnostic("SEG304", f"cannot read `{path}`: {exc}", None, None)]) from None
        resolved = path.resolve()
        done.add(resolved)
        name = str(path)
        root = resolved.parent
        visit(text, name, root, (resolved,))
    else:
        root = Path.cwd().resolve()
        visit(text or "", name, root, ())
    if diagnostics:
        raise SegError(diagnostics, sources)
    return Program(files, sources, root, name)


def _rebased(parsed: s.File, here: Path, root: Path) -> s.File:
    """An imported file with its data paths made relative to the main model's folder."""
    definitions = []
    for d in parsed.definitions:
        if isinstance(d, (s.Entity, s.Events)) and s.is_data_file(d.source) \
                and not Path(d.source).is_absolute():
            d = dataclasses.replace(d, source=data_path(here, d.source, root))
        definitions.append(d)
    return dataclasses.replace(parsed, definitions=tuple(definitions))


def data_path(here: Path, source: str, root: Path) -> str:
    """`source`, named in a file of folder `here`, as a path from `root` (absolute if there is none)."""
    try:
        return Path(os.path.relpath(here / source, root)).as_posix()
    except ValueError:  # another drive
        return str((here / source).resolve())


def _label(path: Path) -> str:
    """How a file is named in diagnostics: relative to the working folder if inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def collect(paths: list[Path]) -> list[Path]:
    """Files named, and the .seg files in folders named (recursively, sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(p.rglob("*.seg")))
        else:
            out.append(p)
    return out

"""Audience exports: the members of an `audience` definition written as its destination's file.

    audience win_back_meta = win_back_test.campaign to meta (email: email, phone: phone, country: country)

    segdsl export campaign.seg --audience win_back_meta --as-of 2026-06-30 --output win_back.csv

The engine computes the membership with the identifier columns beside it and
keeps only the audience's members; the rows stream as Arrow batches through
`normalize.AudienceNormalizer` into `writer.write_audience`, which renames the
file into place only when the last batch is written. Python holds one batch
at a time.

In diff mode (`since`: a snapshot of a history store) the export writes the
members that entered the audience's segment since that snapshot, and those
that left it, each as a file of the destination's form — the add and remove
lists a platform's customer list takes. The membership now (every member,
whether in the audience or not, with its identifiers) and the snapshot's
members of the same segment, case or arm are streamed into a local DuckDB,
which spills to disk beyond its memory budget, and the two lists are read
from there. A member that has left the entity since the snapshot has no
identifiers any more; such members are counted, not written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
from sqlglot import exp

from ..lang.diagnostics import SegError, did_you_mean, error
from ..semantic import model as m
from ..semantic.model import T
from .destinations import get
from .normalize import AudienceReport

MEMBER = "_member"
IN_AUDIENCE = "_in_audience"


@dataclass
class Exported:
    """What an export wrote: the report of the file (of the added members in diff mode), and in diff
    mode the removed members' file and report, and the members who left the entity."""

    audience: m.Audience
    path: str
    report: AudienceReport
    removed_path: str | None = None
    removed: AudienceReport | None = None
    gone: int = 0  # diff mode: members of the snapshot no longer in the entity (nothing to identify them)
    since: dt.date | None = None


def find(ir: m.CheckedModel, name: str) -> m.Audience:
    """The audience called `name` (SEG324 with a suggestion otherwise)."""
    if name in ir.audiences:
        return ir.audiences[name]
    raise error("SEG324", f"the model has no audience `{name}`", None,
                did_you_mean(name, ir.audiences) or (f"audiences: {', '.join(ir.audiences)}" if ir.audiences
                                                      else "define one: audience NAME = SEGMENT to meta "
                                                           "(email: email)"))


def _query(ir: m.CheckedModel, audience: m.Audience, options: Any, everyone: bool) -> tuple[exp.Select, list]:
    """The audience's members (or, with `everyone`, every member with a yes/no flag) and their
    identifiers, named after their kinds, with the key as `_member`."""
    from ..sql import dialects as dl
    from ..sql.compile import _case_test, membership_with_columns
    from ..sql.options import OutputColumn

    features = dict(ir.features)
    order = list(ir.order)
    columns: dict[str, str] = {}
    for kind, value in audience.identifiers:
        if isinstance(value, m.FeatureRef):
            columns[kind] = value.name
            continue
        hidden = f"_id_{kind}"
        features[hidden] = m.Feature(hidden, value)
        order.append(hidden)
        columns[kind] = hidden
    extended = dataclasses.replace(ir, features=features, order=tuple(order))
    outputs = list(dict.fromkeys([audience.owner, *columns.values()]))
    inner, out_columns = membership_with_columns(extended, options, outputs)
    types = {c.name: c for c in out_columns}
    key = ir.entity.key
    low = dl.get(options.dialect)
    member = exp.alias_(exp.column(key, table="a", quoted=True), MEMBER, quoted=True)
    test = exp.column(audience.owner, table="a", quoted=True) if audience.case is None else \
        _case_test(ir, options.dialect, audience.owner, audience.case, "a")
    picked = [exp.alias_(exp.column(c, table="a", quoted=True), kind, quoted=True) for kind, c in columns.items()]
    select = [member, *picked]
    result = [OutputColumn(MEMBER, types[key].type, types[key].integral)]
    result += [dataclasses.replace(types[c], name=kind) for kind, c in columns.items()]
    if everyone:
        flag = exp.Case(ifs=[exp.If(this=test, true=exp.true())], default=exp.false())
        select.append(exp.alias_(flag, IN_AUDIENCE, quoted=True))
        result.append(OutputColumn(IN_AUDIENCE, T.BOOL))
    query = exp.select(*select).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("a"))))
    if not everyone:
        query = query.where(test)
    del low
    return query, result


def _text_columns(reader: pa.RecordBatchReader, keep: list[str]) -> Iterator[pa.RecordBatch]:
    """The identifier columns of each batch as text (a phone number may be kept as a number)."""
    for batch in reader:
        arrays = [batch.column(name) for name in keep]
        arrays = [a if pa.types.is_string(a.type) or pa.types.is_large_string(a.type) else a.cast(pa.string())
                  for a in arrays]
        yield pa.RecordBatch.from_arrays(arrays, names=keep)


def export(model: Any, engine: Any, audience: str, output: str | Path, as_of: str | dt.date | None = None,
           params: dict[str, object] | None = None, region: str | None = None,
           since: tuple[Any, str | dt.date, str | None] | None = None,
           removed: str | Path | None = None) -> Exported:
    """Write the audience's file for its destination at `output`; see the module's docstring.

    `since` is (store, snapshot date, series) for diff mode, which needs `removed`, the path of the
    file of the members who left.
    """
    from ..engines.execution import _guarded, engine_failure, read_schemas
    from ..semantic.params import parse_as_of
    from ..sql.compile import to_sql
    from ..sql.options import Options
    from .writer import write_audience

    date = parse_as_of(as_of)
    aud = find(model.ir, audience)
    destination = get(aud.destination)
    paths = [Path(output)] + ([Path(removed)] if removed is not None else [])
    for p in paths:
        _check_path(p, destination.suffix, aud)
    if since is not None and removed is None:
        raise error("SEG325", "a diff export writes two files: the members who entered and those who left", None,
                    "name the second with --removed FILE" + destination.suffix)
    if since is None and removed is not None:
        raise error("SEG325", "--removed needs --since DATE (the snapshot to compare with)", None, None)
    if len(paths) == 2 and paths[0].resolve() == paths[1].resolve():
        raise error("SEG325", "--output and --removed are the same file", None, "name two files")
    schemas = read_schemas(engine, model.ir)
    checked = model.with_schemas(schemas)
    ir = checked.ir
    aud = ir.audiences[aud.name]
    options = Options(engine.dialect, date, model.resolve_params(params), source=engine.source, schemas=schemas)
    kinds = [k for k, _ in aud.identifiers]
    mapping = {k: k for k in kinds}
    if since is None:
        query, columns = _query(ir, aud, options, everyone=False)
        try:
            reader = _guarded(engine, engine.stream(to_sql(query, engine.dialect, pretty=False), columns))
        except engine.errors as exc:
            raise engine_failure(engine, exc, "compute the audience") from None
        report = _write(write_audience, destination, _text_columns(reader, kinds), paths[0], mapping, region)
        return Exported(aud, str(paths[0]), report)
    from .difference import diff_export

    store, when, series = since
    query, columns = _query(ir, aud, options, everyone=True)
    return diff_export(engine, to_sql(query, engine.dialect, pretty=False), columns, aud, destination, store,
                       parse_as_of(when), series, paths, mapping, region, _write)


def _check_path(path: Path, suffix: str, aud: m.Audience) -> None:
    if path.suffix.lower() != suffix:
        raise error("SEG325", f"`{path}`: the file for {get(aud.destination).title} ends in {suffix}", None,
                    f"for example --output {path.with_suffix(suffix).name}")
    if not path.parent.is_dir():
        raise error("SEG325", f"the folder of `{path}` does not exist", None, "create it first")
    if path.is_dir():
        raise error("SEG325", f"`{path}` is a folder", None, "name a file")


def _write(write_audience: Any, destination: Any, batches: Iterator[pa.RecordBatch], path: Path,
           mapping: dict[str, str], region: str | None) -> AudienceReport:
    """Write one file; a failure of the engine, of the disk or of a mapping is a coded diagnostic and
    leaves no file (an older one at that path stays as it was)."""
    from .destinations import ActivationError

    try:
        return write_audience(destination, batches, path, mapping, default_region=region)
    except SegError as exc:
        if any(d.code == "SEG308" for d in exc.diagnostics):
            raise error("SEG326", exc.diagnostics[0].message, None,
                        "nothing was written; an older file at that path is as it was") from None
        raise
    except ActivationError as exc:
        raise error("SEG325", exc.message, None, exc.hint) from None
    except OSError as exc:
        raise error("SEG326", f"cannot write `{path}`: {exc.strerror or exc}", None,
                    "nothing was written; an older file at that path is as it was") from None


__all__ = ["export", "find", "Exported"]

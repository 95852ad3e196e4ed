"""The Python API: load a model, get its SQL, run it.

    import segdsl
    model = segdsl.load("retail.seg")               # or the text of a model
    print(model.sql(dialect="snowflake"))
    members = model.run(as_of="2026-06-30", params={"vip_spend": 2500})
    members.df()                                      # a DuckDB relation
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import model as m
from .check import Schemas, check
from .compile import Options, check_dialect, membership, segment_members, to_sql
from .diagnostics import SegError, error
from .program import Program, load_program


def parse_as_of(value: str | dt.date | None) -> dt.date:
    """`--as-of`: a date, `today`, or None (today)."""
    if value is None or value == "today":
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise error("SEG302", f"`{value}` is not a date", None, "write --as-of as YYYY-MM-DD or today") from None


def parse_param(param: m.Param, raw: object) -> object:
    """A parameter value from the command line (text) or from Python, checked against its type."""
    t = param.type
    bad = error("SEG301", f"`{raw}` is not a {t.value} for parameter `{param.name}`", param.span,
                {m.T.NUMBER: "for example --param {n}=2500", m.T.TEXT: "any text works: --param {n}=web",
                 m.T.DATE: "for example --param {n}=2025-01-31", m.T.BOOL: "true or false",
                 m.T.TIMESTAMP: "for example --param {n}=2025-01-31T10:00"}[t].format(n=param.name))
    if not isinstance(raw, str):
        ok = {m.T.NUMBER: isinstance(raw, (int, float)) and not isinstance(raw, bool),
              m.T.TEXT: isinstance(raw, str), m.T.BOOL: isinstance(raw, bool),
              m.T.DATE: isinstance(raw, dt.date) and not isinstance(raw, dt.datetime),
              m.T.TIMESTAMP: isinstance(raw, dt.datetime)}[t]
        if not ok:
            raise bad
        return raw
    try:
        if t is m.T.NUMBER:
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            return int(raw) if raw.strip().lstrip("-").isdigit() else value
        if t is m.T.BOOL:
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        if t is m.T.DATE:
            return dt.date.fromisoformat(raw)
        if t is m.T.TIMESTAMP:
            return dt.datetime.fromisoformat(raw)
        return raw
    except ValueError:
        raise bad from None


class Model:
    """A loaded and checked model. `ir` is the typed representation (segdsl.model.Model)."""

    def __init__(self, program: Program, ir: m.Model):
        self.program = program
        self.ir = ir

    @property
    def root(self) -> Path:
        return self.program.root

    def resolve_params(self, params: dict[str, object] | None) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, raw in (params or {}).items():
            if name not in self.ir.params:
                from .diagnostics import did_you_mean

                raise error("SEG301", f"the model has no parameter `{name}`", None,
                            did_you_mean(name, self.ir.params) or
                            f"parameters: {', '.join(self.ir.params) or 'none'}")
            out[name] = parse_param(self.ir.params[name], raw)
        return out

    def with_reports(self, texts: list[str]) -> "Model":
        """The model with ad hoc reports, written as in a file: `value of lifecycle measure revenue`."""
        from .parse import parse

        if not texts:
            return self
        text = "\n".join(f"report {t.strip().removeprefix('report ')}" for t in texts)
        self.program.sources.add("<--report>", text)
        extra = parse(text, "<--report>")
        program = Program(self.program.files + [extra], self.program.sources, self.program.root, self.program.main)
        return Model(program, check(program.files, None, program.sources))

    def with_schemas(self, schemas: Schemas) -> "Model":
        """The same program checked against the columns the data really has."""
        return Model(self.program, check(self.program.files, schemas, self.program.sources))

    def sql(self, dialect: str = "duckdb", segment: str | None = None, as_of: str | dt.date | None = None,
            params: dict[str, object] | None = None, pretty: bool = True) -> str:
        """The membership query (or the keys of one segment) for a dialect.

        Without as_of the query evaluates at the engine's current date.
        """
        d = check_dialect(dialect)
        date = parse_as_of(as_of) if as_of is not None else None
        opts = Options(d, date, self.resolve_params(params))
        query = segment_members(self.ir, opts, segment) if segment else membership(self.ir, opts)
        return to_sql(query, d, pretty=pretty)

    def run(self, db: str | Path | None = None, as_of: str | dt.date | None = None,
            params: dict[str, object] | None = None, connection=None):
        """Evaluate on DuckDB; returns a DuckDB relation (`.df()`, `.arrow()`, `.fetchall()`)."""
        from . import run as r

        con = connection if connection is not None else r.connect(db)
        checked = self.with_schemas(r.read_schemas(con, self.ir, self.root))
        sql = r.membership_sql(checked.ir, self.root, parse_as_of(as_of), self.resolve_params(params))
        return con.sql(sql)


def load(source: str | Path) -> Model:
    """Load a model from a path to a .seg file, or from the text of one."""
    if isinstance(source, Path) or ("\n" not in source and source.endswith(".seg")):
        program = load_program(Path(source))
    else:
        program = load_program(text=source)
    try:
        ir = check(program.files, None, program.sources)
    except SegError as exc:
        exc.sources = program.sources
        raise
    return Model(program, ir)

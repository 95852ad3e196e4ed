"""The server's diagnostics are `segdsl check --format json`'s, on every example and on a corpus of broken files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.tools.cli import app
from tests.lsp.client import Client
from tests.support.paths import GOLDEN, ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.seg"))
BROKEN = sorted(p for p in (GOLDEN / "diagnostics").glob("*.seg") if not p.with_suffix(".args").exists())


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def expected(path: Path) -> list[tuple]:
    """What `segdsl check --format json` says about the file, as the server would place it."""
    result = CliRunner().invoke(app, ["check", "--format", "json", str(path)])
    doc = json.loads(result.stdout)
    lines = path.read_text(encoding="utf-8").splitlines()

    def col(line: int, column: int) -> int:
        return _units(lines[line - 1][: column - 1]) if 0 < line <= len(lines) else column - 1

    out = []
    for d in doc["diagnostics"]:
        if d["file"] is not None and (Path.cwd() / d["file"]).resolve() != path.resolve():
            continue
        if "line" in d:
            where = (d["line"] - 1, col(d["line"], d["column"]), d["end_line"] - 1, col(d["end_line"], d["end_column"]))
        else:
            where = (0, 0, 0, 0)
        out.append((d["code"], d["severity"], d["message"], d["hint"], where))
    return out


def received(diagnostics: list[dict]) -> list[tuple]:
    out = []
    for d in diagnostics:
        r = d["range"]
        where = (r["start"]["line"], r["start"]["character"], r["end"]["line"], r["end"]["character"])
        out.append((d["code"], d["data"]["severity"], d["data"]["message"], d["data"]["hint"], where))
    return out


@pytest.fixture(scope="module")
def client():
    with Client(Path.cwd(), ROOT) as c:
        yield c


def test_the_corpus_is_there() -> None:
    assert len(EXAMPLES) >= 8 and len(BROKEN) >= 30


@pytest.mark.parametrize("path", EXAMPLES + BROKEN, ids=lambda p: p.name)
def test_diagnostics_equal_check(client: Client, path: Path) -> None:
    uri = client.open(path)
    try:
        got = received(client.diagnostics(uri))
    finally:
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert got == expected(path)


def test_every_diagnostic_has_a_code_a_severity_and_the_hint_in_its_message(client: Client) -> None:
    path = GOLDEN / "diagnostics" / "SEG101_unknown_name.seg"
    uri = client.open(path)
    diagnostics = client.diagnostics(uri)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert diagnostics
    for d in diagnostics:
        assert d["source"] == "segdsl" and d["code"].startswith("SEG") and d["severity"] == 1
        if d["data"]["hint"]:
            assert d["message"] == f"{d['data']['message']}\nhint: {d['data']['hint']}"


def test_unsaved_text_is_checked_and_an_edit_updates_the_diagnostics(client: Client, tmp_path: Path) -> None:
    model = tmp_path / "m.seg"
    model.write_text('entity c from "c.csv" key id\nfeature a = 1\nsegment s = a > 0\n', encoding="utf-8")
    uri = client.open(model)
    assert [d["code"] for d in client.diagnostics(uri)] == []
    client.change(uri, 'entity c from "c.csv" key id\nfeature a = 1\nsegment s = a > "x"\n')
    got = client.diagnostics(uri)
    assert [d["code"] for d in got] == ["SEG201"]
    assert got[0]["range"]["start"]["line"] == 2
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def test_an_unsaved_import_is_read_from_the_editor(client: Client, tmp_path: Path) -> None:
    (tmp_path / "common.seg").write_text('entity c from "c" key id\nfeature a = 1\n', encoding="utf-8")
    main = tmp_path / "main.seg"
    main.write_text('import "common.seg"\nsegment s = a > 0\n', encoding="utf-8")
    common_uri = client.open(tmp_path / "common.seg")
    client.diagnostics(common_uri)
    uri = client.open(main)
    assert client.diagnostics(uri) == []
    # `a` made text in the open (unsaved) import breaks the main file at once
    client.change(common_uri, 'entity c from "c" key id\nfeature a = "x"\n')
    got = client.diagnostics(uri)
    assert [d["code"] for d in got] == ["SEG201"]
    for u in (uri, common_uri):
        client.notify("textDocument/didClose", {"textDocument": {"uri": u}})


def test_check_and_the_server_read_the_schema_the_configuration_names(tmp_path: Path) -> None:
    (tmp_path / "segdsl.toml").write_text('schema = "cols/schema.toml"\n', encoding="utf-8")
    (tmp_path / "cols").mkdir()
    (tmp_path / "cols" / "schema.toml").write_text('[customers]\ncustomer_id = "number"\ncity = "text"\n',
                                                   encoding="utf-8")
    model = tmp_path / "m.seg"
    model.write_text('entity customers from "customers" key customer_id\nsegment s = town = "Berlin"\n',
                     encoding="utf-8")
    want = expected(model)
    assert [(w[0], w[2]) for w in want] == [
        ("SEG101", "unknown name `town`: not a definition nor a column of `customers`")]
    with Client(Path.cwd(), tmp_path) as c:
        assert received(c.diagnostics(c.open(model))) == want
    (tmp_path / "segdsl.toml").write_text('schema = 3\n', encoding="utf-8")
    assert [w[0] for w in expected(model)] == ["SEG309"]


def test_diagnostics_equal_check_on_mutated_models(client: Client, tmp_path: Path) -> None:
    from tests.lsp.test_bad_input import _fuzz_corpus

    (tmp_path / "common.seg").write_text((ROOT / "examples" / "common.seg").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    for i, text in enumerate(_fuzz_corpus(40)):
        path = tmp_path / f"mutated{i}.seg"
        path.write_text(text, encoding="utf-8")
        uri = client.open(path)
        try:
            got = received(client.diagnostics(uri))
        finally:
            client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        assert got == expected(path), text

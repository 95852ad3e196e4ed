"""Bad input: a document that does not parse keeps its outline; broken imports, schema files and databases
give one diagnostic each; the server survives every file of the fuzz corpus."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp.client import Client, position
from tests.support.paths import EXAMPLES, GOLDEN

BROKEN = """\
entity customers from "customers" key customer_id
events orders from "orders" by customer_id at ordered_at

feature spend = sum(orders.amount)
feature broken = (spend +
segmentation tier "Tier" {
  high = spend > 100
  else low
}
segment big = spend >
segment ok = spend > 10
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    with Client(folder) as c:
        c.folder = folder
        yield c


def test_a_document_that_does_not_parse_keeps_symbols_folding_and_completion(client: Client) -> None:
    path = client.folder / "broken.seg"
    uri = client.open(path, BROKEN)
    codes = [d["code"] for d in client.diagnostics(uri)]
    assert codes == ["SEG001", "SEG001"]
    symbols = [s["name"] for s in client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})]
    assert symbols == ["customers", "orders", "spend", "tier", "ok"]
    folds = client.request("textDocument/foldingRange", {"textDocument": {"uri": uri}})
    assert {"startLine": 5, "endLine": 8, "kind": "region"} in folds
    items = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": position(
        BROKEN, "spend > 10", offset=0)})["items"]
    assert {"spend", "tier", "orders"} <= {i["label"] for i in items}
    items = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": position(
        BROKEN, "orders.amount", offset=len("orders."))})["items"]
    assert items == []  # no columns known: no schema, no database
    loc = client.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": position(
        BROKEN, "spend > 10")})
    assert loc["range"]["start"] == position(BROKEN, "spend =")


def test_an_unreadable_import_is_one_diagnostic(client: Client) -> None:
    folder = client.folder
    (folder / "latin1.seg").write_bytes("feature caf\xe9 = 1\n".encode("latin-1"))
    text = 'import "latin1.seg"\nimport "missing.seg"\nentity c from "c" key id\n'
    uri = client.open(folder / "imports.seg", text)
    got = client.diagnostics(uri)
    assert [(d["code"], d["range"]["start"]["line"]) for d in got] == [("SEG104", 0), ("SEG104", 1)]
    assert got[0]["data"]["message"].startswith("cannot read `latin1.seg`")
    assert got[1]["data"]["message"] == "cannot find `missing.seg`"


def test_a_schema_file_with_errors_is_one_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "segdsl.toml").write_text('schema = "schema.toml"\n', encoding="utf-8")
    (tmp_path / "schema.toml").write_text("[customers\n", encoding="utf-8")
    with Client(tmp_path) as c:
        uri = c.open(tmp_path / "m.seg", 'entity c from "customers" key id\n')
        got = c.diagnostics(uri)
        assert [d["code"] for d in got] == ["SEG309"]
        assert "is not valid TOML" in got[0]["data"]["message"]
        assert got[0]["range"] == {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}


def test_a_database_that_cannot_be_opened_is_one_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "segdsl.toml").write_text('db = "shop.duckdb"\n', encoding="utf-8")
    (tmp_path / "shop.duckdb").write_text("not a database", encoding="utf-8")
    with Client(tmp_path) as c:
        uri = c.open(tmp_path / "m.seg", 'entity c from "customers" key id\nfeature a = 1\n')
        got = c.diagnostics(uri)
        assert len(got) == 1 and got[0]["code"] in ("SEG305", "SEG313"), got
        # and the server still answers
        assert c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})[0]["name"] == "c"


def _fuzz_corpus(count: int) -> list[str]:
    """Mutations of the examples and the broken corpus: tokens deleted, doubled, swapped and cut."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.seg"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((GOLDEN / "diagnostics").glob("*.seg"))]
    tokens = re.compile(r"\w+|\"[^\"]*\"|@[\d\-T:]+|\s+|\S")
    rng = random.Random(20260630)
    out = []
    for i in range(count):
        parts = tokens.findall(rng.choice(texts))
        for _ in range(rng.randint(1, 6)):
            if not parts:
                break
            j = rng.randrange(len(parts))
            action = rng.choice(["delete", "double", "swap", "cut", "junk"])
            if action == "delete":
                del parts[j]
            elif action == "double":
                parts.insert(j, parts[j])
            elif action == "swap" and j + 1 < len(parts):
                parts[j], parts[j + 1] = parts[j + 1], parts[j]
            elif action == "cut":
                parts = parts[:j]
            else:
                parts.insert(j, rng.choice(["{", "}", "(", "`", '"', ".", "@2025-02-30", "1e999", "\x00", "é", "#"]))
        out.append("".join(parts))
    return out


def test_the_server_survives_the_fuzz_corpus(client: Client) -> None:
    count = int(os.environ.get("SEGDSL_FUZZ_EXAMPLES", "150"))
    uri = client.open(client.folder / "fuzz.seg", "")
    client.diagnostics(uri)
    for text in _fuzz_corpus(count):
        client.change(uri, text)
        diagnostics = client.diagnostics(uri)
        assert all(d["code"] != "SEG900" for d in diagnostics), (text, diagnostics)
        end = {"line": text.count("\n"), "character": 0}
        for method, params in [("textDocument/documentSymbol", {}), ("textDocument/foldingRange", {}),
                               ("textDocument/semanticTokens/full", {}),
                               ("textDocument/completion", {"position": end}),
                               ("textDocument/hover", {"position": {"line": 0, "character": 3}}),
                               ("textDocument/formatting", {"options": {"tabSize": 2, "insertSpaces": True}})]:
            client.request(method, {"textDocument": {"uri": uri}, **params})
    assert client.proc.poll() is None


def test_other_commands_do_not_import_the_language_server(tmp_path: Path) -> None:
    model = tmp_path / "m.seg"
    model.write_text('entity c from "c" key id\nfeature a = 1\nsegment s = a > 0\n', encoding="utf-8")
    probe = ("import sys\nfrom segdsl.tools.cli import app\n"
             "try:\n    app(['check', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'cattrs') "
             "or m.startswith('segdsl.tools.lsp')))\n")
    out = subprocess.run([sys.executable, "-c", probe, str(model)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"

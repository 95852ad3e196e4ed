"""Completion, hover, navigation, rename, symbols, formatting, semantic tokens and folding over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest

from segdsl.lang.formatter import format_text
from segdsl.tools.api import load
from tests.lsp.client import Client, ServerError, position
from tests.support.paths import EXAMPLES

RETAIL = EXAMPLES / "retail.seg"
COMMON = EXAMPLES / "common.seg"


@pytest.fixture(scope="module")
def client():
    with Client(EXAMPLES) as c:
        uri = c.open(RETAIL)
        c.diagnostics(uri)
        yield c


def doc(path: Path) -> dict:
    return {"uri": path.resolve().as_uri()}


def labels(client: Client, text: str, at: dict, uri: str | None = None) -> list[str]:
    result = client.request("textDocument/completion", {"textDocument": {"uri": uri or RETAIL.as_uri()},
                                                        "position": at})
    return [i["label"] for i in result["items"]]


def edit_and_complete(client: Client, path: Path, text: str, needle: str) -> list[str]:
    """Completion at the end of `needle` in an edited text of `path` (checked first)."""
    uri = path.resolve().as_uri()
    client.change(uri, text)
    client.diagnostics(uri)
    return labels(client, text, position(text, needle, offset=len(needle)), uri)


def restore(client: Client, path: Path) -> None:
    uri = path.resolve().as_uri()
    client.change(uri, path.read_text(encoding="utf-8"))
    client.diagnostics(uri)


# ── completion ─────────────────────────────────────────────────────────────
def test_completion_offers_the_definition_keywords_at_a_line_start(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8") + "\n"
    got = edit_and_complete(client, RETAIL, text, text)
    restore(client, RETAIL)
    assert {"feature", "segment", "segmentation", "holdout", "report", "param", "import"} <= set(got)
    assert "revenue" not in got


def test_completion_in_an_expression_offers_names_in_scope_imports_included(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8") + "\nsegment fresh = "
    got = edit_and_complete(client, RETAIL, text, "segment fresh = ")
    restore(client, RETAIL)
    # imported from common.seg, defined here, params, functions and aggregates
    assert {"revenue", "recency", "orders", "orders_90d", "vip", "lifecycle", "vip_spend"} <= set(got)
    assert {"days_between", "count", "exists", "not", "true"} <= set(got)
    assert "segmentation" not in got  # not a keyword that may stand here


def test_completion_offers_the_keywords_the_grammar_expects(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8") + "\nsegment fresh = revenue "
    got = edit_and_complete(client, RETAIL, text, "segment fresh = revenue ")
    restore(client, RETAIL)
    assert {"and", "or", "in", "between", "is", "like", "not", "since", "before"} <= set(got)
    assert "revenue" not in got  # after a complete operand a name cannot follow


def test_completion_after_a_segmentation_offers_its_cases(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8") + "\nsegment fresh = lifecycle."
    got = edit_and_complete(client, RETAIL, text, "lifecycle.")
    restore(client, RETAIL)
    assert got == ["new", "loyal", "inactive", "prospect", "occasional"]


def test_completion_after_a_holdout_offers_its_arms_and_after_rfm_its_scores_and_groups(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8") + "\nsegment fresh = vip_test."
    got = edit_and_complete(client, RETAIL, text, "vip_test.")
    assert got == ["treatment", "control"]
    text = RETAIL.read_text(encoding="utf-8") + "\nsegment fresh = rfm."
    got = edit_and_complete(client, RETAIL, text, "rfm.")
    restore(client, RETAIL)
    assert {"r", "f", "m", "champions", "lost"} <= set(got)


def test_completion_offers_the_columns_of_the_configured_schema(tmp_path: Path) -> None:
    (tmp_path / "segdsl.toml").write_text('schema = "schema.toml"\n', encoding="utf-8")
    (tmp_path / "schema.toml").write_text('[customers]\ncustomer_id = "number"\ncity = "text"\n'
                                          '[orders]\ncustomer_id = "number"\nat = "timestamp"\namount = "number"\n',
                                          encoding="utf-8")
    model = tmp_path / "m.seg"
    text = ('entity customers from "customers" key customer_id\n'
            'events orders from "orders" by customer_id at at\n'
            'feature spend = sum(orders.amount)\n')
    model.write_text(text, encoding="utf-8")
    with Client(tmp_path) as c:
        uri = c.open(model)
        assert c.diagnostics(uri) == []  # checked against the schema: its columns are known
        edited = text + "segment big = orders."
        c.change(uri, edited)
        c.diagnostics(uri)
        got = labels(c, edited, position(edited, "orders.", 1, len("orders.")), uri)
        assert got == ["customer_id", "at", "amount"]
        edited = text + "segment big = "
        c.change(uri, edited)
        c.diagnostics(uri)
        got = labels(c, edited, position(edited, "big = ", offset=6), uri)
        assert "city" in got and "spend" in got


# ── hover ──────────────────────────────────────────────────────────────────
def test_hover_on_an_imported_feature(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8")
    result = client.request("textDocument/hover", {"textDocument": doc(RETAIL),
                                                   "position": position(text, "revenue >= vip_spend")})
    value = result["contents"]["value"]
    assert value.startswith("**feature** `revenue`")
    assert "type: number" in value
    assert "feature revenue     = sum(orders.amount)" in value  # as written
    assert "defined in common.seg:21" in value
    assert 'SUM(CAST(e."amount" AS DECIMAL(38, 9)))' in value  # the compiled SQL
    assert result["range"]["start"] == position(text, "revenue >= vip_spend")


def test_hover_on_a_segment_shows_its_label_and_sql(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8")
    value = client.request("textDocument/hover", {"textDocument": doc(RETAIL),
                                                  "position": position(text, "vip split")})["contents"]["value"]
    assert value.startswith("**segment** `vip` — Top spenders")
    assert "type: boolean" in value
    assert 'COALESCE(p."revenue" >= 1000 AND' in value
    assert "defined in retail.seg:16" in value


def test_hover_on_a_param_and_a_column(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8")
    value = client.request("textDocument/hover", {"textDocument": doc(RETAIL),
                                                  "position": position(text, "vip_spend and")})["contents"]["value"]
    assert value.startswith("**param** `vip_spend`") and "type: number" in value
    value = client.request("textDocument/hover", {"textDocument": doc(RETAIL),
                                                  "position": position(text, "channel")})["contents"]["value"]
    assert value.startswith("**column** `channel` of events `orders`")
    assert client.request("textDocument/hover", {"textDocument": doc(RETAIL),
                                                 "position": position(text, "# retail")}) is None


# ── navigation ─────────────────────────────────────────────────────────────
def test_definition_across_an_import(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8")
    common = COMMON.read_text(encoding="utf-8")
    loc = client.request("textDocument/definition", {"textDocument": doc(RETAIL),
                                                     "position": position(text, "recency > 180")})
    assert loc["uri"] == COMMON.as_uri()
    assert loc["range"]["start"] == position(common, "recency     =")
    campaign = EXAMPLES / "lifecycle_campaign.seg"
    text = campaign.read_text(encoding="utf-8")
    loc = client.request("textDocument/definition", {"textDocument": doc(campaign),
                                                     "position": position(text, "lifecycle.at_risk", offset=10)})
    assert loc == {"uri": campaign.as_uri(), "range": {"start": position(text, "at_risk"),
                                                       "end": position(text, "at_risk", offset=7)}}


def test_references_across_files(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8")
    refs = client.request("textDocument/references", {"textDocument": doc(RETAIL), "context": {
        "includeDeclaration": True}, "position": position(text, "orders_90d >= 2")})
    places = sorted((r["uri"].rsplit("/", 1)[1], r["range"]["start"]["line"]) for r in refs)
    lines = [i for i, line in enumerate(text.splitlines()) if "orders_90d" in line]
    assert places == [("retail.seg", i) for i in lines]
    common = COMMON.read_text(encoding="utf-8")
    refs = client.request("textDocument/references", {"textDocument": doc(COMMON), "context": {
        "includeDeclaration": False}, "position": position(common, "last_order  =")})
    files = {r["uri"].rsplit("/", 1)[1] for r in refs}
    assert "common.seg" in files  # recency uses it
    for r in refs:
        path = EXAMPLES / r["uri"].rsplit("/", 1)[1]
        line = path.read_text(encoding="utf-8").splitlines()[r["range"]["start"]["line"]]
        s, e = r["range"]["start"]["character"], r["range"]["end"]["character"]
        assert line[s:e] == "last_order"


def test_rename_across_files(client: Client, tmp_path: Path) -> None:
    common = COMMON.read_text(encoding="utf-8")
    edit = client.request("textDocument/rename", {"textDocument": doc(COMMON), "newName": "spend",
                                                  "position": position(common, "revenue     =")})
    changes = edit["changes"]
    assert COMMON.as_uri() in changes and RETAIL.as_uri() in changes
    # applied, every file still checks: the same model under the new name
    for uri, edits in changes.items():
        path = EXAMPLES / uri.rsplit("/", 1)[1]
        lines = path.read_text(encoding="utf-8").split("\n")
        for e in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]),
                        reverse=True):
            r = e["range"]
            assert r["start"]["line"] == r["end"]["line"]
            line = lines[r["start"]["line"]]
            assert line[r["start"]["character"]: r["end"]["character"]] == "revenue"
            lines[r["start"]["line"]] = line[: r["start"]["character"]] + "spend" + line[r["end"]["character"]:]
        (tmp_path / path.name).write_text("\n".join(lines), encoding="utf-8")
    for path in EXAMPLES.glob("*.seg"):
        if not (tmp_path / path.name).exists():
            (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    # applied, every model means what it meant, under the new name
    for path in EXAMPLES.glob("*.seg"):
        before, after = load(path), load(tmp_path / path.name)
        assert ("revenue" in before.ir.features) == ("spend" in after.ir.features)
        assert "revenue" not in after.ir.features
        assert list(after.ir.segments) == list(before.ir.segments)
    with pytest.raises(ServerError):
        client.request("textDocument/rename", {"textDocument": doc(COMMON), "newName": "and",
                                               "position": position(common, "revenue     =")})
    with pytest.raises(ServerError):
        client.request("textDocument/rename", {"textDocument": doc(COMMON), "newName": "age",
                                               "position": position(common, "revenue     =")})


# ── outline ────────────────────────────────────────────────────────────────
def test_document_symbols_nest_cases_and_arms(client: Client) -> None:
    symbols = client.request("textDocument/documentSymbol", {"textDocument": doc(RETAIL)})
    names = [s["name"] for s in symbols]
    assert names[:4] == ["vip_spend", "orders_90d", "web_orders", "margin"]
    lifecycle = next(s for s in symbols if s["name"] == "lifecycle")
    assert [c["name"] for c in lifecycle["children"]] == ["new", "loyal", "inactive", "prospect", "occasional"]
    holdout = next(s for s in symbols if s["name"] == "vip_test")
    assert [c["name"] for c in holdout["children"]] == ["treatment", "control"]


def test_workspace_symbols_search_every_file(client: Client) -> None:
    found = client.request("workspace/symbol", {"query": "revenue"})
    assert ("revenue", "common.seg") in {(s["name"], s["location"]["uri"].rsplit("/", 1)[1]) for s in found}
    assert all("revenue" in s["name"] for s in found)


def test_formatting_is_segdsl_fmt(client: Client) -> None:
    messy = "feature   x=1+2\nsegment s =x>1   # big\n"
    uri = client.open(EXAMPLES / "scratch_unsaved.seg", messy)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                       "options": {"tabSize": 2, "insertSpaces": True}})
    assert len(edits) == 1 and edits[0]["newText"] == format_text(messy)
    assert client.request("textDocument/formatting", {"textDocument": doc(RETAIL),
                                                      "options": {"tabSize": 2, "insertSpaces": True}}) == []
    client.change(uri, "feature x = (")
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                      "options": {"tabSize": 2, "insertSpaces": True}}) is None
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def decode(client: Client, data: list[int], text: str) -> list[tuple[str, str, list[str]]]:
    legend = client.capabilities["semanticTokensProvider"]["legend"]
    lines = text.split("\n")
    out, line, start = [], 0, 0
    for i in range(0, len(data), 5):
        dl, ds, length, kind, bits = data[i: i + 5]
        line += dl
        start = ds if dl else start + ds
        mods = [m for j, m in enumerate(legend["tokenModifiers"]) if bits >> j & 1]
        out.append((lines[line][start: start + length], legend["tokenTypes"][kind], mods))
    return out


def test_semantic_tokens_classify_names_by_what_they_name(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8")
    data = client.request("textDocument/semanticTokens/full", {"textDocument": doc(RETAIL)})["data"]
    found = decode(client, data, text)
    assert ("vip", "class", ["declaration"]) in found
    assert ("revenue", "variable", []) in found
    assert ("orders", "event", []) in found
    assert ("channel", "property", []) in found
    assert ("vip_spend", "parameter", []) in found
    assert ("new", "enumMember", ["declaration"]) in found
    assert ('"web"', "string", []) in found and ("90", "number", []) in found
    assert ("count", "function", ["defaultLibrary"]) in found
    assert ("segmentation", "keyword", []) in found
    assert found[0][1] == "comment"


def test_folding_ranges_for_segmentations_and_comment_blocks(client: Client) -> None:
    text = RETAIL.read_text(encoding="utf-8")
    ranges = client.request("textDocument/foldingRange", {"textDocument": doc(RETAIL)})
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("segmentation lifecycle"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
    assert {"startLine": start, "endLine": end, "kind": "region"} in ranges
    assert {"startLine": 0, "endLine": 5, "kind": "comment"} in ranges


def test_test_blocks_are_in_the_outline_and_fold(client: Client) -> None:
    lines = RETAIL.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("test vip_and_lifecycle_boundaries"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
    symbols = client.request("textDocument/documentSymbol", {"textDocument": doc(RETAIL)})
    test = next(s for s in symbols if s["name"] == "vip_and_lifecycle_boundaries")
    assert test["kind"] == 6 and test["detail"].startswith("Spend, recent orders")  # a method: run by segdsl test
    assert (test["range"]["start"]["line"], test["range"]["end"]["line"]) == (start, end)
    starts = [s["range"]["start"]["line"] for s in symbols]
    assert starts == sorted(starts)
    ranges = client.request("textDocument/foldingRange", {"textDocument": doc(RETAIL)})
    assert {"startLine": start, "endLine": end, "kind": "region"} in ranges

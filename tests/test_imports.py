"""Imports: relative paths, diamonds read once, cycles and misses reported."""

from __future__ import annotations

import pytest

import segdsl
from segdsl.diagnostics import SegError


def test_imports_are_relative_to_the_importing_file_and_read_once(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "base.seg").write_text('entity c from "c.csv" key id\nparam limit: number = 5\n')
    (tmp_path / "lib" / "left.seg").write_text('import "base.seg"\nfeature a = 1\n')
    (tmp_path / "lib" / "right.seg").write_text('import "base.seg"\nfeature b = 2\n')
    (tmp_path / "main.seg").write_text('import "lib/left.seg"\nimport "lib/right.seg"\nsegment s = a + b > limit\n')
    model = segdsl.load(tmp_path / "main.seg")
    assert set(model.ir.features) == {"a", "b"} and model.ir.params["limit"].value == 5
    assert len(model.program.files) == 4  # base once, though two files import it


def test_problems_in_imported_files_name_that_file(tmp_path):
    (tmp_path / "shared.seg").write_text('entity c from "c.csv" key id\nfeature x = revnue_total + 1\n'
                                         "feature revenue_total = 2\n")
    (tmp_path / "main.seg").write_text('import "shared.seg"\nsegment s = x > 1\n')
    with pytest.raises(SegError) as info:
        segdsl.load(tmp_path / "main.seg")
    d = info.value.diagnostics[0]
    assert d.code == "SEG101" and d.span.file.endswith("shared.seg") and d.span.line == 2
    assert "shared.seg:2:13" in info.value.render()


def test_definitions_may_come_in_any_order_across_files(tmp_path):
    (tmp_path / "segs.seg").write_text("segment s = total > 10\n")
    (tmp_path / "main.seg").write_text('import "segs.seg"\nfeature total = 20\nentity c from "c.csv" key id\n')
    assert segdsl.load(tmp_path / "main.seg").ir.order.index("total") < segdsl.load(
        tmp_path / "main.seg").ir.order.index("s")

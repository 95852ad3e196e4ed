"""Tools: what users call — the Python API, the command line, and the commands built from the stages.

Owns `api` (segdsl.load, segdsl.Model), `cli` (the `segdsl` command),
`check_command` and `check_output` (`segdsl check` and its output formats),
`datalint` (lints measured on the data), `explain` (why one member is in or
out), `demo` (the demo data set) and `lsp` (`segdsl lsp`, the language server of
the editors, on pygls: imported by that command alone).

May import: every other package of segdsl; nothing imports this package
except segdsl/__init__.py and segdsl/__main__.py.
"""

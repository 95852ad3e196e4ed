"""Meaning: the syntax tree checked into a typed, dialect-free model.

Owns the model (`model`: typed expressions, definitions, segmentation kinds),
the checker that builds it from the syntax tree (`checker`, with
`report_checks`), what is known of the sources' columns (`schema`), and the
static segment-quality lints with their configuration (`lints`, `config`).
Nothing here knows SQL or an engine: the compiler and the reference
evaluator both read only the model.

May import: segdsl.lang.
"""

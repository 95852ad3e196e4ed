"""Tests written in the language: `test` blocks run on fixtures, and `segdsl test`.

Owns the preparation of a test (`fixtures`: its rows, columns and types,
checked against the model with coded diagnostics), the derived tables that
put the rows in a query on any engine (`tables`), the run of a test and the
comparison of its expectations (`runner`), coverage (`coverage`), tests
written from a database (`create`) and the reports of a run as text, JSON,
JUnit XML and GitHub annotations (`output`).

May import: segdsl.lang, segdsl.semantic, segdsl.sql, segdsl.engines, segdsl.predict (the parameters stored
beside a model, for its predictions).
"""

"""Reports: segment value, cross-tabs, overlap, profile, migration and holdout lift, computed by the engine and rendered.

Owns the report queries and their results (`compute`) and their rendering as
terminal text, Markdown, HTML, JSON and CSV (`render`, `templates/`); the
statistics of a holdout's lift (`lift`) and its queries (`lift_report`).

May import: segdsl.lang, segdsl.semantic, segdsl.sql, segdsl.engines.
"""

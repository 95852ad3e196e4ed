"""Reports: segment value, cross-tabs, overlap, profile and migration, computed by the engine and rendered.

Owns the report queries and their results (`compute`) and their rendering as
terminal text, Markdown, HTML, JSON and CSV (`render`, `templates/`).

May import: segdsl.lang, segdsl.semantic, segdsl.sql, segdsl.engines.
"""

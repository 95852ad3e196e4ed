"""Reports: segment value, cross-tabs, overlap, profile, migration, holdout lift and the calibration of a
prediction, computed by the engine and rendered.

Owns the report queries and their results (`compute`) and their rendering as
terminal text, Markdown, HTML, JSON and CSV (`render`, `templates/`); the
statistics of a holdout's lift (`lift`) and its queries (`lift_report`); a
prediction refitted up to a calibration date and compared with the holdout
after it (`calibration`).

May import: segdsl.lang, segdsl.semantic, segdsl.sql, segdsl.engines, segdsl.predict (the calibration
report's fit, closed forms and binding of parameters).
"""

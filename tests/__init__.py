"""The tests, grouped by the stage of the pipeline they test (lang, semantic, sql, engines, reports, tools,
activation, predict); `support` holds what they share. Run from the repository's root: `python -m pytest`."""

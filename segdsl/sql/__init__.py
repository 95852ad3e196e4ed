"""SQL: the checked model → one membership query (sqlglot) for a dialect.

Owns the compiler and the dialects (`dialects`: per dialect, its tier,
lowering rules and printer).

May import: segdsl.lang, segdsl.semantic, segdsl.predict (the SQL of a prediction's parts). Never an engine: SQL is written
without a connection, so `segdsl compile` needs no driver.
"""

"""Activation: audience files for ad and e-mail platforms, and the history of memberships.

Needs the ``activation`` extra (``pip install "segdsl[activation]"``: pyarrow
and phonenumbers). The lift of a holdout is a report (`segdsl.reports.lift`).

- `destinations`: the registry (`get("meta")`, `DESTINATIONS`) — each
  destination's columns, normalisation rules and hashing, with the platform
  pages they come from.
- `rules`: the normalisation rules on Arrow arrays.
- `normalize.AudienceNormalizer`: batches in, the destination's columns out,
  with an `AudienceReport` of missing and invalid values per rule.
- `writer.write_audience`: streams batches into the destination's file,
  renamed into place at the end.
- `export`: an `audience` of a model written as its destination's file, in
  full or as the members who entered and left since a snapshot.
- `history`: snapshots of a model's membership kept in a store, the
  entered and exited members between them, and diffs (`segdsl snapshot`,
  `history`, `diff`); `store` is the layout and the SQL every store shares,
  `sqlstore` the tables of a database (a target or a DuckDB file),
  `parquetstore` a folder of Parquet files. These need only segdsl's own
  dependencies.

May import: segdsl.lang, segdsl.semantic, segdsl.sql, segdsl.engines.
"""

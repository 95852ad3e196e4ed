"""What the tests share: the reference evaluator, the engines and their fixtures, the conformance corpus,
the predictions' published oracles, golden files and the repository's paths."""

"""Where the tests find the repository's files: examples, golden files, the conformance corpus."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
EXAMPLES = ROOT / "examples"
GOLDEN = TESTS / "golden"
CORPUS = TESTS / "support" / "conformance" / "models"  # the conformance corpus

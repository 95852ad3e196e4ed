"""Fuzzing `check`: whatever the text, the answer is a model or coded diagnostics.

Mutations of the real examples (deleted, doubled, swapped and replaced
tokens and characters) reach deep into the checker; random text exercises
the lexer. Any exception other than SegError is a bug.
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.tools.api import load
from segdsl.lang.diagnostics import CODES, SegError
from tests.support.paths import EXAMPLES

MODELS = sorted(EXAMPLES.glob("*.seg"))
TEXTS = [p.read_text(encoding="utf-8") for p in MODELS]
# Imports need files; inline the shared definitions instead.
TEXTS = [re.sub(r'^import "[^"]+"', "", t, flags=re.M) for t in TEXTS]
COMMON = next((t for p, t in zip(MODELS, TEXTS) if p.name == "common.seg"), "")
TEXTS = [t if "entity" in t else COMMON + t for t in TEXTS]
TOKENS = re.compile(r"\w+|\"[^\"]*\"|@[\d\-T:]+|\S")
PIECES = sorted({tok for t in TEXTS for tok in TOKENS.findall(t)}) + [
    "(", ")", "[", "]", "{", "}", ",", "=", ".", "`", '"', "'", "@", "%", "in last", "where", "not", "else",
    "@2025-02-30", "1e999", "-", "/", "0", "days", "`x``y`", "\n", "#", "segment", "feature",
]
EXAMPLES_RUN = int(os.environ.get("SEGDSL_FUZZ_EXAMPLES", "300"))


def check_text(text: str) -> None:
    try:
        load(text)
    except SegError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.code in CODES, d
            assert d.message
        exc.render()  # rendering never fails either


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(TEXTS))
    tokens = TOKENS.findall(text)
    for _ in range(draw(st.integers(1, 6))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "replace", "insert", "swap"]))
        if action == "delete":
            del tokens[i]
        elif action == "duplicate":
            tokens.insert(i, tokens[i])
        elif action == "replace":
            tokens[i] = draw(st.sampled_from(PIECES))
        elif action == "insert":
            tokens.insert(i, draw(st.sampled_from(PIECES)))
        else:
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
    return " ".join(tokens)


@settings(max_examples=EXAMPLES_RUN, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_examples_give_model_or_diagnostics(text: str) -> None:
    check_text(text)


@settings(max_examples=EXAMPLES_RUN, deadline=None)
@given(st.text(max_size=200))
def test_random_text_gives_diagnostics(text: str) -> None:
    check_text(text)


@settings(max_examples=EXAMPLES_RUN // 2, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_random_token_soup_gives_diagnostics(tokens: list[str]) -> None:
    check_text(" ".join(tokens))


def test_examples_are_present():
    assert len(MODELS) >= 2
    for text in TEXTS:
        load(text)

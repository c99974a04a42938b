#!/usr/bin/env python3
"""End-to-end tests of the `gemma` CLI: the logits JSON against llama.cpp's
goldens, generation, info, bench and error handling. Standard library only.

Usage: cli_test.py GEMMA_BINARY FIXTURES_DIR
"""
import array
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


def run(*args, check=True, stdin=None):
    p = subprocess.run([*EMULATOR, GEMMA, *args], capture_output=True, text=True, input=stdin, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"gemma {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def read_floats(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    return a


class LogitsCommand(unittest.TestCase):
    def check_case(self, model, prompt_name, kv):
        with open(os.path.join(FIXTURES, "golden", "index.json")) as f:
            index = json.load(f)
        case = next(c for c in index["cases"] if c["model"] == model and c["prompt"] == prompt_name)
        atol = index["tolerances"][case["tolerance_key"]]["atol_logits"]
        prompt = index["prompts"][prompt_name]
        out = run("logits", "-m", os.path.join(FIXTURES, "models", model + ".gguf"),
                  "--tokens", ",".join(map(str, prompt)), "--generate", "16", "--kv", kv, "-t", "2").stdout
        got = json.loads(out)
        self.assertEqual(set(got), {"n_vocab", "tokens", "logits", "generated", "generated_logits"})
        nv = got["n_vocab"]
        self.assertEqual(nv, 1000)
        self.assertEqual(got["tokens"], prompt)
        self.assertEqual(len(got["logits"]), len(prompt))
        self.assertEqual(len(got["generated"]), 16)
        self.assertEqual(len(got["generated_logits"]), 16)
        want = read_floats(os.path.join(FIXTURES, "golden", case["logits_bin"]))
        for i, row in enumerate(got["logits"]):
            self.assertEqual(len(row), nv)
            diff = max(abs(a - b) for a, b in zip(row, want[i * nv:(i + 1) * nv]))
            self.assertLessEqual(diff, atol, f"{model} row {i}")
        robust = case["greedy_robust_prefix_len"]
        self.assertEqual(got["generated"][:robust], case["greedy_tokens"][:robust])
        # generated_logits[k] chose generated[k] (ties to the lowest id).
        for k, row in enumerate(got["generated_logits"]):
            best = max(range(nv), key=lambda i: (row[i], -i))
            self.assertEqual(best, got["generated"][k])
        # Row 0 is the last prompt row.
        self.assertEqual(got["generated_logits"][0], got["logits"][-1])

    def test_gemma_f32(self):
        self.check_case("gemma-tiny-f32", "pub_long32", "f32")

    def test_gemma2_q8_0(self):
        self.check_case("gemma2-tiny-q8_0", "pub_short6", "f32")

    def test_gemma3_f16_kv(self):
        self.check_case("gemma3-tiny-f32", "pub_long32", "f16")


class OtherCommands(unittest.TestCase):
    model = property(lambda self: os.path.join(FIXTURES, "models", "gemma3-tiny-f32.gguf"))

    def test_run_streams_text_and_reports_speed(self):
        p = run("run", "-m", self.model, "-p", "hello world", "-n", "12", "--temp", "0.8", "--seed", "5")
        self.assertIn("prefill:", p.stderr)
        self.assertIn("decode:", p.stderr)
        self.assertIn("tok/s", p.stderr)
        again = run("run", "-m", self.model, "-p", "hello world", "-n", "12", "--temp", "0.8", "--seed", "5")
        self.assertEqual(p.stdout, again.stdout, "same seed, same text")

    def test_info(self):
        out = run("info", "-m", self.model).stdout
        self.assertIn("architecture:  gemma3", out)
        self.assertIn("simd target:", out)
        self.assertIn("F32", out)

    def test_bench_json(self):
        out = run("bench", "-m", self.model, "-p", "16", "-n", "4", "-r", "1", "--json").stdout
        results = json.loads(out)
        self.assertEqual([r["test"] for r in results], ["pp16", "tg4"])
        self.assertTrue(all(r["avg_ts"] > 0 for r in results))

    def test_chat_reuses_turns(self):
        p = run("chat", "-m", self.model, "-n", "8", stdin="hi there\nand again\n")
        self.assertEqual(p.stdout.count("> "), 3)

    def test_errors_go_to_stderr_with_status(self):
        p = run("run", "-m", "/no/such/model.gguf", "-p", "x", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("/no/such/model.gguf", p.stderr)
        with tempfile.NamedTemporaryFile(suffix=".gguf") as f:
            f.write(b"GGUF\x03\x00\x00\x00" + b"\xff" * 64)
            f.flush()
            p = run("info", "-m", f.name, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(f.name, p.stderr)
        p = run("logits", "-m", self.model, "--tokens", "2,99999", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("outside the vocabulary", p.stderr)


if __name__ == "__main__":
    GEMMA, FIXTURES = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)

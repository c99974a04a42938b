// Hugging Face tokenizers (npm tokenizers@0.23.2, Rust) encode timing for
// tokenizer_bench.
//   node hf_bench.js TOKENIZER.json TEXT.txt REPS (whole|lines)
// whole: the text as one encode() call; lines: encodeBatch() of its lines.
// Prints {"tokens": N, "seconds": [per repetition]} (one warm-up run first).
// Set RAYON_NUM_THREADS=1 for single-threaded numbers.
"use strict";
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require(path.join(__dirname, "node_modules", "tokenizers"));

async function main() {
  const [tokPath, textPath, repsArg, mode] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  const text = fs.readFileSync(textPath, "utf8");
  const lines = text.split(/(?<=\n)/);
  const reps = Number(repsArg || 5);
  const once = async () => {
    if (mode === "lines") {
      const encs = await tok.encodeBatch(lines, { addSpecialTokens: false });
      return encs.reduce((n, e) => n + e.getIds().length, 0);
    }
    return (await tok.encode(text, null, { addSpecialTokens: false })).getIds().length;
  };
  let tokens = await once();
  const seconds = [];
  for (let r = 0; r < reps; ++r) {
    const t0 = process.hrtime.bigint();
    tokens = await once();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(JSON.stringify({ tokens, seconds }));
}

main().catch((e) => {
  console.error("hf_bench:", e);
  process.exit(1);
});

// Hugging Face reference ids for the parity test.
//   node hf_reference.js TOKENIZER.json CORPUS.jsonl OUT.jsonl
// CORPUS: one JSON string per line. OUT: one line per input,
//   {"ids": [...], "ids_split": [...]}
// ids = encode(text, add_special_tokens=false); ids_split = the same with the
// special added tokens not parsed (HF split_special_tokens=True).
//
// The npm binding of tokenizers 0.23.2 has no split_special_tokens switch, so
// ids_split comes from a second tokenizer whose "added_tokens" lack the special
// ones (they stay in the model vocabulary). That equals Rust's
// encode_special_tokens=true when no non-special added token overlaps a
// special one (Rust finds the leftmost-longest match among all added tokens
// and then leaves a special match in the text); checked below.
"use strict";
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require(path.join(__dirname, "node_modules", "tokenizers"));

async function main() {
  const [tokPath, corpusPath, outPath] = process.argv.slice(2);
  const json = JSON.parse(fs.readFileSync(tokPath, "utf8"));
  const special = json.added_tokens.filter((t) => t.special).map((t) => t.content);
  const plain = json.added_tokens.filter((t) => !t.special).map((t) => t.content);
  for (const s of special) {
    for (const n of plain) {
      let overlap = s.includes(n);
      for (let i = 1; i < s.length && !overlap; ++i) overlap = n.startsWith(s.slice(i));
      for (let i = 1; i < n.length && !overlap; ++i) overlap = s.startsWith(n.slice(i));
      if (overlap) throw new Error(`added tokens ${JSON.stringify(s)} and ${JSON.stringify(n)} overlap`);
    }
  }
  const full = Tokenizer.fromFile(tokPath);
  const split = Tokenizer.fromString(
      JSON.stringify({ ...json, added_tokens: json.added_tokens.filter((t) => !t.special) }));
  const texts = fs.readFileSync(corpusPath, "utf8").split("\n").filter((l) => l.length > 0)
      .map((l) => JSON.parse(l));
  const out = [];
  const chunk = 256;
  for (let i = 0; i < texts.length; i += chunk) {
    const part = texts.slice(i, i + chunk);
    const a = await full.encodeBatch(part, { addSpecialTokens: false });
    const b = await split.encodeBatch(part, { addSpecialTokens: false });
    for (let k = 0; k < part.length; ++k) {
      out.push(JSON.stringify({ ids: a[k].getIds(), ids_split: b[k].getIds() }));
    }
  }
  fs.writeFileSync(outPath, out.join("\n") + "\n");
  console.log(`hf_reference: ${texts.length} texts -> ${outPath}`);
}

main().catch((e) => {
  console.error("hf_reference:", e);
  process.exit(1);
});

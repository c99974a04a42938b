// Benchmark (not a test): prefill and decode tokens/s of gemma-wasm in headless
// Chromium (st and mt, engine in a GemmaWorker) next to the native CLI with 1
// and 2 threads, on the same model, measured as `gemma bench` does.
//   node bench/run.mjs MODEL.gguf [--prompt 64] [--gen 32] [--reps 5] [--threads 2] [--rounds 3]
// The engines take turns for `rounds` rounds, so a busy (shared) machine
// slows each about equally; the table gives the mean and the best sample of
// each. Prints a Markdown table (docs/BENCHMARKS.md, "WebAssembly").
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nativeBin } from '../tests/helpers.mjs';
import { startServer } from '../tests/serve.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def);
const modelPath = args.find((a) => a.endsWith('.gguf'));
if (!modelPath) {
  console.error('usage: node bench/run.mjs MODEL.gguf [--prompt 64] [--gen 32] [--reps 5] [--threads 2]');
  process.exit(2);
}
const P = opt('prompt', 64), N = opt('gen', 32), R = opt('reps', 5), T = opt('threads', 2), K = opt('rounds', 3);
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;

function native(threads) {
  const out = execFileSync(nativeBin(), ['bench', '-m', modelPath, '-p', String(P), '-n', String(N), '-r', String(R), '-t', String(threads), '--json'], { encoding: 'utf8' });
  const rows = JSON.parse(out);
  const get = (t) => rows.find((r) => r.test.startsWith(t));
  return { name: `native ${threads} thread${threads > 1 ? 's' : ''}`, target: get('pp').simd_target, pp: get('pp').samples_ts, tg: get('tg').samples_ts };
}

async function browser(variant) {
  const { chromium } = await import('playwright-core');
  const size = statSync(modelPath).size;
  const srv = await startServer({
    isolated: true,
    routes: {
      '/bench-model.gguf': (req, res, headers) => {
        res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(size) });
        createReadStream(modelPath).pipe(res);
      },
    },
  });
  const profile = mkdtempSync(path.join(os.tmpdir(), 'gemma-wasm-bench-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/www/index.html`);
    const r = await page.evaluate(async ({ variant, P, N, R, T }) => {
      const { GemmaWorker } = await import('/index.js');
      const w = new GemmaWorker({ model_path: '/bench-model.gguf', variant, threads: T, cache: false });
      const info = await w.initialize();
      const b = await w.benchmark({ n_prompt: P, n_gen: N, repetitions: R });
      await w.dispose();
      return { ...b, ua: navigator.userAgent, model: info.name };
    }, { variant, P, N, R, T });
    const chrome = /Chrome\/([\d.]+)/.exec(r.ua);
    return { name: `Chromium ${chrome ? chrome[1].split('.')[0] : ''} wasm ${variant}${variant === 'mt' ? ` (${r.threads} threads)` : ''}`, target: r.simd_target, pp: r.pp_tps, tg: r.tg_tps };
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
    await srv.close();
  }
}

const runs = [() => native(1), () => native(T), () => browser('st'), () => browser('mt')];
const rows = [];
for (let k = 0; k < K; k++) {
  for (let i = 0; i < runs.length; i++) {
    const r = await runs[i]();
    if (!rows[i]) rows[i] = { ...r, pp: [], tg: [] };
    rows[i].pp.push(...r.pp);
    rows[i].tg.push(...r.tg);
  }
}
const best = (a) => Math.max(...a);
const base = rows[0];
console.log(`model: ${path.basename(modelPath)} (${(statSync(modelPath).size / 1e6).toFixed(1)} MB), pp${P} / tg${N}, ` +
  `${K} rounds x ${R} repetitions (after a warm-up each); CPU: ${os.cpus()[0].model}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}\n`);
console.log('| engine | SIMD | prefill tok/s mean (best) | decode tok/s mean (best) | decode vs native 1 thread, mean (best) |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.target} | ${mean(r.pp).toFixed(1)} (${best(r.pp).toFixed(1)}) | ${mean(r.tg).toFixed(2)} (${best(r.tg).toFixed(2)}) | ` +
    `${((100 * mean(r.tg)) / mean(base.tg)).toFixed(0)}% (${((100 * best(r.tg)) / best(base.tg)).toFixed(0)}%) |`);
}

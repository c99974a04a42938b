// `npm pack` gives a package that installs into an empty project and works
// from Node.js: GemmaEngine and GemmaWorker generate with a fixture model.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { model, nativeRun, PACKAGE_DIR, skipUnlessBuilt } from './helpers.mjs';

const NPM = process.env.NPM || 'npm';

test('npm pack, install the tarball, import it', { skip: skipUnlessBuilt('st', { native: true }) || skipUnlessBuilt('mt'), timeout: 180_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gemma-wasm-pack-'));
  try {
    const packed = JSON.parse(execFileSync(NPM, ['pack', '--json', '--pack-destination', tmp], { cwd: PACKAGE_DIR, encoding: 'utf8' }));
    const files = packed[0].files.map((f) => f.path).sort();
    for (const f of ['index.js', 'index.d.ts', 'js/engine.js', 'js/worker-main.js', 'dist/gemma-st.wasm', 'dist/gemma-mt.wasm', 'dist/gemma-mt.worker.js', 'dist/package.json']) {
      assert.ok(files.includes(f), `${f} missing from the package: ${files.join(' ')}`);
    }
    assert.ok(!files.some((f) => f.startsWith('tests/') || f.startsWith('node_modules/')), 'tests or node_modules packed');
    const tarball = path.join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz')));
    const app = path.join(tmp, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync(NPM, ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: app, stdio: 'pipe' });
    const m = model('gemma3-tiny-f32.gguf');
    writeFileSync(path.join(app, 'main.js'), `
      import { GemmaEngine, GemmaWorker } from 'gemma-wasm';
      const engine = new GemmaEngine({ model_path: ${JSON.stringify(m)}, max_tokens: 12 });
      await engine.initialize();
      const response = await engine.generate({ prompt: 'hello world', max_tokens: 12 });
      const worker = new GemmaWorker({ model_path: ${JSON.stringify(m)}, variant: 'mt', threads: 2 });
      const info = await worker.initialize();
      const w = await worker.generate({ prompt: 'hello world', max_tokens: 12 });
      await engine.dispose();
      await worker.dispose();
      console.log(JSON.stringify({ text: response.text, worker: w.text, variant: info.variant }));
    `);
    const out = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', timeout: 120_000 }));
    const expected = nativeRun(m, 'hello world', { n: 12 });
    assert.equal(out.text, expected);
    assert.equal(out.worker, expected);
    assert.equal(out.variant, 'mt');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

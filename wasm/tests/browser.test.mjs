// Headless Chromium (Debian's /usr/bin/chromium via playwright-core): the demo
// page loads a fixture model into a GemmaWorker, streams a chat reply that
// must equal the native CLI's text for the same seed, shows tokens/s, and
// the reply is on a screenshot. Both variants; 'mt' is served with COOP/COEP,
// 'st' without (it must not need them). A reload comes from the Cache API.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { model, nativeRun, PACKAGE_DIR, skipUnlessBuilt } from './helpers.mjs';
import { startServer } from './serve.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MODEL = 'gemma3-tiny-f32.gguf';
const PROMPT = 'Write a short story about the sea.';
const SETTINGS = { temperature: 0.8, seed: 42, max_tokens: 24 };
const OUT_DIR = process.env.GEMMA_WASM_TEST_OUT || path.join(PACKAGE_DIR, 'test-results');

async function launch() {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'gemma-wasm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 900 },
  });
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

for (const variant of ['st', 'mt']) {
  const skip = skipUnlessBuilt(variant, { native: true }) || (!existsSync(CHROMIUM) && `${CHROMIUM} not found`);
  test(`demo page chats through a GemmaWorker (${variant})`, { skip, timeout: 240_000 }, async () => {
    const expected = nativeRun(model(MODEL), PROMPT, { n: SETTINGS.max_tokens, temp: SETTINGS.temperature, seed: SETTINGS.seed, chat: true });
    assert.ok(expected.length > 0, 'the native CLI gave no text');
    const srv = await startServer({ isolated: variant === 'mt' });
    const browser = await launch();
    try {
      const page = await browser.context.newPage();
      const logs = [];
      page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
      const q = new URLSearchParams({ model: `/fixtures/models/${MODEL}`, variant, autoload: '1', ...Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, String(v)])) });
      const url = `${srv.url}/www/index.html?${q}`;
      const load = async () => {
        await page.goto(url);
        await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
        assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready',
          `loading failed: ${await page.textContent('#status')}\n${logs.join('\n')}`);
        return page.evaluate(() => window.gemmaDemo.phases);
      };
      const phases = await load();
      assert.ok(phases.includes('download'), `first load phases: ${phases}`);
      const runtime = await page.textContent('#runtime');
      assert.match(runtime, variant === 'mt' ? /\d+ threads · WASM/ : /single-threaded · WASM/);
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), variant === 'mt');

      // Count DOM updates of the reply while it streams.
      await page.evaluate(() => {
        window.streamUpdates = 0;
        new MutationObserver(() => window.streamUpdates++).observe(document.getElementById('messages'), { subtree: true, characterData: true, childList: true });
      });
      await page.fill('#prompt', PROMPT);
      await page.click('#send');
      await page.waitForFunction(() => document.querySelector('#last-reply')?.dataset.finish, null, { timeout: 120_000 });
      const text = await page.textContent('#last-reply .text');
      assert.equal(text, expected, 'the browser reply differs from `gemma run --chat` with the same seed');
      const updates = await page.evaluate(() => window.streamUpdates);
      assert.ok(updates >= 3, `the reply arrived in ${updates} DOM updates: not streamed`);
      const r = await page.evaluate(() => window.gemmaDemo.lastResponse);
      assert.ok(r.tokens.length > 1 && r.text === expected);
      assert.match(await page.textContent('#speed'), /tokens\/s decode/);

      // The screenshot shows the reply: its box lies within the captured
      // viewport and the reply element is what is painted at its centre.
      mkdirSync(OUT_DIR, { recursive: true });
      const shot = await page.screenshot({ path: path.join(OUT_DIR, `demo-${variant}.png`) });
      assert.ok(shot.length > 5000, 'empty screenshot');
      const box = await page.locator('#last-reply').boundingBox();
      const vp = page.viewportSize();
      assert.ok(box && box.width > 10 && box.height > 10 && box.x >= 0 && box.y >= 0 &&
        box.x + box.width <= vp.width && box.y + box.height <= vp.height, `reply box ${JSON.stringify(box)} not on screen`);
      const onTop = await page.evaluate(([x, y]) => !!document.elementFromPoint(x, y)?.closest('#last-reply'), [box.x + box.width / 2, box.y + box.height / 2]);
      assert.ok(onTop, 'the reply is covered');
      const crop = await page.screenshot({ clip: box });
      writeFileSync(path.join(OUT_DIR, `reply-${variant}.png`), crop);

      // Reloading reads the model back from the Cache API.
      const again = await load();
      assert.ok(again.includes('cache') && !again.includes('download'), `reload phases: ${again}`);
    } finally {
      await browser.close();
      await srv.close();
    }
  });
}

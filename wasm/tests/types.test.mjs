// index.d.ts passes tsc --strict for the documented usage, and rejects misuse
// (@ts-expect-error lines in tests/types/usage.ts must be errors).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PACKAGE_DIR } from './helpers.mjs';

const TSC = path.join(PACKAGE_DIR, 'node_modules', 'typescript', 'bin', 'tsc');

test('index.d.ts compiles with tsc --strict', () => {
  assert.ok(existsSync(TSC), `${TSC} is missing: run npm ci in wasm/`);
  const r = spawnSync(process.execPath, [TSC, '-p', path.join(PACKAGE_DIR, 'tests', 'types', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});

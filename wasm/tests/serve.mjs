// A small static server for the package, the demo page and the fixtures, on
// 127.0.0.1. With isolation (the default) it sends the COOP/COEP headers that
// make a page cross-origin isolated, which the threaded variant needs.
//   node tests/serve.mjs [--port 8080] [--no-isolation]   -> /www/index.html
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PACKAGE_DIR = path.resolve(HERE, '..');
export const FIXTURES_DIR = path.resolve(PACKAGE_DIR, '..', 'fixtures');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.gguf': 'application/octet-stream',
  '.png': 'image/png',
};

export function startServer({ port = 0, isolated = true, root = PACKAGE_DIR, fixtures = FIXTURES_DIR, routes = {} } = {}) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const headers = { 'cache-control': 'no-store' };
    if (isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
      headers['cross-origin-resource-policy'] = 'same-origin';
    }
    if (routes[url.pathname]) return routes[url.pathname](req, res, headers);
    let base = root;
    let rel = decodeURIComponent(url.pathname);
    if (rel.startsWith('/fixtures/')) {
      base = fixtures;
      rel = rel.slice('/fixtures'.length);
    }
    if (rel === '/' || rel === '') rel = '/www/index.html';
    const file = path.resolve(base, '.' + rel);
    if (!file.startsWith(base + path.sep)) {
      res.writeHead(403, headers).end('forbidden');
      return;
    }
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) throw new Error('not a file');
      res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'content-length': st.size });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      resolve({ server, url: `http://127.0.0.1:${p}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const port = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 8080;
  const s = await startServer({ port, isolated: !args.includes('--no-isolation') });
  console.log(`serving ${PACKAGE_DIR} (fixtures at /fixtures/) on ${s.url}/www/index.html`);
}

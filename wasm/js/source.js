// Getting model bytes into wasm memory without ever holding two full copies:
// the bytes are streamed (fetch body, Cache API entry, Blob/File stream, file
// in Node.js) straight into one wasm allocation of the final size. Only an
// ArrayBuffer given by the caller exists twice (theirs, ours) while copying;
// a response without Content-Length is collected in chunks first.
import { GemmaError, invalid } from './errors.js';
import { isNode } from './env.js';

export const DEFAULT_CACHE_NAME = 'gemma-wasm-models';
const GiB = 1024 ** 3;
// wasm32 addresses 4 GiB; Emscripten's heap stops 64 KiB short of it.
export const WASM_MEMORY_MAX = 4 * GiB - 65536;
// Kept free for the runtime, tokenizer, KV cache and activations when a
// model is admitted: a model file larger than this is refused up front.
export const RESERVED_BYTES = 320 * 1024 * 1024;
export const MAX_MODEL_BYTES = WASM_MEMORY_MAX - RESERVED_BYTES;

function gb(n) {
  return `${(n / 1e9).toFixed(2)} GB`;
}

export function tooLarge(size, heapUsed) {
  const limit = Math.max(0, WASM_MEMORY_MAX - RESERVED_BYTES - heapUsed);
  return new GemmaError(
    'model_too_large',
    `model is ${gb(size)} (${size} bytes) but WebAssembly (wasm32) memory is limited to 4 GiB: ` +
      `${gb(heapUsed)} is in use and ${Math.round(RESERVED_BYTES / 2 ** 20)} MiB is kept for the runtime, ` +
      `tokenizer, KV cache and activations, so the largest model that fits is ${gb(limit)} ` +
      '(e.g. Gemma 2B Q8_0, 2.67 GB, fits; a 7B model even at Q4_0, about 5 GB, does not). ' +
      'Use a smaller or more quantized model.',
  );
}

function sourceName(source) {
  if (typeof source === 'string') return source.split(/[?#]/)[0].split('/').pop() || source;
  if (source instanceof URL) return source.pathname.split('/').pop() || source.href;
  if (typeof File === 'function' && source instanceof File) return source.name;
  if (typeof Blob === 'function' && source instanceof Blob) return 'blob';
  return 'buffer';
}

function isRemote(s) {
  return /^(https?:|blob:|data:)/i.test(s);
}

// Resolves a source to { name, total (bytes or null), chunks: async iterator
// of Uint8Array, cancel() }.
async function open(source, opts) {
  const name = opts.model_name || sourceName(source);
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return {
      name,
      total: bytes.byteLength,
      async *chunks() {
        const step = 16 << 20;
        for (let off = 0; off < bytes.byteLength; off += step) yield bytes.subarray(off, Math.min(off + step, bytes.byteLength));
      },
      cancel() {},
    };
  }
  if (typeof Blob === 'function' && source instanceof Blob) {
    return streamOf(name, source.size, source.stream());
  }
  const url = source instanceof URL ? source.href : source;
  if (isNode && !isRemote(url)) return openNodeFile(url, name);
  return openUrl(url, name, opts);
}

async function openNodeFile(pathOrUrl, name) {
  const fs = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const path = pathOrUrl.startsWith('file:') ? fileURLToPath(pathOrUrl) : pathOrUrl;
  let stat;
  try {
    stat = await fs.promises.stat(path);
  } catch (e) {
    throw new GemmaError(e.code === 'ENOENT' ? 'not_found' : 'io_error', `${path}: ${e.message}`);
  }
  if (!stat.isFile()) throw new GemmaError('io_error', `${path}: not a regular file`);
  const stream = fs.createReadStream(path, { highWaterMark: 8 << 20 });
  return {
    name,
    total: stat.size,
    async *chunks() {
      for await (const c of stream) yield new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
    },
    cancel() {
      stream.destroy();
    },
  };
}

function streamOf(name, total, body) {
  const reader = body.getReader();
  return {
    name,
    total,
    async *chunks() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    },
    cancel() {
      reader.cancel().catch(() => {});
    },
  };
}

function cacheName(opts) {
  return typeof opts.cache === 'string' ? opts.cache : DEFAULT_CACHE_NAME;
}

async function openUrl(url, name, opts) {
  const useCache = opts.cache !== false && typeof caches === 'object' && caches && !url.startsWith('blob:') && !url.startsWith('data:');
  let cache = null;
  if (useCache) {
    try {
      cache = await caches.open(cacheName(opts));
      const hit = await cache.match(url);
      if (hit && hit.body) {
        const total = Number(hit.headers.get('content-length')) || null;
        const s = streamOf(name, total, hit.body);
        s.fromCache = true;
        return s;
      }
    } catch {
      cache = null;  // e.g. an opaque origin: no persistence, still works
    }
  }
  let response;
  try {
    response = await fetch(url, { ...(opts.fetch_options || {}), signal: opts.signal });
  } catch (e) {
    if (opts.signal && opts.signal.aborted) throw new GemmaError('cancelled', 'loading was aborted');
    throw new GemmaError('io_error', `${url}: fetch failed: ${e && e.message ? e.message : e}`);
  }
  if (!response.ok) {
    throw new GemmaError(response.status === 404 ? 'not_found' : 'io_error', `${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const enc = response.headers.get('content-encoding');
  const len = Number(response.headers.get('content-length'));
  const total = Number.isFinite(len) && len > 0 && (!enc || enc === 'identity') ? len : null;
  let body = response.body;
  if (cache && total !== null) {
    // Persist while loading: one branch goes to the Cache API, one into wasm.
    const [a, b] = body.tee();
    body = a;
    const headers = new Headers({ 'content-length': String(total), 'content-type': 'application/octet-stream' });
    cache.put(url, new Response(b, { headers })).catch(() => {});
  }
  return streamOf(name, total, body);
}

/**
 * Streams `source` into a new wasm allocation. Returns { ptr, size, name }.
 * `M` is the Emscripten module; the allocation is the model's from then on.
 */
export async function loadIntoWasm(M, source, opts, report) {
  const src = await open(source, opts);
  const heapUsed = () => M.HEAPU8.length;
  const phase = src.fromCache ? 'cache' : 'download';
  let ptr = 0;
  let size = 0;
  try {
    if (src.total !== null) {
      if (src.total === 0) throw new GemmaError('corrupt_data', `${src.name}: file is empty (0 bytes)`);
      if (src.total > MAX_MODEL_BYTES - heapUsed()) throw tooLarge(src.total, heapUsed());
      size = src.total;
      ptr = M._gw_alloc(size) >>> 0;
      if (!ptr) throw tooLarge(size, heapUsed());
      let off = 0;
      report({ phase, loaded: 0, total: size });
      for await (const chunk of src.chunks()) {
        if (opts.signal && opts.signal.aborted) throw new GemmaError('cancelled', 'loading was aborted');
        if (off + chunk.byteLength > size) throw new GemmaError('io_error', `${src.name}: more bytes than announced (${size})`);
        M.HEAPU8.set(chunk, ptr + off);  // HEAPU8 is re-read: memory may have grown
        off += chunk.byteLength;
        report({ phase, loaded: off, total: size });
      }
      if (off !== size) throw new GemmaError('io_error', `${src.name}: got ${off} of ${size} bytes`);
    } else {
      // Unknown length: collect, then copy once.
      const parts = [];
      for await (const chunk of src.chunks()) {
        if (opts.signal && opts.signal.aborted) throw new GemmaError('cancelled', 'loading was aborted');
        parts.push(chunk);
        size += chunk.byteLength;
        if (size > MAX_MODEL_BYTES - heapUsed()) throw tooLarge(size, heapUsed());
        report({ phase, loaded: size, total: null });
      }
      if (size === 0) throw new GemmaError('corrupt_data', `${src.name}: file is empty (0 bytes)`);
      ptr = M._gw_alloc(size) >>> 0;
      if (!ptr) throw tooLarge(size, heapUsed());
      let off = 0;
      while (parts.length) {
        const c = parts.shift();
        M.HEAPU8.set(c, ptr + off);
        off += c.byteLength;
      }
    }
  } catch (e) {
    src.cancel();
    if (ptr) M._gw_free(ptr);
    throw e;
  }
  return { ptr, size, name: src.name };
}

/** Cache API helpers (browsers). */
export async function isCached(url, name = DEFAULT_CACHE_NAME) {
  if (typeof caches !== 'object' || !caches) return false;
  const cache = await caches.open(name);
  return (await cache.match(url)) !== undefined;
}

export async function clearCache(name = DEFAULT_CACHE_NAME) {
  if (typeof caches !== 'object' || !caches) return false;
  return caches.delete(name);
}

export function checkSource(source) {
  if (source === undefined) throw invalid('no model source');
}

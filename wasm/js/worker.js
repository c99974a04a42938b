// GemmaWorker: GemmaEngine's API with the engine in a Web Worker (a worker
// thread in Node.js), so the page never blocks. Options are validated here,
// callbacks (onProgress, onToken, signal) stay on this side.
import { GemmaError, invalid } from './errors.js';
import { isNode } from './env.js';
import { chatMessages, engineOptions, generateOptions } from './options.js';
import { MAX_MODEL_BYTES } from './source.js';
import { makeStream } from './stream.js';

const WORKER_URL = new URL('./worker-main.js', import.meta.url);

function absolute(u) {
  if (isNode || typeof location !== 'object') return u;
  return new URL(String(u), location.href).href;
}

// What to send for a model source, and what to transfer (an ArrayBuffer is
// moved, not copied: the caller's buffer becomes detached).
function portableSource(src) {
  if (typeof src === 'string') return { value: /^[a-z][a-z0-9+.-]*:/i.test(src) ? src : absolute(src), transfer: [] };
  if (src instanceof URL) return { value: src.href, transfer: [] };
  if (src instanceof ArrayBuffer) return { value: src, transfer: [src] };
  if (ArrayBuffer.isView(src)) {
    const whole = src.byteOffset === 0 && src.byteLength === src.buffer.byteLength && src.buffer instanceof ArrayBuffer;
    const buf = whole ? src.buffer : src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength);
    return { value: buf, transfer: [buf] };
  }
  return { value: src, transfer: [] };  // Blob / File: cloned by reference
}

export class GemmaWorker {
  #o;
  #raw;
  #worker = null;
  #ready = null;
  #pending = new Map();
  #nextId = 1;
  #init = null;
  #info = null;
  #disposed = false;

  /** @param {import('../index.js').EngineOptions} options */
  constructor(options) {
    this.#raw = options === undefined ? {} : options;
    this.#o = engineOptions(this.#raw);
  }

  static get MAX_MODEL_BYTES() {
    return MAX_MODEL_BYTES;
  }

  get info() {
    return this.#info;
  }

  initialize() {
    if (this.#disposed) return Promise.reject(new GemmaError('disposed', 'this engine was disposed'));
    if (!this.#init) {
      this.#init = this.#initialize();
      this.#init.catch(() => {});
    }
    return this.#init;
  }

  async #initialize() {
    await this.#start();
    const o = this.#o;
    const src = portableSource(o.source);
    const options = {
      model_path: src.value,
      model_name: o.model_name,
      max_tokens: o.max_tokens,
      threads: o.threads,
      variant: o.variant,
      context_length: this.#raw.context_length,
      kv_cache: o.kv_cache,
      max_batch_tokens: this.#raw.max_batch_tokens,
      cache: o.cache,
      wasm_base: o.wasm_base === undefined ? undefined : absolute(o.wasm_base),
      fetch_options: o.fetch_options,
      sampling: o.sampling,
    };
    this.#info = await this.#call('init', { options }, src.transfer, null, o.onProgress);
    return this.#info;
  }

  async generate(options) {
    const o = generateOptions(options, this.#o);
    return this.#generate(options, o, o.onToken || null);
  }

  generateStream(options) {
    const o = generateOptions(options, this.#o);
    return makeStream((push) => this.#generate(options, o, (d) => {
      push(d);
      if (o.onToken) o.onToken(d);
    }), () => this.abort());
  }

  abort() {
    if (this.#worker) this.#post({ op: 'abort' });
  }

  async reset() {
    return this.#op('reset', {});
  }

  async tokenize(text, options = {}) {
    if (typeof text !== 'string') throw invalid('tokenize: text must be a string');
    return this.#op('tokenize', { text, options });
  }

  async detokenize(ids, options = {}) {
    if (!Array.isArray(ids) && !(ids instanceof Int32Array)) throw invalid('detokenize: ids must be an array of token ids');
    return this.#op('detokenize', { ids: Array.from(ids), options });
  }

  async applyChatTemplate(messages, options = {}) {
    return this.#op('applyChatTemplate', { messages: chatMessages(messages), options });
  }

  async logits(tokens, options = {}) {
    return this.#op('logits', { tokens, options });
  }

  async benchmark(options = {}) {
    return this.#op('benchmark', { options });
  }

  async dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    if (!this.#worker) return;
    this.abort();
    try {
      await Promise.race([this.#call('dispose', {}), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // terminating anyway
    }
    this.#fail(new GemmaError('disposed', 'this engine was disposed'));
    if (isNode) await this.#worker.terminate();
    else this.#worker.terminate();
    this.#worker = null;
  }

  // ---- internals ------------------------------------------------------

  async #op(op, args, onDelta = null) {
    if (this.#disposed) throw new GemmaError('disposed', 'this engine was disposed');
    if (!this.#init) throw new GemmaError('not_initialized', 'call initialize() first');
    await this.#init;
    return this.#call(op, args, [], onDelta);
  }

  async #generate(raw, o, onDelta) {
    if (o.signal && o.signal.aborted) throw new GemmaError('cancelled', 'the signal was already aborted');
    const options = { ...(typeof raw === 'string' ? { prompt: raw } : raw) };
    delete options.signal;
    delete options.onToken;
    if (options.seed !== undefined) options.seed = o.sampling.seed;
    const onAbort = () => this.abort();
    if (o.signal) o.signal.addEventListener('abort', onAbort);
    try {
      return await this.#op('generate', { options }, onDelta);
    } finally {
      if (o.signal) o.signal.removeEventListener('abort', onAbort);
    }
  }

  async #start() {
    if (this.#ready) return this.#ready;
    this.#ready = (async () => {
      let w;
      if (isNode) {
        const { Worker } = await import('node:worker_threads');
        w = new Worker(WORKER_URL);
        w.on('message', (m) => this.#onMessage(m));
        w.on('error', (e) => this.#fail(new GemmaError('internal', `worker failed: ${e && e.message ? e.message : e}`)));
      } else {
        w = new Worker(WORKER_URL, { type: 'module' });
        w.onmessage = (e) => this.#onMessage(e.data);
        w.onerror = (e) => {
          e.preventDefault();
          this.#fail(new GemmaError('internal', `worker failed: ${e.message || 'error'}`));
        };
      }
      this.#worker = w;
      await new Promise((resolve) => this.#pending.set(0, { resolve, reject: resolve }));
      // Node.js: the worker keeps the process alive only while a call is pending.
      if (isNode && this.#pending.size === 0) w.unref();
    })();
    return this.#ready;
  }

  #post(msg, transfer = []) {
    this.#worker.postMessage(msg, transfer);
  }

  #call(op, args, transfer = [], onDelta = null, onProgress = null) {
    if (!this.#worker) return Promise.reject(new GemmaError('disposed', 'this engine was disposed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onDelta, onProgress });
      if (isNode) this.#worker.ref();
      this.#post({ id, op, args }, transfer);
    });
  }

  #onMessage(m) {
    if (m.type === 'ready') {
      const p = this.#pending.get(0);
      this.#pending.delete(0);
      if (p) p.resolve();
      return;
    }
    const p = this.#pending.get(m.id);
    if (!p) return;
    if (m.type === 'delta') {
      if (p.onDelta) p.onDelta(m.text);
    } else if (m.type === 'progress') {
      if (p.onProgress) {
        try {
          p.onProgress(m.progress);
        } catch {
          // ignored, as in GemmaEngine
        }
      }
    } else {
      this.#pending.delete(m.id);
      if (isNode && this.#pending.size === 0 && this.#worker) this.#worker.unref();
      if (m.type === 'result') p.resolve(m.value);
      else p.reject(GemmaError.fromJSON(m.error));
    }
  }

  #fail(error) {
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}

// The Web Worker (or Node.js worker thread) behind GemmaWorker: one
// GemmaEngine, driven by messages {id, op, args}. Replies: {id, type:
// 'result' | 'error' | 'delta' | 'progress', ...}. 'abort' has no reply and
// is handled while a generate runs (the engine yields after every delta).
import { GemmaEngine } from './engine.js';
import { GemmaError } from './errors.js';
import { isNode } from './env.js';

const port = isNode ? (await import('node:worker_threads')).parentPort : self;
let engine = null;

function send(msg) {
  port.postMessage(msg);
}

function errorJson(e) {
  if (e instanceof GemmaError) return e.toJSON();
  return { code: 'internal', message: e && e.message ? e.message : String(e) };
}

function need() {
  if (!engine) throw new GemmaError('not_initialized', 'call initialize() first');
  return engine;
}

const ops = {
  async init(id, { options }) {
    if (engine) throw new GemmaError('invalid_argument', 'already initialized');
    engine = new GemmaEngine({ ...options, onProgress: (progress) => send({ id, type: 'progress', progress }) });
    return engine.initialize();
  },
  async generate(id, { options }) {
    const it = need().generateStream(options);
    for await (const text of it) send({ id, type: 'delta', text });
    return it.response;
  },
  async tokenize(id, { text, options }) {
    return need().tokenize(text, options);
  },
  async detokenize(id, { ids, options }) {
    return need().detokenize(ids, options);
  },
  async applyChatTemplate(id, { messages, options }) {
    return need().applyChatTemplate(messages, options);
  },
  async logits(id, { tokens, options }) {
    return need().logits(tokens, options);
  },
  async benchmark(id, { options }) {
    return need().benchmark(options);
  },
  async reset() {
    return need().reset();
  },
  async dispose() {
    if (engine) await engine.dispose();
    engine = null;
    return null;
  },
};

async function onMessage(msg) {
  if (!msg || typeof msg !== 'object') return;
  if (msg.op === 'abort') {
    if (engine) engine.abort();
    return;
  }
  const op = ops[msg.op];
  try {
    if (!op) throw new GemmaError('invalid_argument', `unknown operation '${msg.op}'`);
    const value = await op(msg.id, msg.args || {});
    const transfer = [];
    if (value && value.logits instanceof Float32Array) transfer.push(value.logits.buffer);
    port.postMessage({ id: msg.id, type: 'result', value }, transfer);
  } catch (e) {
    send({ id: msg.id, type: 'error', error: errorJson(e) });
  }
}

if (isNode) port.on('message', onMessage);
else self.onmessage = (e) => onMessage(e.data);
send({ type: 'ready' });

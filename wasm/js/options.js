// Validation of every option object the API takes. Unknown keys are errors
// (a misspelt option must not be silently ignored); messages name the option
// and the rule.
import { invalid } from './errors.js';

const ENGINE_KEYS = [
  'model_path', 'model', 'model_name', 'max_tokens', 'threads', 'variant', 'context_length', 'kv_cache',
  'max_batch_tokens', 'cache', 'onProgress', 'wasm_base', 'fetch_options', 'sampling',
];
const SAMPLING_KEYS = [
  'temperature', 'top_k', 'top_p', 'min_p', 'seed', 'repetition_penalty', 'presence_penalty',
  'frequency_penalty', 'penalty_last_n', 'stop', 'stop_at_eos',
];
const GENERATE_KEYS = [
  'prompt', 'messages', 'tokens', 'chat', 'max_tokens', 'add_bos', 'cache_prompt', 'signal', 'onToken',
  ...SAMPLING_KEYS,
];
const ROLES = ['system', 'user', 'assistant', 'model'];

function checkKeys(obj, allowed, what) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw invalid(`${what} must be an object`);
  }
  for (const k of Object.keys(obj)) {
    if (obj[k] !== undefined && !allowed.includes(k)) {
      throw invalid(`${what}: unknown option '${k}' (known: ${allowed.join(', ')})`);
    }
  }
}

function int(v, name, min, max) {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(`${name} must be an integer in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  return v;
}

function num(v, name, min, max, { minOpen = false } = {}) {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (minOpen && v === min)) {
    throw invalid(`${name} must be a number in ${minOpen ? '(' : '['}${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  return v;
}

export function isModelSource(v) {
  return (
    typeof v === 'string' ||
    (typeof URL === 'function' && v instanceof URL) ||
    v instanceof ArrayBuffer ||
    ArrayBuffer.isView(v) ||
    (typeof Blob === 'function' && v instanceof Blob)
  );
}

/** Returns a normalised copy of the GemmaEngine / GemmaWorker options. */
export function engineOptions(o) {
  checkKeys(o, ENGINE_KEYS, 'GemmaEngine options');
  const source = o.model_path !== undefined ? o.model_path : o.model;
  if (o.model_path !== undefined && o.model !== undefined) throw invalid('give model_path or model, not both');
  if (source === undefined) throw invalid('model_path is required (a URL, a path in Node.js, an ArrayBuffer, a Blob or a File)');
  if (!isModelSource(source)) {
    throw invalid('model_path must be a URL string, a URL, an ArrayBuffer, a typed array, a Blob or a File');
  }
  if (typeof source === 'string' && source.length === 0) throw invalid('model_path is empty');
  const r = {
    source,
    model_name: o.model_name,
    max_tokens: o.max_tokens === undefined ? 256 : int(o.max_tokens, 'max_tokens', 1, 1 << 30),
    threads: o.threads === undefined ? 'auto' : o.threads,
    variant: o.variant === undefined ? 'auto' : o.variant,
    context_length: o.context_length === undefined ? 0 : int(o.context_length, 'context_length', 1, 1 << 24),
    kv_cache: o.kv_cache === undefined ? 'f32' : o.kv_cache,
    max_batch_tokens: o.max_batch_tokens === undefined ? 0 : int(o.max_batch_tokens, 'max_batch_tokens', 1, 8192),
    cache: o.cache === undefined ? true : o.cache,
    onProgress: o.onProgress,
    wasm_base: o.wasm_base,
    fetch_options: o.fetch_options,
    sampling: o.sampling === undefined ? {} : samplingOptions(o.sampling, 'sampling'),
  };
  if (r.model_name !== undefined && typeof r.model_name !== 'string') throw invalid('model_name must be a string');
  if (r.threads !== 'auto') int(r.threads, 'threads', 1, 256);
  if (!['auto', 'st', 'mt'].includes(r.variant)) throw invalid(`variant must be 'auto', 'st' or 'mt' (got ${JSON.stringify(r.variant)})`);
  if (!['f32', 'f16'].includes(r.kv_cache)) throw invalid(`kv_cache must be 'f32' or 'f16' (got ${JSON.stringify(r.kv_cache)})`);
  if (typeof r.cache !== 'boolean' && typeof r.cache !== 'string') throw invalid('cache must be a boolean or a Cache API cache name');
  if (r.onProgress !== undefined && typeof r.onProgress !== 'function') throw invalid('onProgress must be a function');
  if (r.wasm_base !== undefined && typeof r.wasm_base !== 'string' && !(r.wasm_base instanceof URL)) {
    throw invalid('wasm_base must be a URL string or a URL');
  }
  if (r.fetch_options !== undefined && (typeof r.fetch_options !== 'object' || r.fetch_options === null)) {
    throw invalid('fetch_options must be an object (RequestInit)');
  }
  return r;
}

/** Validates sampling options; returns a copy with only the given keys. */
export function samplingOptions(o, what = 'sampling options') {
  checkKeys(o, SAMPLING_KEYS, what);
  const r = {};
  if (o.temperature !== undefined) r.temperature = num(o.temperature, 'temperature', 0, 100);
  if (o.top_k !== undefined) r.top_k = int(o.top_k, 'top_k', 0, 2 ** 31 - 1);
  if (o.top_p !== undefined) r.top_p = num(o.top_p, 'top_p', 0, 1, { minOpen: true });
  if (o.min_p !== undefined) r.min_p = num(o.min_p, 'min_p', 0, 1);
  if (o.repetition_penalty !== undefined) {
    r.repetition_penalty = num(o.repetition_penalty, 'repetition_penalty', 0, 100, { minOpen: true });
  }
  if (o.presence_penalty !== undefined) r.presence_penalty = num(o.presence_penalty, 'presence_penalty', -2, 2);
  if (o.frequency_penalty !== undefined) r.frequency_penalty = num(o.frequency_penalty, 'frequency_penalty', -2, 2);
  if (o.penalty_last_n !== undefined) r.penalty_last_n = int(o.penalty_last_n, 'penalty_last_n', -1, 2 ** 31 - 1);
  if (o.seed !== undefined) {
    if (typeof o.seed === 'bigint') {
      if (o.seed < 0n || o.seed >= 1n << 64n) throw invalid('seed must be in [0, 2^64)');
      r.seed = o.seed;
    } else {
      r.seed = BigInt(int(o.seed, 'seed', 0, Number.MAX_SAFE_INTEGER));
    }
  }
  if (o.stop !== undefined) {
    const stop = typeof o.stop === 'string' ? [o.stop] : o.stop;
    if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw invalid('stop must be a non-empty string or an array of non-empty strings');
    }
    if (stop.length > 16) throw invalid('stop: at most 16 stop strings');
    r.stop = stop;
  }
  if (o.stop_at_eos !== undefined) {
    if (typeof o.stop_at_eos !== 'boolean') throw invalid('stop_at_eos must be a boolean');
    r.stop_at_eos = o.stop_at_eos;
  }
  return r;
}

/** Validates generate() options against the engine defaults. */
export function generateOptions(o, defaults) {
  if (typeof o === 'string') o = { prompt: o };
  checkKeys(o, GENERATE_KEYS, 'generate options');
  const inputs = ['prompt', 'messages', 'tokens'].filter((k) => o[k] !== undefined);
  if (inputs.length !== 1) throw invalid('give exactly one of prompt, messages or tokens');
  const sampling = { ...defaults.sampling, ...samplingOptions(pick(o, SAMPLING_KEYS), 'generate options') };
  const r = {
    sampling,
    max_tokens: o.max_tokens === undefined ? defaults.max_tokens : int(o.max_tokens, 'max_tokens', 1, 1 << 30),
    cache_prompt: o.cache_prompt === undefined ? true : o.cache_prompt,
    add_bos: o.add_bos === undefined ? true : o.add_bos,
    chat: o.chat === undefined ? false : o.chat,
    signal: o.signal,
    onToken: o.onToken,
  };
  if (typeof r.cache_prompt !== 'boolean') throw invalid('cache_prompt must be a boolean');
  if (typeof r.add_bos !== 'boolean') throw invalid('add_bos must be a boolean');
  if (typeof r.chat !== 'boolean') throw invalid('chat must be a boolean');
  if (r.onToken !== undefined && typeof r.onToken !== 'function') throw invalid('onToken must be a function');
  if (r.signal !== undefined && (r.signal === null || typeof r.signal.aborted !== 'boolean')) {
    throw invalid('signal must be an AbortSignal');
  }
  if (o.prompt !== undefined) {
    if (typeof o.prompt !== 'string') throw invalid('prompt must be a string');
    if (r.chat) r.messages = [{ role: 'user', content: o.prompt }];
    else r.prompt = o.prompt;
  } else if (o.messages !== undefined) {
    r.messages = chatMessages(o.messages);
  } else {
    if (!Array.isArray(o.tokens) || o.tokens.length === 0 || o.tokens.some((t) => !Number.isInteger(t) || t < 0)) {
      throw invalid('tokens must be a non-empty array of token ids');
    }
    r.tokens = o.tokens.slice();
  }
  return r;
}

export function chatMessages(messages) {
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('messages must be a non-empty array');
  return messages.map((m, i) => {
    if (m === null || typeof m !== 'object') throw invalid(`messages[${i}] must be an object {role, content}`);
    if (!ROLES.includes(m.role)) throw invalid(`messages[${i}].role must be one of ${ROLES.join(', ')} (got ${JSON.stringify(m.role)})`);
    if (typeof m.content !== 'string') throw invalid(`messages[${i}].content must be a string`);
    return { role: m.role, content: m.content };
  });
}

function pick(o, keys) {
  const r = {};
  for (const k of keys) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

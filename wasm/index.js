// gemma-wasm: Gemma inference in WebAssembly (SIMD128; threads where the page
// is cross-origin isolated). See README.md and index.d.ts.
export { GemmaEngine } from './js/engine.js';
export { GemmaWorker } from './js/worker.js';
export { GemmaError } from './js/errors.js';
export { threadsAvailable } from './js/env.js';
export { DEFAULT_CACHE_NAME, MAX_MODEL_BYTES, WASM_MEMORY_MAX, clearCache, isCached } from './js/source.js';

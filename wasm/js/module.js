// Loads one of the two builds: gemma-st (single-threaded) or gemma-mt
// (pthreads over Web Workers / worker_threads; needs SharedArrayBuffer).
import { GemmaError } from './errors.js';
import { isNode, threadsAvailable } from './env.js';

const DIST = new URL('../dist/', import.meta.url);

/** The variant 'auto' picks: 'mt' where threads are available, else 'st'. */
export function chooseVariant(requested) {
  if (requested === 'st') return 'st';
  if (requested === 'mt') {
    if (!threadsAvailable()) {
      throw new GemmaError(
        'threads_unavailable',
        "variant 'mt' needs SharedArrayBuffer: serve the page with the headers " +
          "'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp' " +
          "(or use variant 'st')",
      );
    }
    return 'mt';
  }
  return threadsAvailable() ? 'mt' : 'st';
}

export async function hardwareThreads() {
  if (isNode) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return (typeof navigator === 'object' && navigator && navigator.hardwareConcurrency) || 4;
}

/**
 * Instantiates the Emscripten module. `threads` (mt only) is how many threads
 * the engine uses.
 */
export async function loadModule(variant, threads, wasmBase) {
  const base = wasmBase ? new URL(String(wasmBase), typeof location === 'object' ? location.href : undefined) : DIST;
  const jsUrl = new URL(`gemma-${variant}.mjs`, base);
  let factory;
  try {
    factory = (await import(/* webpackIgnore: true */ jsUrl.href)).default;
  } catch (e) {
    throw new GemmaError('not_found', `cannot load ${jsUrl.href}: ${e && e.message ? e.message : e} (was the package built? run wasm/build.sh)`);
  }
  const errors = [];
  const init = {
    print: () => {},
    printErr: (s) => {
      errors.push(s);
      if (errors.length > 20) errors.shift();
    },
    onAbort: (what) => errors.push(String(what)),
  };
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    init.wasmBinary = await readFile(fileURLToPath(new URL(`gemma-${variant}.wasm`, base)));
    init.locateFile = (p) => fileURLToPath(new URL(p, base));
  } else {
    init.locateFile = (p) => new URL(p, base).href;
  }
  if (variant === 'mt') {
    // Workers are started up front (a pthread created later would need this
    // thread's event loop while it blocks): threads - 1 for the session's
    // engine and as many again for the temporary engine of logits() and
    // benchmark(). Threads return to the pool when an engine is freed.
    init.gwPoolSize = Math.max(2, 2 * (threads - 1));
    init.mainScriptUrlOrBlob = jsUrl.href;
  }
  let M;
  try {
    M = await factory(init);
  } catch (e) {
    throw new GemmaError('internal', `cannot start the WebAssembly module: ${e && e.message ? e.message : e} ${errors.join(' ')}`);
  }
  M.gwErrors = errors;
  if (M._gw_threads_enabled() !== (variant === 'mt' ? 1 : 0)) {
    throw new GemmaError('internal', `gemma-${variant}.wasm is not the ${variant} build`);
  }
  return M;
}

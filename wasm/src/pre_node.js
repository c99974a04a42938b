// Prepended (--extern-pre-js) to gemma-st.mjs / gemma-mt.mjs. Emscripten
// 3.1.6's Node.js code expects CommonJS's require and __dirname, which an ES
// module does not have; provide them only when running under Node.js.
const gwIsNode = typeof process == 'object' && typeof process.versions == 'object' &&
    typeof process.versions.node == 'string';
const require = gwIsNode ? (await import(/* webpackIgnore: true */ 'module')).createRequire(import.meta.url) : undefined;
const __dirname = gwIsNode ? require('path').dirname(require('url').fileURLToPath(import.meta.url)) : '';

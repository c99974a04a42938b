// Where we run: Node.js or a browser (page or worker).
export const isNode =
  typeof process === 'object' && typeof process.versions === 'object' && typeof process.versions.node === 'string';

/** Threads need SharedArrayBuffer: Node.js, or a cross-origin isolated page (COOP + COEP headers). */
export function threadsAvailable() {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  return isNode || globalThis.crossOriginIsolated === true;
}

/** Lets the event loop run (pending messages, abort(), UI updates), then resolves. */
export const yieldToEventLoop = (() => {
  if (isNode && typeof setImmediate === 'function') return (cb) => setImmediate(cb);
  if (typeof MessageChannel === 'function') {
    const channel = new MessageChannel();
    const queue = [];
    channel.port1.onmessage = () => {
      const cb = queue.shift();
      if (cb) cb();
    };
    return (cb) => {
      queue.push(cb);
      channel.port2.postMessage(0);
    };
  }
  return (cb) => setTimeout(cb, 0);
})();

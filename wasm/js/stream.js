// An async iterator of text deltas over a producer that pushes them, with
// the final response as `.response`. Leaving a for-await loop early (break,
// throw) aborts the generation.
export function makeStream(produce, abort) {
  const queue = [];
  let waiter = null;
  let finished = false;
  let failure = null;
  const wake = () => {
    if (!waiter) return;
    const w = waiter;
    waiter = null;
    if (queue.length) w.resolve({ value: queue.shift(), done: false });
    else if (failure) w.reject(failure);
    else w.resolve({ value: undefined, done: true });
  };
  const response = produce((delta) => {
    queue.push(delta);
    wake();
  });
  response.then(
    () => {
      finished = true;
      wake();
    },
    (e) => {
      finished = true;
      failure = e;
      wake();
    },
  );
  const iterator = {
    response,
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
      if (finished) return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    async return() {
      if (!finished) abort();
      await response.catch(() => {});
      queue.length = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  response.catch(() => {});  // the iterator or .response reports it
  return iterator;
}

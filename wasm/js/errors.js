// GemmaError: every failure of gemma-wasm, with a stable `code`.
const STATUS_NAMES = {
  InvalidArgument: 'invalid_argument',
  NotFound: 'not_found',
  IoError: 'io_error',
  CorruptData: 'corrupt_data',
  Unsupported: 'unsupported',
  OutOfRange: 'out_of_range',
  ResourceExhausted: 'resource_exhausted',
  Cancelled: 'cancelled',
  Internal: 'internal',
};

export class GemmaError extends Error {
  /**
   * @param {string} code e.g. 'invalid_argument', 'corrupt_data', 'model_too_large'
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'GemmaError';
    this.code = code;
  }

  /** Turns the engine's "CorruptData: file: ..." text into a GemmaError. */
  static fromStatus(text) {
    const m = /^([A-Za-z]+): ([\s\S]*)$/.exec(text || '');
    if (m && STATUS_NAMES[m[1]]) return new GemmaError(STATUS_NAMES[m[1]], m[2]);
    return new GemmaError('internal', text || 'unknown error');
  }

  /** A plain object that survives postMessage. */
  toJSON() {
    return { name: 'GemmaError', code: this.code, message: this.message };
  }

  static fromJSON(o) {
    return new GemmaError(o && o.code ? o.code : 'internal', o && o.message ? o.message : String(o));
  }
}

export function invalid(message) {
  return new GemmaError('invalid_argument', message);
}

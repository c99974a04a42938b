// Type definitions for gemma-wasm (hand-written; checked with tsc --strict
// by tests/types.test.mjs).

/** Where a model comes from: a URL (or a file path in Node.js), its bytes, or a Blob / File. */
export type ModelSource = string | URL | ArrayBuffer | ArrayBufferView | Blob;

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'io_error'
  | 'corrupt_data'
  | 'unsupported'
  | 'out_of_range'
  | 'resource_exhausted'
  | 'cancelled'
  | 'internal'
  | 'model_too_large'
  | 'threads_unavailable'
  | 'not_initialized'
  | 'disposed';

/** Every failure is a GemmaError with a stable code. */
export class GemmaError extends Error {
  constructor(code: ErrorCode | string, message: string);
  readonly name: 'GemmaError';
  readonly code: ErrorCode;
  toJSON(): { name: 'GemmaError'; code: ErrorCode; message: string };
  static fromJSON(o: { code?: string; message?: string }): GemmaError;
}

export interface LoadProgress {
  /** 'wasm': starting the module; 'download' / 'cache': model bytes arriving; 'init': parsing; 'ready'. */
  phase: 'wasm' | 'download' | 'cache' | 'init' | 'ready';
  loaded: number;
  /** null when the size is not known (no Content-Length). */
  total: number | null;
  /** loaded / total, or null. */
  fraction: number | null;
}

export interface SamplingOptions {
  /** 0 = greedy (default). */
  temperature?: number;
  /** 0 = off (default). */
  top_k?: number;
  /** In (0, 1]; 1 = off (default). */
  top_p?: number;
  /** In [0, 1]; 0 = off (default). */
  min_p?: number;
  /** Same seed and prompt give the same text as the native `gemma run --seed`. Default 0. */
  seed?: number | bigint;
  /** > 0; 1 = off (default). */
  repetition_penalty?: number;
  /** In [-2, 2], OpenAI semantics. */
  presence_penalty?: number;
  /** In [-2, 2], OpenAI semantics. */
  frequency_penalty?: number;
  /** Tokens the penalties look back on; -1 = all. Default 64. */
  penalty_last_n?: number;
  /** Stop strings (not included in the text); at most 16. */
  stop?: string | string[];
  /** Stop at <eos> / <end_of_turn> (default true). */
  stop_at_eos?: boolean;
}

export interface EngineOptions {
  /** The model (GGUF). `model` is an alias. */
  model_path?: ModelSource;
  model?: ModelSource;
  /** Name used in messages and info (default: from the URL or file name). */
  model_name?: string;
  /** Default number of new tokens for generate() (default 256). */
  max_tokens?: number;
  /** Threads of the 'mt' variant; 'auto' = min(hardware threads, 8). */
  threads?: number | 'auto';
  /** 'st' single-threaded, 'mt' threads (needs cross-origin isolation), 'auto' (default): 'mt' where possible. */
  variant?: 'auto' | 'st' | 'mt';
  /** Context length in tokens (default min(model's, 4096)). */
  context_length?: number;
  /** KV cache element type (default 'f32'; 'f16' halves its memory). */
  kv_cache?: 'f32' | 'f16';
  /** Tokens per prefill forward pass (default 512). */
  max_batch_tokens?: number;
  /** Keep downloaded models in the Cache API: true (default), false, or a cache name. */
  cache?: boolean | string;
  onProgress?: (progress: LoadProgress) => void;
  /** Where gemma-st.mjs / gemma-mt.mjs and their .wasm are (default: the package's dist/). */
  wasm_base?: string | URL;
  /** Passed to fetch() for a model URL (headers, credentials...). */
  fetch_options?: RequestInit;
  /** Default sampling for every generate(). */
  sampling?: SamplingOptions;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'model';
  content: string;
}

interface GenerateCommon extends SamplingOptions {
  /** New tokens at most (default: the engine's max_tokens). */
  max_tokens?: number;
  /** Prepend <bos> (default true). */
  add_bos?: boolean;
  /** Reuse the KV cache for the prefix shared with the previous call (default true). */
  cache_prompt?: boolean;
  /** Aborts this generation, like abort(). */
  signal?: AbortSignal;
  /** Called with each text delta as it is generated. */
  onToken?: (delta: string) => void;
}

/** Exactly one of prompt, messages or tokens. */
export type GenerateOptions =
  | (GenerateCommon & {
      /** Raw text (as `gemma run -p`); with chat: true it becomes one user message. */
      prompt: string;
      chat?: boolean;
      messages?: undefined;
      tokens?: undefined;
    })
  | (GenerateCommon & {
      /** Rendered with the Gemma chat template, ending with the model's turn. */
      messages: ChatMessage[];
      prompt?: undefined;
      chat?: undefined;
      tokens?: undefined;
    })
  | (GenerateCommon & {
      tokens: number[];
      prompt?: undefined;
      chat?: undefined;
      messages?: undefined;
    });

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface GenerateResponse {
  text: string;
  tokens: number[];
  finish_reason: FinishReason;
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens: number };
  timings: {
    prefill_seconds: number;
    decode_seconds: number;
    prefill_tokens_per_second: number | null;
    decode_tokens_per_second: number | null;
  };
}

/** Text deltas as they are generated; leaving the loop early aborts the generation. */
export interface GenerateStream extends AsyncIterableIterator<string> {
  /** The whole response once generation ends. */
  readonly response: Promise<GenerateResponse>;
}

export interface ModelInfo {
  name: string;
  architecture: 'gemma' | 'gemma2' | 'gemma3' | string;
  n_vocab: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  head_dim: number;
  ffn_dim: number;
  /** The model's trained context (from the file). */
  model_context_length: number;
  sliding_window: number;
  weight_bytes: number;
  n_params: number;
  bos_id: number;
  eos_id: number;
  end_of_turn_id: number;
  /** Threads the engine runs (1 for 'st'). */
  threads: number;
  /** The engine's context length in tokens. */
  context_length: number;
  max_batch_tokens: number;
  kv_cache_bytes: number;
  context_tokens: number;
  /** Highway target, 'WASM' (SIMD128). */
  simd_target: string;
  /** Which build runs: 'st' or 'mt'. */
  variant: 'st' | 'mt';
  model_bytes: number;
  max_model_bytes: number;
}

export interface TokenizeOptions {
  add_bos?: boolean;
  /** Match special-token text such as "<start_of_turn>" (default false). */
  parse_special?: boolean;
}

export interface LogitsResult {
  n_vocab: number;
  tokens: number[];
  /** tokens.length rows of n_vocab logits (row-major). */
  logits: Float32Array;
  /** Greedy tokens, one at a time through the KV cache (ties to the lowest id). */
  generated: number[];
  /** The row that chose each generated token. */
  generated_logits: Float32Array;
}

export interface BenchmarkOptions {
  n_prompt?: number;
  n_gen?: number;
  repetitions?: number;
}

export interface BenchmarkResult {
  variant: 'st' | 'mt';
  threads: number;
  simd_target: string;
  n_prompt: number;
  n_gen: number;
  pp_tps: number[];
  tg_tps: number[];
  prefill_tokens_per_second: number | null;
  decode_tokens_per_second: number | null;
}

/** The API GemmaEngine and GemmaWorker share. */
export interface GemmaApi {
  /** Null until initialize() resolves. */
  readonly info: ModelInfo | null;
  /** Loads the WebAssembly module and the model, creates the session. Idempotent. */
  initialize(): Promise<ModelInfo>;
  generate(options: GenerateOptions | string): Promise<GenerateResponse>;
  generateStream(options: GenerateOptions | string): GenerateStream;
  /** Stops the running generation (it resolves with finish_reason 'cancelled') or a model still loading. */
  abort(): void;
  /** Forgets the conversation kept in the KV cache. */
  reset(): Promise<void>;
  tokenize(text: string, options?: TokenizeOptions): Promise<number[]>;
  detokenize(ids: number[] | Int32Array, options?: { skip_special?: boolean }): Promise<string>;
  applyChatTemplate(messages: ChatMessage[], options?: { add_generation_prompt?: boolean }): Promise<string>;
  logits(tokens: number[], options?: { generate?: number; kv_cache?: 'f32' | 'f16' }): Promise<LogitsResult>;
  benchmark(options?: BenchmarkOptions): Promise<BenchmarkResult>;
  /** Frees everything; later calls fail with code 'disposed'. */
  dispose(): Promise<void>;
}

/** The engine on the calling thread. Its methods: GemmaApi (merged below). */
export class GemmaEngine {
  constructor(options: EngineOptions);
  static readonly MAX_MODEL_BYTES: number;
  static isCached(url: string, cacheName?: string): Promise<boolean>;
  static clearCache(cacheName?: string): Promise<boolean>;
}
export interface GemmaEngine extends GemmaApi {}

/**
 * The same API with the engine in a Web Worker (a worker thread in Node.js).
 * An ArrayBuffer model source is transferred to the worker (detached here).
 */
export class GemmaWorker {
  constructor(options: EngineOptions);
  static readonly MAX_MODEL_BYTES: number;
}
export interface GemmaWorker extends GemmaApi {}

/** Whether the 'mt' variant can run here (SharedArrayBuffer available). */
export function threadsAvailable(): boolean;
/** The Cache API cache that keeps downloaded models ('gemma-wasm-models'). */
export const DEFAULT_CACHE_NAME: string;
/** Largest model file admitted: 4 GiB wasm32 memory minus a reserve for the runtime. */
export const MAX_MODEL_BYTES: number;
export const WASM_MEMORY_MAX: number;
export function isCached(url: string, cacheName?: string): Promise<boolean>;
export function clearCache(cacheName?: string): Promise<boolean>;

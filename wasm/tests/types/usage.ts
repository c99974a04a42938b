// Compiled with tsc --strict by tests/types.test.mjs: the hand-written
// index.d.ts must type the documented usage, and reject misuse.
import {
  GemmaEngine,
  GemmaError,
  GemmaWorker,
  MAX_MODEL_BYTES,
  threadsAvailable,
  type BenchmarkResult,
  type ChatMessage,
  type GemmaApi,
  type GenerateResponse,
  type LoadProgress,
  type ModelInfo,
} from 'gemma-wasm';

async function seedUsage(model_path: string): Promise<string> {
  const engine = new GemmaEngine({ model_path, max_tokens: 128 });
  await engine.initialize();
  const response = await engine.generate({ prompt: 'Why is the sky blue?', max_tokens: 64 });
  return response.text;
}

async function everything(file: File, buffer: ArrayBuffer): Promise<void> {
  const onProgress = (p: LoadProgress): void => {
    const f: number | null = p.fraction;
    void f;
  };
  const engines: GemmaApi[] = [
    new GemmaEngine({ model_path: new URL('https://example.com/m.gguf'), variant: 'st', cache: true, onProgress }),
    new GemmaWorker({ model: file, threads: 4, kv_cache: 'f16', context_length: 2048 }),
    new GemmaWorker({ model_path: buffer, variant: 'auto', sampling: { temperature: 0.7, seed: 1n } }),
  ];
  for (const e of engines) {
    const info: ModelInfo = await e.initialize();
    const variant: 'st' | 'mt' = info.variant;
    void variant;
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ];
    const stream = e.generateStream({ messages, temperature: 0.8, top_k: 40, top_p: 0.95, min_p: 0.05, seed: 42, stop: ['\n\n'] });
    let text = '';
    for await (const delta of stream) text += delta;
    const r: GenerateResponse = await stream.response;
    const reason: 'stop' | 'length' | 'cancelled' = r.finish_reason;
    void reason;
    void text;
    const ac = new AbortController();
    await e.generate({ tokens: [2, 3], signal: ac.signal, onToken: (d: string) => void d, repetition_penalty: 1.1 });
    await e.generate('plain prompt');
    e.abort();
    const ids: number[] = await e.tokenize('hello', { add_bos: true, parse_special: false });
    const back: string = await e.detokenize(ids, { skip_special: true });
    void back;
    const l = await e.logits(ids, { generate: 2 });
    const row: Float32Array = l.logits;
    void row;
    const b: BenchmarkResult = await e.benchmark({ n_prompt: 16, n_gen: 8 });
    void b.decode_tokens_per_second;
    await e.reset();
    await e.dispose();
  }
  try {
    await seedUsage('m.gguf');
  } catch (err) {
    if (err instanceof GemmaError && err.code === 'model_too_large') console.log(err.message, MAX_MODEL_BYTES);
  }
  void threadsAvailable();
  void GemmaEngine.MAX_MODEL_BYTES;
  await GemmaEngine.clearCache();
}

// Misuse the types must reject.
function misuse(e: GemmaEngine): void {
  // @ts-expect-error unknown variant
  new GemmaEngine({ model_path: 'm.gguf', variant: 'gpu' });
  // @ts-expect-error prompt and messages together
  void e.generate({ prompt: 'x', messages: [{ role: 'user', content: 'y' }] });
  // @ts-expect-error bad role
  void e.generate({ messages: [{ role: 'robot', content: 'y' }] });
  // @ts-expect-error temperature is a number
  void e.generate({ prompt: 'x', temperature: 'hot' });
  // @ts-expect-error no input
  void e.generate({ max_tokens: 3 });
}

void everything;
void misuse;

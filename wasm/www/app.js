// The demo page: load a model (URL or local file) into a GemmaWorker, chat
// with streamed output, show tokens/s. Query parameters (used by the browser
// test): model, variant, autoload=1, temperature, seed, max_tokens, cache=0.
import { GemmaWorker } from '../index.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let engine = null;
let history = [];
let busy = false;
// For tests and the curious: the loading phases seen, the last response.
window.gemmaDemo = { phases: [], lastResponse: null };

function status(text) {
  $('status').textContent = text;
}

function addMessage(role, text = '') {
  const div = document.createElement('div');
  div.className = `msg ${role}`;
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = role === 'user' ? 'You' : role === 'model' ? 'Gemma' : 'Error';
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  div.append(who, body);
  $('messages').append(div);
  $('messages').scrollTop = $('messages').scrollHeight;
  return body;
}

function setReady(ready) {
  for (const id of ['prompt', 'send', 'clear']) $(id).disabled = !ready || busy;
  $('stop').disabled = !busy;
}

function mb(n) {
  return `${(n / 1e6).toFixed(1)} MB`;
}

async function load() {
  const file = $('model-file').files[0];
  const url = $('model-url').value.trim();
  if (!file && !url) {
    status('Enter a model URL or choose a file.');
    return;
  }
  if (engine) await engine.dispose();
  engine = null;
  history = [];
  $('messages').textContent = '';
  setReady(false);
  $('load').disabled = true;
  $('progress').removeAttribute('value');
  document.body.dataset.state = 'loading';
  window.gemmaDemo.phases = [];
  const started = performance.now();
  try {
    engine = new GemmaWorker({
      model_path: file || url,
      variant: $('variant').value,
      cache: $('cache').checked,
      onProgress: (p) => {
        if (window.gemmaDemo.phases.at(-1) !== p.phase) window.gemmaDemo.phases.push(p.phase);
        if (p.fraction !== null) $('progress').value = p.fraction;
        else $('progress').removeAttribute('value');
        const size = p.total ? ` of ${mb(p.total)}` : '';
        status(`${p.phase}: ${mb(p.loaded)}${size}`);
      },
    });
    const info = await engine.initialize();
    $('progress').value = 1;
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    status(`Loaded ${info.name || 'model'} (${info.architecture}, ${mb(info.model_bytes)}) in ${secs} s.`);
    $('runtime').textContent = `${info.variant === 'mt' ? `${info.threads} threads` : 'single-threaded'} · ${info.simd_target} · context ${info.context_length}`;
    document.body.dataset.state = 'ready';
    setReady(true);
  } catch (e) {
    document.body.dataset.state = 'error';
    status(`${e.code || 'error'}: ${e.message}`);
    engine = null;
  } finally {
    $('load').disabled = false;
  }
}

async function send(text) {
  if (!engine || busy || !text.trim()) return;
  busy = true;
  setReady(true);
  document.body.dataset.state = 'generating';
  history.push({ role: 'user', content: text });
  addMessage('user', text);
  const out = addMessage('model');
  out.parentElement.id = 'last-reply';
  const stream = engine.generateStream({
    messages: history,
    temperature: Number($('temperature').value),
    seed: Number($('seed').value),
    max_tokens: Number($('max-tokens').value),
  });
  try {
    for await (const delta of stream) {
      out.textContent += delta;
      $('messages').scrollTop = $('messages').scrollHeight;
    }
    const r = await stream.response;
    window.gemmaDemo.lastResponse = r;
    history.push({ role: 'model', content: r.text });
    const tps = r.timings.decode_tokens_per_second;
    const pps = r.timings.prefill_tokens_per_second;
    $('speed').textContent =
      `${r.usage.completion_tokens} tokens · ${tps ? tps.toFixed(1) : '–'} tokens/s decode · ` +
      `${pps ? pps.toFixed(0) : '–'} tokens/s prefill (${r.usage.prompt_tokens} prompt, ${r.usage.cached_tokens} cached) · ${r.finish_reason}`;
    out.parentElement.dataset.finish = r.finish_reason;
  } catch (e) {
    history.pop();
    addMessage('error', `${e.code || 'error'}: ${e.message}`);
  } finally {
    busy = false;
    document.body.dataset.state = 'ready';
    setReady(true);
  }
}

$('load').addEventListener('click', load);
$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('prompt').value;
  $('prompt').value = '';
  send(text);
});
$('prompt').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
});
$('stop').addEventListener('click', () => engine && engine.abort());
$('clear').addEventListener('click', async () => {
  history = [];
  $('messages').textContent = '';
  if (engine) await engine.reset();
});

for (const [param, id] of [['model', 'model-url'], ['temperature', 'temperature'], ['seed', 'seed'], ['max_tokens', 'max-tokens'], ['variant', 'variant']]) {
  if (params.has(param)) $(id).value = params.get(param);
}
if (params.get('cache') === '0') $('cache').checked = false;
if (params.get('autoload') === '1') load();

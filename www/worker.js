// The engine's thread: loads the wasm build and opens the dataset, posting progress to the page.
import init, { Lens } from './pkg/cohortlens.js';

let controller = null;
let lens = null;

// A rejection nothing awaits (a wasm trap inside a promise callback, say, which would leave
// Lens.open's promise pending): report it instead of leaving the page loading forever. A trap
// in a plain task reaches the page as the worker's `error` event.
self.addEventListener('unhandledrejection', (event) => {
  const message = event.reason?.message ?? String(event.reason);
  const trap = event.reason instanceof WebAssembly.RuntimeError || /unreachable|out of memory/i.test(message);
  self.postMessage({
    type: 'error',
    code: trap ? 'out_of_memory' : 'internal',
    message: trap
      ? `The engine stopped (${message}), most likely out of memory: the dataset needs more memory than the browser gives WebAssembly (4 GiB). Load fewer tables or a smaller dataset.`
      : `The engine failed (${message}). Reload the page; if it persists, rebuild with ./scripts/start.`,
  });
});

self.onmessage = async ({ data }) => {
  if (data.type === 'cancel') {
    controller?.abort();
    return;
  }
  if (data.type !== 'open') return;
  controller = new AbortController();
  try {
    await init();
    const started = performance.now();
    lens = await Lens.open(data.baseUrl, {
      tables: data.tables,
      signal: controller.signal,
      onProgress: (p) => self.postMessage({ type: 'progress', ...p }),
    });
    self.postMessage({ type: 'ready', tables: lens.tables(), ms: performance.now() - started });
  } catch (e) {
    self.postMessage({ type: 'error', code: e?.code ?? 'internal', message: e?.message ?? String(e) });
  }
};

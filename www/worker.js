// The engine's thread: loads the wasm build and opens the dataset, posting progress to the page.
import init, { Lens } from './pkg/cohortlens.js';

let controller = null;
let lens = null;

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

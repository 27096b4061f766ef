// A stand-in for the notebook's client, for the standalone page and its tests: the interface the
// builder expects (`policy`, `preview`, `count`, `searchConcepts`, `catalog`), each call answered
// by the wasm engine in a module Worker (lens-worker.js), never on the page's thread.

/**
 * Opens the dataset served at `baseUrl` in a worker.
 * @param {string} baseUrl e.g. `location.origin`
 * @param {{policy?: string, tables?: string[], onProgress?: (p: object) => void}} options
 */
export async function openLens(baseUrl, { policy, tables, onProgress } = {}) {
  const worker = new Worker(new URL('./lens-worker.js', import.meta.url), { type: 'module' });
  const pending = new Map();
  let next = 0;
  worker.onmessage = ({ data }) => {
    if (data.progress) return onProgress?.(data.progress);
    const call = pending.get(data.id);
    pending.delete(data.id);
    if (!data.error) return call.resolve(data.value);
    const { message, code, errors } = data.error;
    call.reject(Object.assign(new Error(message), { code }, errors ? { errors } : {}));
  };
  worker.onerror = (event) => {
    const error = Object.assign(new Error(`the engine stopped: ${event.message}`), { code: 'internal' });
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };
  const call = (method, ...args) => new Promise((resolve, reject) => {
    const id = next++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, method, args });
  });
  const base = baseUrl.replace(/\/$/, '');
  const opened = await call('open', base, { policy, tables });
  return {
    policy: opened.policy,
    preview: (definition) => call('preview', definition),
    count: (definition) => call('count', definition),
    searchConcepts: (query, options = {}) => call('searchConcepts', query, options),
    catalog: async () => (await fetch(`${base}/api/v1/catalog`)).json(),
    close: () => worker.terminate(),
  };
}

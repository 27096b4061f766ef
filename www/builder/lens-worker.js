// The engine's thread for the standalone builder page: the wasm `Lens` answers requests posted
// by lens-adapter.js. Counts leave as the engine disclosed them (`value` renamed `shown`, the
// name the notebook's client uses).
import init, { Lens } from '../pkg/cohortlens.js';

let lens = null;

/** A disclosed count `{value, label, policy}` as `{shown, label, policy}`, at any depth. */
function renamed(x) {
  if (Array.isArray(x)) return x.map(renamed);
  if (x === null || typeof x !== 'object') return x;
  const keys = Object.keys(x);
  if (keys.length === 3 && 'value' in x && 'label' in x && 'policy' in x) {
    return { shown: x.value, label: x.label, policy: x.policy };
  }
  return Object.fromEntries(keys.map((k) => [k, renamed(x[k])]));
}

const methods = {
  async open(baseUrl, options) {
    await init();
    lens = await Lens.open(baseUrl, {
      ...options,
      onProgress: (p) => self.postMessage({ progress: p }),
    });
    return { policy: lens.policy };
  },
  preview(definition) {
    const cohort = lens.cohort(definition);
    try { return renamed(cohort.preview()); } finally { cohort.free(); }
  },
  count(definition) {
    const cohort = lens.cohort(definition);
    try { return renamed(cohort.count()); } finally { cohort.free(); }
  },
  searchConcepts(query, options) {
    return renamed(lens.searchConcepts(query, options));
  },
};

self.onmessage = async ({ data: { id, method, args } }) => {
  try {
    if (method !== 'open' && !lens) throw Object.assign(new Error('the dataset is not loaded yet'), { code: 'not_ready' });
    const value = await methods[method](...args);
    self.postMessage({ id, value });
  } catch (e) {
    self.postMessage({
      id,
      error: { message: e?.message ?? String(e), code: e?.code ?? 'internal', errors: e?.errors },
    });
  }
};

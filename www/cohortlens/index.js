// The typed JavaScript client of cohortlens: `open(baseUrl, options)` starts the wasm engine in a
// dedicated module Worker (Comlink for the calls) and resolves, once every table has loaded, to
// a lens whose methods return promises. Declarations: index.d.ts; guide: docs/notebook.md.
import * as Comlink from '../vendor/comlink.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** An `Error` with the engine's `code` (and `errors` of an invalid definition). */
function engineError(e) {
  if (e instanceof Error && e.code) return e;
  const error = new Error(e?.message ?? String(e));
  error.code = e?.code ?? 'internal';
  if (e?.errors) error.errors = e.errors;
  return error;
}

/** The headers of a request with the bearer token, if any. */
function authHeaders(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * The real cause of a network failure reaching `base` from a page of another origin: when the
 * server answers a `no-cors` request (an opaque response), it is running and the browser refused
 * its answer to this origin, so the error says that and how to allow it (code `cross_origin`).
 * Otherwise (same origin, or no answer at all) `error` as it was.
 */
async function crossOriginCause(base, error) {
  const origin = globalThis.location?.origin;
  if (!origin || origin === 'null' || new URL(base).origin === origin) return error;
  try {
    await fetch(new URL('api/v1/catalog', base), { mode: 'no-cors', cache: 'no-store' });
  } catch {
    return error;
  }
  return Object.assign(new Error(`the cohortlens server at ${base} is running but does not allow pages of ${origin} to read it (CORS); start it with: cohortlens serve --allow-origin ${origin}`), { code: 'cross_origin' });
}

/**
 * Reads `GET /api/v1/catalog` of the dataset at `baseUrl`: `{dataset, tables}`. Rejects with an
 * `Error` whose `code` is `unauthorized` (HTTP 401/403), `http` or `network`.
 */
export async function fetchCatalog(baseUrl, { token, signal } = {}) {
  let response;
  try {
    response = await fetch(new URL('api/v1/catalog', withSlash(baseUrl)), { headers: authHeaders(token), signal });
  } catch (e) {
    if (signal?.aborted) throw Object.assign(new Error('loading was cancelled'), { code: 'cancelled' });
    throw await crossOriginCause(withSlash(baseUrl), Object.assign(new Error(`cannot reach the server at ${baseUrl} (${e.message}); is cohortlens serve running?`), { code: 'network' }));
  }
  if (!response.ok) {
    let detail = '';
    try { detail = (await response.json())?.error?.message ?? ''; } catch { /* not JSON */ }
    const unauthorized = response.status === 401 || response.status === 403;
    throw Object.assign(new Error(unauthorized
      ? `the server refused the catalog (HTTP ${response.status}${detail ? `: ${detail}` : ''}); sign in with a valid token`
      : `the server answered HTTP ${response.status}${detail ? `: ${detail}` : ''} for the catalog`), { code: unauthorized ? 'unauthorized' : 'http', status: response.status });
  }
  return response.json();
}

function withSlash(url) {
  const u = new URL(url, typeof location === 'undefined' ? undefined : location.href);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

let canvasIds = 0;

/**
 * Opens the dataset served at `baseUrl` in a new engine worker. `options`: `{tables, columns,
 * policy, token, mode, onProgress, signal}` (see index.d.ts). Resolves to the lens once every table
 * has loaded; rejects with an `Error` carrying `code` (`cancelled` when `signal` aborts,
 * `out_of_memory` when the engine traps, the engine's own codes otherwise).
 */
export async function open(baseUrl, options = {}) {
  const { tables, columns, policy, token, mode, onProgress, signal } = options;
  const base = withSlash(baseUrl);
  if (signal?.aborted) throw Object.assign(new Error('loading was cancelled'), { code: 'cancelled' });
  const worker = new Worker(WORKER_URL, { type: 'module', name: 'cohortlens engine' });
  const remote = Comlink.wrap(worker);

  // The worker's own failure (the module did not load, or the wasm trapped, e.g. out of memory)
  // rejects every pending call instead of leaving it pending forever.
  let fail;
  const fatal = new Promise((_, reject) => { fail = reject; });
  fatal.catch(() => {});
  let dead = null;
  const die = (error) => {
    if (dead) return;
    dead = error;
    fail(error);
  };
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    const detail = e.message || 'the worker failed';
    die(/unreachable|memory/i.test(detail)
      ? Object.assign(new Error(`The engine stopped (${detail}), most likely out of memory: WebAssembly may use at most 4 GiB. Load fewer tables or a smaller dataset.`), { code: 'out_of_memory' })
      : Object.assign(new Error(`The engine could not start (${detail}). Reload the page; if it persists, rebuild with ./scripts/start.`), { code: 'internal' }));
  });
  worker.addEventListener('message', ({ data }) => {
    if (data?.type === 'cohortlens-fatal') die(Object.assign(new Error(data.message), { code: data.code }));
  });

  /** Calls the worker, racing its death; errors become `Error`s with `code`. */
  const call = async (method, ...args) => {
    if (dead) throw dead;
    try {
      return await Promise.race([remote[method](...args), fatal]);
    } catch (e) {
      throw engineError(e);
    }
  };

  const abort = () => remote.cancel().catch(() => {});
  signal?.addEventListener('abort', abort, { once: true });
  let opened;
  try {
    // Comlink proxies only top-level arguments: the callback goes on its own.
    opened = await call('open', base, { tables, columns, policy, token, mode }, onProgress ? Comlink.proxy((p) => onProgress(p)) : undefined);
  } catch (e) {
    worker.terminate();
    throw e.code === 'network' ? await crossOriginCause(base, e) : e;
  } finally {
    signal?.removeEventListener('abort', abort);
  }

  const canvasId = new WeakMap();
  const lens = {
    /** The disclosure policy of every count: 'aou', 'suppress' or 'perturbed'. */
    policy: opened.policy,
    /** Where cohorts are computed: 'full' (in the browser) or 'server' (docs/scaling.md). */
    mode: opened.mode,
    /** The dataset's catalog (`GET /api/v1/catalog`). */
    catalog: () => fetchCatalog(base, { token }),
    tables: () => call('tables'),
    count: (definition) => call('count', definition),
    preview: (definition) => call('preview', definition),
    statistics: (definition, request, format) => call('statistics', definition, request, format),
    conceptStatistics: (conceptId, request, format) => call('conceptStatistics', conceptId, request, format),
    searchConcepts: (query, { domain, limit } = {}) => call('searchConcepts', query, { domain, limit }),
    chartSvg: (spec) => call('chartSvg', spec),
    /**
     * Draws `spec` on `canvas` in the worker (its control moves to an OffscreenCanvas the first
     * time): as wide as the canvas's CSS box, as high as the chart needs (or `options.height`).
     * Sets the canvas's CSS height, `role="img"` and `aria-label`; resolves to the summary.
     */
    async chart(canvas, spec) {
      const ratio = globalThis.devicePixelRatio || 1;
      const width = spec?.options?.width ?? (canvas.clientWidth || canvas.width || 640);
      const height = spec?.options?.height;
      let id = canvasId.get(canvas);
      let offscreen = null;
      if (id === undefined) {
        id = ++canvasIds;
        offscreen = canvas.transferControlToOffscreen();
        canvasId.set(canvas, id);
      }
      const summary = await call('chart', id, offscreen ? Comlink.transfer(offscreen, [offscreen]) : null, spec, { width, height, ratio });
      canvas.style.height = `${summary.height}px`;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', summary.label);
      return summary;
    },
    /**
     * The picture `lens.chart` last drew on `canvas`, encoded in the worker (the page cannot
     * read a canvas whose control moved to the worker): a PNG `Blob` unless `type` says otherwise.
     */
    async chartImage(canvas, type = 'image/png') {
      const id = canvasId.get(canvas);
      if (id === undefined) throw Object.assign(new Error('nothing was drawn on this canvas; call lens.chart(canvas, spec) first'), { code: 'invalid_chart' });
      return call('chartImage', id, type);
    },
    /** Stops the worker and frees the engine; a call still pending rejects with code `closed`. */
    close() {
      die(Object.assign(new Error('this lens was closed; open the dataset again'), { code: 'closed' }));
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
  return lens;
}

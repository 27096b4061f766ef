// The engine's thread: the wasm build of cohortlens behind Comlink. Every engine call runs here,
// never on the page's main thread. Errors cross as plain objects {name, message, code, errors}
// (Comlink keeps only an Error's message), which the client turns back into `Error`s.
import * as Comlink from '../vendor/comlink.js';
import init, { Lens } from '../pkg/cohortlens.js';

// A rejection nothing awaits (a wasm trap inside a promise callback would leave Lens.open's
// promise pending): tell the page instead of leaving it loading forever. A trap in a plain task
// reaches the page as the worker's `error` event.
self.addEventListener('unhandledrejection', (event) => {
  const message = event.reason?.message ?? String(event.reason);
  const trap = event.reason instanceof WebAssembly.RuntimeError || /unreachable|out of memory/i.test(message);
  self.postMessage({
    type: 'cohortlens-fatal',
    code: trap ? 'out_of_memory' : 'internal',
    message: trap
      ? `The engine stopped (${message}), most likely out of memory: the dataset needs more memory than the browser gives WebAssembly (4 GiB). Load fewer tables or a smaller dataset.`
      : `The engine failed (${message}). Reload the page; if it persists, rebuild with ./scripts/start.`,
  });
});

/** The most cohorts kept evaluated (keyed by their definition's JSON). */
const COHORT_CACHE = 64;

let lens = null;
let controller = null;
const cohorts = new Map();
const canvases = new Map();

/** An engine error as a plain object Comlink can carry. */
function plain(e) {
  return { name: 'CohortlensError', message: e?.message ?? String(e), code: e?.code ?? 'internal', errors: e?.errors };
}

/** Runs `f`, rethrowing any error as a plain object. */
async function guard(f) {
  try {
    return await f();
  } catch (e) {
    throw plain(e);
  }
}

function ready() {
  if (!lens) throw { name: 'CohortlensError', code: 'not_open', message: 'the dataset is not loaded yet; wait for open() to finish' };
  return lens;
}

/**
 * The evaluated cohort of `definition` (a promise: in server mode the server computes it), from
 * the cache when the same JSON was asked before; a failed evaluation is not kept.
 */
function cohort(definition) {
  const key = JSON.stringify(definition);
  let hit = cohorts.get(key);
  if (hit) {
    cohorts.delete(key); // most recently used last
  } else {
    hit = ready().query(definition);
    hit.catch(() => cohorts.get(key) === hit && cohorts.delete(key));
    if (cohorts.size >= COHORT_CACHE) {
      const [oldest, evicted] = cohorts.entries().next().value;
      cohorts.delete(oldest);
      evicted.then((c) => c.free(), () => {});
    }
  }
  cohorts.set(key, hit);
  return hit;
}

/**
 * In server mode the engine holds no event, so a chart of a cohort's statistics is drawn from
 * the table the cohort (computed by the server) gives: the same numbers as full mode's.
 */
async function scoped(spec) {
  if (lens?.mode !== 'server' || !spec?.cohort || spec.data?.kind === undefined || spec.data.kind === 'preview') return spec;
  const { cohort: definition, ...rest } = spec;
  return { ...rest, data: (await cohort(definition)).statistics(spec.data) };
}

const api = {
  async open(baseUrl, { tables, columns, policy, token, mode } = {}, onProgress = undefined) {
    return guard(async () => {
      controller = new AbortController();
      await init();
      lens = await Lens.open(baseUrl, {
        tables, columns, policy, token, mode, signal: controller.signal,
        onProgress: onProgress ? (p) => onProgress(p) : undefined,
      });
      return { policy: lens.policy, mode: lens.mode, tables: lens.tables() };
    }).finally(() => onProgress?.[Comlink.releaseProxy]());
  },
  cancel() {
    controller?.abort();
  },
  tables: () => guard(() => ready().tables()),
  count: (definition) => guard(async () => (await cohort(definition)).count()),
  preview: (definition) => guard(async () => (await cohort(definition)).preview()),
  statistics: (definition, request, format) =>
    guard(async () => (await cohort(definition)).statistics(request, format ?? undefined)),
  conceptStatistics: (conceptId, request, format) =>
    guard(() => ready().conceptStatistics(conceptId, request, format ?? undefined)),
  searchConcepts: (query, options) => guard(() => ready().searchConcepts(query, options ?? {})),
  chartSvg: (spec) => guard(async () => ready().chartSvg(await scoped(spec))),
  /**
   * Draws `spec` on the canvas `id` (its OffscreenCanvas, sent the first time) at `width` CSS
   * pixels × `ratio`; the height is the chart's preferred one unless `height` is given.
   */
  chart(id, offscreen, spec, { width, height, ratio }) {
    return guard(async () => {
      if (offscreen) canvases.set(id, offscreen);
      spec = await scoped(spec);
      const canvas = canvases.get(id);
      if (!canvas) throw { code: 'invalid_chart', message: 'this canvas was closed; draw on a new <canvas>' };
      const options = { ...(spec.options ?? {}), pixelRatio: ratio };
      const draw = (h) => {
        canvas.width = Math.max(1, Math.round(width * ratio));
        canvas.height = Math.max(1, Math.round(h * ratio));
        return ready().chart(canvas, { ...spec, options });
      };
      let summary = draw(height ?? Math.round(width * 0.6));
      if (!height && summary.preferredHeight && Math.abs(summary.preferredHeight - summary.height) > 1) {
        summary = draw(summary.preferredHeight);
      }
      return summary;
    });
  },
  /** The canvas `id` as an encoded image (`type`, e.g. 'image/png'): a Blob. */
  chartImage(id, type) {
    return guard(() => {
      const canvas = canvases.get(id);
      if (!canvas) throw { code: 'invalid_chart', message: 'nothing was drawn on this canvas; call lens.chart(canvas, spec) first' };
      return canvas.convertToBlob({ type });
    });
  },
};

Comlink.expose(api);

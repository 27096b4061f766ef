// The standalone builder page: one builder on the dataset this server serves, through the
// cohortlens client (www/cohortlens/: the engine in a worker). `?policy=suppress` (or
// `perturbed`) picks how counts are disclosed; `#` + a URI-encoded request starts from it.
import { createCohortBuilder } from './builder.js';
import { open } from '../cohortlens/index.js';

const text = document.getElementById('loading-text');
const bar = document.getElementById('loading-progress');

async function main() {
  const policy = new URLSearchParams(location.search).get('policy') ?? 'aou';
  const token = sessionStorage.getItem('cohortlens.token') ?? undefined;
  const catalog = await (await fetch('api/v1/catalog', { headers: token ? { Authorization: `Bearer ${token}` } : {} })).json();
  const totalRows = catalog.tables.reduce((n, t) => n + (t.rows ?? 0), 0) || 1;
  const done = new Map();
  // One progress update per frame at most, however many chunks arrive.
  let frame = 0;
  const paint = () => {
    frame = 0;
    const rows = [...done.values()].reduce((a, b) => a + b, 0);
    bar.value = Math.min(1, rows / totalRows);
  };
  const lens = await open(new URL('.', location.href).href, {
    policy,
    token,
    onProgress: (p) => {
      done.set(p.table, p.rows);
      if (text.textContent !== `Loading ${p.table}…`) text.textContent = `Loading ${p.table}…`;
      frame ||= requestAnimationFrame(paint);
    },
  });
  cancelAnimationFrame(frame);
  let definition;
  if (location.hash.length > 1) definition = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const builder = createCohortBuilder({ lens, definition });
  document.getElementById('loading').remove();
  document.getElementById('main').append(builder.element);
  window.cohortBuilder = builder;
}

main().catch((e) => {
  document.getElementById('loading').hidden = true;
  const error = document.getElementById('load-error');
  error.textContent = `The dataset could not be loaded: ${e.message}. Check that the cohortlens server is running, then reload.`;
  error.hidden = false;
});

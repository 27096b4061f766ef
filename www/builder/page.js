// The standalone builder page: one builder on the dataset this server serves. `?policy=suppress`
// (or `perturbed`) picks how counts are disclosed; `#` + a URI-encoded request starts from it.
import { createCohortBuilder } from './builder.js';
import { openLens } from './lens-adapter.js';

const text = document.getElementById('loading-text');
const bar = document.getElementById('loading-progress');

async function main() {
  const policy = new URLSearchParams(location.search).get('policy') ?? 'aou';
  const catalog = await (await fetch('/api/v1/catalog')).json();
  const totalRows = catalog.tables.reduce((n, t) => n + (t.rows ?? 0), 0) || 1;
  const done = new Map();
  const lens = await openLens(location.origin, {
    policy,
    onProgress: (p) => {
      done.set(p.table, p.rows);
      const rows = [...done.values()].reduce((a, b) => a + b, 0);
      bar.value = Math.min(1, rows / totalRows);
      text.textContent = `Loading ${p.table}…`;
    },
  });
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

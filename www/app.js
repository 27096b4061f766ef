// The page: reads the catalog, starts the engine worker and shows load progress per table.
const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat('en-US');
const baseUrl = new URL('.', location.href).href;

let worker = null;
let catalog = null;
const loaded = new Map(); // table → rows decoded so far

function setState(state) {
  document.body.dataset.state = state;
  $('cancel').hidden = state !== 'loading';
  $('reload').hidden = state === 'loading';
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = false;
}

function renderTables() {
  const body = $('tables').tBodies[0];
  body.replaceChildren(...catalog.tables.map((t) => {
    const row = document.createElement('tr');
    row.dataset.table = t.name;
    row.innerHTML = '<th scope="row"></th><td class="num"></td><td class="status"></td>';
    row.cells[0].textContent = t.name;
    return row;
  }));
  updateRows();
}

function updateRows() {
  let done = 0;
  let total = 0;
  for (const t of catalog.tables) {
    const rows = loaded.get(t.name);
    const row = $('tables').querySelector(`tr[data-table="${t.name}"]`);
    row.cells[1].textContent = rows === undefined ? fmt.format(t.rows) : `${fmt.format(rows.rows)} / ${fmt.format(t.rows)}`;
    row.cells[2].textContent = rows === undefined ? 'waiting' : rows.done ? 'loaded' : 'loading…';
    row.dataset.status = rows === undefined ? 'waiting' : rows.done ? 'loaded' : 'loading';
    done += rows?.rows ?? 0;
    total += t.rows;
  }
  $('progress').max = Math.max(total, 1);
  $('progress').value = done;
  return { done, total };
}

let progressFrame = 0;

/** Shows the rows loaded so far, at most once per frame however often the worker reports. */
function showProgress(table) {
  cancelAnimationFrame(progressFrame);
  progressFrame = requestAnimationFrame(() => {
    const { done, total } = updateRows();
    $('progress-text').textContent = `${fmt.format(done)} of ${fmt.format(total)} rows · ${table}`;
  });
}

function start() {
  $('error').hidden = true;
  loaded.clear();
  renderTables();
  setState('loading');
  worker?.terminate();
  worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.type === 'progress') {
      loaded.set(data.table, data);
      showProgress(data.table);
    } else if (data.type === 'ready') {
      cancelAnimationFrame(progressFrame);
      updateRows();
      const rows = data.tables.reduce((n, t) => n + t.rows, 0);
      const mb = data.tables.reduce((n, t) => n + t.memoryBytes, 0) / 1e6;
      $('progress').value = $('progress').max;
      $('progress-text').textContent =
        `Loaded ${data.tables.length} tables, ${fmt.format(rows)} rows (${mb.toFixed(1)} MB) in ${(data.ms / 1000).toFixed(1)} s`;
      setState('ready');
    } else if (data.type === 'error') {
      cancelAnimationFrame(progressFrame);
      $('progress-text').textContent = data.code === 'cancelled' ? 'Cancelled.' : 'Loading failed.';
      if (data.code !== 'cancelled') showError(data.message);
      setState(data.code === 'cancelled' ? 'cancelled' : 'error');
    }
  };
  // An exception the worker did not catch: the wasm module failed to load, or it trapped
  // mid-load (in practice: it needed more than the 4 GiB WebAssembly may have).
  worker.onerror = (e) => {
    const detail = e.message || 'worker error';
    showError(/unreachable|memory/i.test(detail)
      ? `The engine stopped (${detail}), most likely out of memory: WebAssembly may use at most 4 GiB. Load fewer tables or a smaller dataset.`
      : `The engine could not start (${detail}). Reload the page; if it persists, rebuild with ./scripts/start.`);
    $('progress-text').textContent = 'Loading failed.';
    setState('error');
  };
  worker.postMessage({ type: 'open', baseUrl });
}

async function main() {
  try {
    const response = await fetch(new URL('api/v1/catalog', baseUrl));
    if (!response.ok) throw new Error(`the server answered HTTP ${response.status}`);
    catalog = await response.json();
  } catch (e) {
    $('dataset').textContent = 'No dataset.';
    showError(`Cannot read the catalog: ${e.message}. Is the cohortlens server running?`);
    setState('error');
    return;
  }
  const d = catalog.dataset;
  $('dataset').textContent = `${d.name} — ${d.source}. OMOP CDM ${d.cdmVersion}, reference date ${d.referenceDate}.`;
  $('cancel').onclick = () => worker?.postMessage({ type: 'cancel' });
  $('reload').onclick = start;
  start();
}

main();

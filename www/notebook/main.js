// The notebook page: the dataset panel (catalog, sign-in, load progress per table, cancel,
// retry) and the notebook below it. The lens is handed to the cells only once every table has
// loaded: nothing queries a half-loaded lens.
import { open, fetchCatalog } from '../cohortlens/index.js';
import { decodeShared, encodeShared, loadAutosave, saveAutosave, downloadJson, readJsonFile, validate } from './store.js';

const $ = (id) => document.getElementById(id);
// Made on first use, not while the module evaluates: building the first Intl.NumberFormat loads
// the locale data (20-40 ms), which would lengthen the page's first task past 50 ms.
let numberFormat = null;
const formatNumber = (n) => (numberFormat ??= new Intl.NumberFormat('en-US')).format(n);
const baseUrl = new URL('.', location.href).href;
const TOKEN_KEY = 'cohortlens.token';

let catalog = null;
let controller = null;
const loaded = new Map(); // table → latest progress

function setState(state) {
  document.body.dataset.state = state;
  $('cancel').hidden = state !== 'loading';
  $('reload').hidden = state === 'loading' || state === 'starting' || state === 'ready';
  $('reload').textContent = state === 'error' ? 'Retry' : 'Load again';
  // The rows per table are shown while loading and after a failure; folded once loaded.
  $('table-details').open = state !== 'ready';
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

/** A short message in the status line (save, share, errors of the toolbar). */
function say(message) {
  $('status').textContent = message;
}

function renderTables() {
  const body = $('tables').tBodies[0];
  body.replaceChildren(...(catalog?.tables ?? []).map((t) => {
    const row = document.createElement('tr');
    row.dataset.table = t.name;
    row.append(document.createElement('th'), document.createElement('td'), document.createElement('td'));
    row.cells[0].scope = 'row';
    row.cells[0].textContent = t.name;
    row.cells[1].className = 'num';
    row.cells[2].className = 'status';
    return row;
  }));
  updateRows();
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function updateRows() {
  let done = 0;
  let total = 0;
  for (const t of catalog?.tables ?? []) {
    const rows = loaded.get(t.name);
    const row = $('tables').querySelector(`tr[data-table="${CSS.escape(t.name)}"]`);
    const status = rows === undefined ? 'waiting' : rows.done ? 'loaded' : 'loading';
    // Only what changed is written: an unchanged text costs no style or layout work.
    if (t.locked) {
      // A table the token may not read: named, never counted or loaded.
      setText(row.cells[1], '—');
      setText(row.cells[2], 'needs a token of a higher scope');
      continue;
    }
    setText(row.cells[1], rows === undefined ? formatNumber(t.rows) : `${formatNumber(rows.rows)} / ${formatNumber(t.rows)}`);
    setText(row.cells[2], status === 'loading' ? 'loading…' : status);
    if (row.dataset.status !== status) row.dataset.status = status;
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
    $('progress-text').textContent = `${formatNumber(done)} of ${formatNumber(total)} rows · ${table}`;
  });
}

let notebook;
let lens = null;

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || undefined;
}

async function readCatalog() {
  try {
    catalog = await fetchCatalog(baseUrl, { token: token() });
  } catch (e) {
    catalog = null;
    $('dataset').textContent = 'No dataset yet.';
    showError(e.code === 'unauthorized'
      ? `This server needs an access token: ${e.message}. Enter it under “Access token” and press Sign in.`
      : `Cannot read the catalog: ${e.message}. Is the cohortlens server running? Press Retry when it is.`);
    if (e.code === 'unauthorized') $('token').focus();
    return false;
  }
  const d = catalog.dataset;
  $('dataset').replaceChildren();
  const name = document.createElement('strong');
  name.textContent = d.name;
  const detail = document.createElement('span');
  detail.textContent = ` — ${d.source}. OMOP CDM ${d.cdmVersion}.`;
  const ref = document.createElement('span');
  ref.className = 'reference-date';
  ref.textContent = ` Reference date ${d.referenceDate} (ages are counted at this date).`;
  $('dataset').append(name, detail, ref);
  return true;
}

/** Reads the catalog and loads every table; the cells get the lens when it is complete. */
async function load() {
  controller?.abort();
  const mine = new AbortController();
  controller = mine;
  lens?.close();
  lens = null;
  notebook.setLens(null);
  showError('');
  loaded.clear();
  setState('starting');
  if (!(await readCatalog())) {
    renderTables();
    setState('error');
    $('progress-text').textContent = 'Loading failed.';
    notebook.setLens(null, new Error('the dataset did not load; see the dataset panel'));
    return;
  }
  renderTables();
  setState('loading');
  $('progress-text').textContent = 'Starting the engine…';
  const started = performance.now();
  try {
    $('mode-note').hidden = true;
    const opened = await open(baseUrl, {
      policy: $('policy').value,
      mode: $('mode').value,
      token: token(),
      signal: mine.signal,
      onProgress: (p) => {
        if (controller !== mine) return;
        loaded.set(p.table, p);
        showProgress(p.table);
      },
    });
    if (controller !== mine) { opened.close(); return; }
    lens = opened;
    cancelAnimationFrame(progressFrame);
    updateRows();
    const tables = await lens.tables();
    const rows = tables.reduce((n, t) => n + t.rows, 0);
    const mb = tables.reduce((n, t) => n + t.memoryBytes, 0) / 1e6;
    $('progress').value = $('progress').max;
    $('progress-text').textContent =
      `Loaded ${tables.length} tables, ${formatNumber(rows)} rows (${mb.toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    const lead = document.createElement('strong');
    lead.textContent = lens.mode === 'server' ? 'Cohorts are computed on the server.' : 'Cohorts are computed in this browser.';
    $('mode-note').replaceChildren(lead, lens.mode === 'server'
      ? ' This browser holds people and the vocabulary only: group counts, concept search and event statistics need “In this browser”.'
      : '');
    $('mode-note').dataset.mode = lens.mode;
    $('mode-note').hidden = false;
    setState('ready');
    notebook.setLens(lens);
  } catch (e) {
    if (controller !== mine) return;
    cancelAnimationFrame(progressFrame);
    const cancelled = e.code === 'cancelled';
    $('progress-text').textContent = cancelled ? 'Cancelled.' : 'Loading failed.';
    if (!cancelled) {
      showError(e.code === 'unauthorized' || /HTTP 401|HTTP 403/.test(e.message)
        ? `${e.message} Enter a valid access token and press Sign in.`
        : e.message);
    }
    setState(cancelled ? 'cancelled' : 'error');
    notebook.setLens(null, new Error(cancelled ? 'loading was cancelled; press “Load again” in the dataset panel' : 'the dataset did not load; see the dataset panel'));
  }
}

async function showGallery() {
  $('gallery').hidden = false;
  const list = $('tutorial-list');
  if (!list.children.length) {
    const index = await (await fetch('tutorials/index.json')).json();
    list.replaceChildren(...index.tutorials.map((t) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'tutorial';
      button.dataset.tutorial = t.file;
      const title = document.createElement('strong');
      title.textContent = t.title;
      const goal = document.createElement('span');
      goal.textContent = t.goal;
      button.append(title, goal);
      button.addEventListener('click', () => openTutorial(t.file));
      li.append(button);
      return li;
    }));
  }
  $('gallery-title').scrollIntoView({ block: 'start' });
  list.querySelector('button')?.focus();
}

async function openTutorial(file) {
  const response = await fetch(`tutorials/${file}`);
  if (!response.ok) { say(`Cannot open the tutorial ${file}: HTTP ${response.status}.`); return; }
  notebook.load(validate(await response.json()));
  $('gallery').hidden = true;
  history.replaceState(null, '', `#tutorial=${encodeURIComponent(file)}`);
  say(`Opened the tutorial “${notebook.title}”.`);
  $('notebook').focus();
}

/** The notebook to start with: the URL's (shared or tutorial), the autosaved one, or the welcome. */
async function initialNotebook() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('nb')) {
    try {
      return validate(await decodeShared(hash.get('nb')));
    } catch (e) {
      say(`The shared link could not be read (${e.message}); showing the welcome notebook.`);
    }
  }
  const tutorial = hash.get('tutorial');
  if (tutorial && /^[\w-]+\.json$/.test(tutorial)) {
    const response = await fetch(`tutorials/${tutorial}`);
    if (response.ok) return validate(await response.json());
  }
  const saved = loadAutosave();
  if (saved) return saved;
  return validate(await (await fetch('tutorials/welcome.json')).json());
}

/**
 * The notebook's modules. The big vendored ones (Markdown, the Observable runtime) are loaded
 * first, one per task, so that no single task evaluating them blocks the page for long.
 */
async function notebookModule() {
  await import('../vendor/markdown.js');
  await import('../vendor/runtime.js');
  return import('./notebook.js');
}

async function main() {
  const { Notebook } = await notebookModule();
  notebook = new Notebook($('cells'), {
    titleInput: $('notebook-title'),
    onChange: (doc) => saveAutosave(doc),
    openLens: (options) => open(baseUrl, { token: token(), ...options }),
  });
  $('policy').addEventListener('change', load);
  $('mode').addEventListener('change', load);
  $('cancel').addEventListener('click', () => controller?.abort());
  $('reload').addEventListener('click', load);
  $('token').value = token() ?? '';
  $('sign-in').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('token').value.trim();
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
    say(value ? 'Signed in for this tab; loading the dataset again.' : 'Signed out.');
    load();
  });
  $('run-all').addEventListener('click', () => notebook.runAll());
  for (const b of document.querySelectorAll('[data-add]')) {
    b.addEventListener('click', () => notebook.add(b.dataset.add));
  }
  $('show-tutorials').addEventListener('click', showGallery);
  $('hide-tutorials').addEventListener('click', () => { $('gallery').hidden = true; $('show-tutorials').focus(); });
  $('new-notebook').addEventListener('click', () => {
    notebook.load({ title: 'Untitled notebook', cells: [{ kind: 'markdown', source: '# Untitled notebook\n\nAdd cells with the buttons at the end.' }] });
    history.replaceState(null, '', location.pathname);
    say('A new, empty notebook.');
  });
  $('save-notebook').addEventListener('click', () => {
    const doc = notebook.toJSON();
    downloadJson(doc, `${doc.title.replace(/[^\w-]+/g, '-').toLowerCase() || 'notebook'}.json`);
    say('Saved: the notebook was downloaded as a .json file.');
  });
  $('open-notebook').addEventListener('click', () => $('open-file').click());
  $('open-file').addEventListener('change', async () => {
    const file = $('open-file').files[0];
    if (!file) return;
    try {
      notebook.load(await readJsonFile(file));
      say(`Opened ${file.name}.`);
    } catch (e) {
      say(`Cannot open ${file.name}: ${e.message}`);
    }
    $('open-file').value = '';
  });
  $('share-notebook').addEventListener('click', async () => {
    const url = new URL(location.href);
    url.hash = `nb=${await encodeShared(notebook.toJSON())}`;
    history.replaceState(null, '', url);
    try {
      await navigator.clipboard.writeText(url.href);
      say('The link to this notebook is in the address bar and on the clipboard.');
    } catch {
      say('The link to this notebook is in the address bar: copy it from there.');
    }
  });
  $('export-report').addEventListener('click', async () => {
    if (!lens) { say('Load the dataset first: the report holds the outputs.'); return; }
    say('Building the report…');
    try {
      const { exportReport } = await import('./report.js');
      await exportReport(notebook, lens);
      say('The report was downloaded as an .html file.');
    } catch (e) {
      say(`The report could not be built: ${e.message}`);
    }
  });
  notebook.load(await initialNotebook());
  load();
}

main();

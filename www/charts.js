// The chart gallery: opens the dataset through the cohortlens client (the engine in a worker,
// which draws every chart kind on the canvas it was handed, sized for devicePixelRatio), redraws
// a chart when its width changes, and gives each an accessible name, a data table for screen
// readers, and SVG and PNG downloads. No engine work on this page's thread.
import { open } from './cohortlens/index.js';

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat('en-US');
const policy = new URLSearchParams(location.search).get('policy') ?? 'aou';

const T2D_FROM_40 = {
  id: 'dm',
  items: [{
    id: 't2d', type: 'CONDITION',
    searchParameters: [{ domain: 'CONDITION', conceptId: 201826, type: 'SNOMED', group: true, standard: true }],
    modifiers: [{ name: 'AGE_AT_EVENT', operator: 'GREATER_THAN_OR_EQUAL_TO', operands: ['40'] }],
  }],
};
const drug = (id, itemId, conceptId) => ({
  id, items: [{ id: itemId, type: 'DRUG', searchParameters: [{ domain: 'DRUG', conceptId, type: 'RXNORM', group: true, standard: true }] }],
});
const COHORT = { includes: [T2D_FROM_40], excludes: [], dataFilters: [] };
const BUILDER = {
  includes: [T2D_FROM_40, drug('met', 'metformin', 1503297)],
  excludes: [drug('ins', 'insulin', 1502905)],
  dataFilters: [],
};
const FITBIT = { includes: [{ id: 'fitbit', items: [{ id: 'any', type: 'FITBIT', searchParameters: [{ domain: 'FITBIT' }] }] }] };

/** Every chart kind the engine draws, with the statistic it shows. */
const CHARTS = [
  { id: 'sex', spec: { kind: 'bar', data: { kind: 'sexAtBirth' }, cohort: COHORT } },
  { id: 'gender', spec: { kind: 'bar', data: { kind: 'gender' }, cohort: COHORT } },
  { id: 'race', spec: { kind: 'bar', data: { kind: 'race' }, cohort: COHORT } },
  { id: 'ethnicity', spec: { kind: 'bar', data: { kind: 'ethnicity' }, cohort: COHORT } },
  { id: 'age', spec: { kind: 'bar', data: { kind: 'age', bands: 'dataBrowser' }, cohort: COHORT } },
  { id: 'age-sex-grouped', spec: { kind: 'groupedBar', data: { kind: 'ageBySex', bands: 'dataBrowser' }, cohort: COHORT } },
  { id: 'age-sex-stacked', spec: { kind: 'stackedBar', data: { kind: 'ageBySex', bands: 'cohortBuilder' }, cohort: COHORT } },
  {
    id: 'age-at-event',
    spec: {
      kind: 'bar', data: { kind: 'age', bands: 'dataBrowser', at: 'event' }, conceptId: 201826,
      title: 'Age at first type 2 diabetes record (everyone with the concept)',
    },
  },
  {
    id: 'hba1c',
    spec: { kind: 'histogram', data: { kind: 'measurementValues', conceptId: 3004410 }, cohort: COHORT, title: 'Hemoglobin A1c values' },
  },
  { id: 'general-health', spec: { kind: 'bar', data: { kind: 'surveyAnswers', questionConceptId: 1585711 }, cohort: COHORT } },
  { id: 'education', spec: { kind: 'bar', data: { kind: 'surveyAnswers', questionConceptId: 1585940 }, cohort: COHORT } },
  {
    id: 'top-conditions',
    spec: { kind: 'bar', data: { kind: 'topConcepts', domain: 'CONDITION', limit: 10 }, cohort: COHORT, title: 'Top 10 conditions' },
  },
  {
    id: 'fitbit-steps',
    spec: { kind: 'histogram', data: { kind: 'fitbitSteps' }, cohort: FITBIT, title: 'Mean daily steps (everyone with Fitbit data)' },
  },
  {
    id: 'fitbit-monthly',
    spec: { kind: 'line', data: { kind: 'fitbitMonthly' }, cohort: FITBIT, title: 'Participants with Fitbit activity data, by month' },
  },
  {
    id: 'preview',
    spec: {
      kind: 'preview', data: { kind: 'preview' }, cohort: BUILDER, title: 'Cohort Builder: type 2 diabetes on metformin, no insulin',
      options: { labels: { dm: 'Type 2 diabetes', t2d: 'from age 40', met: 'Metformin', metformin: 'metformin (any form)', ins: 'Insulin', insulin: 'insulin glargine' } },
    },
  },
];

let lens = null;

/** Builds a figure: its canvas, tools and (visually hidden) data table. */
function figure({ id, spec }) {
  const fig = document.createElement('figure');
  fig.className = 'chart';
  fig.id = `chart-${id}`;
  fig.dataset.state = 'drawing';
  fig.innerHTML = `
    <div class="frame"><canvas role="img" aria-describedby="chart-${id}-data"></canvas></div>
    <div class="tools">
      <button type="button" data-action="svg">Download SVG</button>
      <button type="button" data-action="png">Download PNG</button>
      <button type="button" data-action="table" aria-expanded="false" aria-controls="chart-${id}-data">Show data</button>
    </div>
    <div class="data sr-only" id="chart-${id}-data"></div>`;
  const chart = { id, spec, fig, frame: fig.querySelector('.frame'), canvas: fig.querySelector('canvas'), width: 0, height: 0 };
  fig.querySelector('[data-action="svg"]').onclick = () => downloadSvg(chart);
  fig.querySelector('[data-action="png"]').onclick = () => downloadPng(chart);
  fig.querySelector('[data-action="table"]').onclick = (e) => {
    const shown = e.currentTarget.getAttribute('aria-expanded') === 'true';
    e.currentTarget.setAttribute('aria-expanded', String(!shown));
    e.currentTarget.textContent = shown ? 'Show data' : 'Hide data';
    fig.querySelector('.data').classList.toggle('sr-only', shown);
  };
  return chart;
}

/**
 * Draws a chart in the worker at its frame's width, sharp at devicePixelRatio, as high as the
 * chart needs; draws of one chart run one after another.
 */
function draw(chart) {
  chart.drawing = (chart.drawing ?? Promise.resolve()).then(async () => {
    const width = Math.floor(chart.frame.clientWidth);
    if (width < 1 || width === chart.width) return;
    chart.canvas.style.width = `${width}px`;
    chart.fig.dataset.state = 'drawing';
    try {
      chart.summary = await lens.chart(chart.canvas, chart.spec);
    } catch (e) {
      showChartError(chart, e);
      return;
    }
    chart.width = width;
    renderTable(chart);
    chart.fig.dataset.state = 'drawn';
  });
  return chart.drawing;
}

function showChartError(chart, e) {
  chart.fig.dataset.state = 'error';
  let p = chart.fig.querySelector('.error');
  if (!p) {
    p = document.createElement('p');
    p.className = 'error';
    p.setAttribute('role', 'alert');
    chart.fig.prepend(p);
  }
  p.textContent = `${e?.message ?? e} (${e?.code ?? 'error'})`;
}

/** The chart's data table (and footnote) from its summary: disclosed labels only. */
function renderTable(chart) {
  const { title, columns, rows, footnote } = chart.summary;
  const table = document.createElement('table');
  table.createCaption().textContent = title;
  const head = table.createTHead().insertRow();
  columns.forEach((c, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = c;
    if (i >= columns.length - (columns.at(-1) === 'Percent' ? 2 : 1)) th.className = 'num';
    head.append(th);
  });
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((cell, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.scope = 'row';
      td.textContent = cell;
      if (i >= columns.length - (columns.at(-1) === 'Percent' ? 2 : 1)) td.className = 'num';
      tr.append(td);
    });
  }
  const note = document.createElement('p');
  note.className = 'footnote';
  note.textContent = footnote;
  chart.fig.querySelector('.data').replaceChildren(table, note);
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function downloadSvg(chart) {
  try {
    const svg = await lens.chartSvg({ ...chart.spec, options: { ...chart.spec.options, width: chart.width } });
    save(new Blob([svg], { type: 'image/svg+xml' }), `${chart.id}.svg`);
  } catch (e) {
    showChartError(chart, e);
  }
}

/** The canvas's picture, encoded by the worker (the page cannot read a transferred canvas). */
async function downloadPng(chart) {
  try {
    save(await lens.chartImage(chart.canvas), `${chart.id}.png`);
  } catch (e) {
    showChartError(chart, e);
  }
}

async function main() {
  $('policy').value = policy;
  $('policy').onchange = (e) => {
    const url = new URL(location.href);
    url.searchParams.set('policy', e.target.value);
    location.href = url.href;
  };
  try {
    let rows = 0;
    let table = '';
    let frame = 0;
    $('status').textContent = 'Loading the dataset…';
    lens = await open(new URL('.', location.href).href, {
      policy,
      // One status update per frame at most, however many chunks arrive.
      onProgress: (p) => {
        if (p.done) rows += p.rows;
        table = p.table;
        frame ||= requestAnimationFrame(() => {
          frame = 0;
          $('status').textContent = `Loading ${table}… (${fmt.format(rows)} rows so far)`;
        });
      },
    });
    cancelAnimationFrame(frame);
  } catch (e) {
    $('error').textContent = `${e?.message ?? e} (${e?.code ?? 'error'})`;
    $('error').hidden = false;
    $('status').textContent = 'Could not load the dataset.';
    document.body.dataset.state = 'error';
    return;
  }
  $('status').textContent = `Policy ${lens.policy}: drawing…`;
  const charts = CHARTS.map(figure);
  $('gallery').replaceChildren(...charts.map((c) => c.fig));
  await Promise.all(charts.map(draw));
  // Redraw a chart when its width changes (window resize, rotation, zoom).
  const pending = new Set();
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const chart = charts.find((c) => c.frame === entry.target);
      if (chart && Math.floor(entry.contentRect.width) !== chart.width) pending.add(chart);
    }
    requestAnimationFrame(() => {
      pending.forEach((chart) => draw(chart));
      pending.clear();
    });
  });
  charts.forEach((c) => observer.observe(c.frame));
  const failed = charts.filter((c) => c.fig.dataset.state === 'error').length;
  $('status').textContent = `Policy ${lens.policy}: ${charts.length - failed} charts drawn${failed ? `, ${failed} failed` : ''}.`;
  document.body.dataset.state = 'ready';
  // For the page tests: a chart's picture, read back through the worker.
  window.chartGallery = { image: (id) => lens.chartImage(charts.find((c) => c.id === id).canvas) };
}

main();

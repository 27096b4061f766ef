// The chart gallery: opens the dataset in this page (plotters draws on a DOM canvas), draws every
// chart kind on canvases sized for devicePixelRatio, redraws them when their width changes, and
// gives each an accessible name, a data table for screen readers, and SVG and PNG downloads.
import init, { Lens } from './pkg/cohortlens.js';

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

/** Draws a chart at its frame's width, sharp at devicePixelRatio, as high as the chart needs. */
function draw(chart) {
  const width = Math.floor(chart.frame.clientWidth);
  if (width < 1) return;
  const ratio = window.devicePixelRatio || 1;
  let height = chart.height || Math.round(width * 0.75);
  try {
    for (let pass = 0; pass < 2; pass++) {
      chart.canvas.style.width = `${width}px`;
      chart.canvas.style.height = `${height}px`;
      chart.canvas.width = Math.round(width * ratio);
      chart.canvas.height = Math.round(height * ratio);
      const summary = lens.chart(chart.canvas, { ...chart.spec, options: { ...chart.spec.options, pixelRatio: ratio } });
      chart.summary = summary;
      if (Math.abs(summary.preferredHeight - height) <= 1) break;
      height = summary.preferredHeight;
    }
  } catch (e) {
    showChartError(chart, e);
    return;
  }
  chart.width = width;
  chart.height = height;
  chart.canvas.setAttribute('aria-label', chart.summary.label);
  renderTable(chart);
  chart.fig.dataset.state = 'drawn';
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

function downloadSvg(chart) {
  try {
    const svg = lens.chartSvg({ ...chart.spec, options: { ...chart.spec.options, width: chart.width } });
    save(new Blob([svg], { type: 'image/svg+xml' }), `${chart.id}.svg`);
  } catch (e) {
    showChartError(chart, e);
  }
}

function downloadPng(chart) {
  chart.canvas.toBlob((blob) => blob && save(blob, `${chart.id}.png`), 'image/png');
}

async function main() {
  $('policy').value = policy;
  $('policy').onchange = (e) => {
    const url = new URL(location.href);
    url.searchParams.set('policy', e.target.value);
    location.href = url.href;
  };
  try {
    await init();
    let rows = 0;
    $('status').textContent = 'Loading the dataset…';
    lens = await Lens.open(new URL('.', location.href).href, {
      policy,
      onProgress: (p) => {
        if (p.done) rows += p.rows;
        $('status').textContent = `Loading ${p.table}… (${fmt.format(rows)} rows so far)`;
      },
    });
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
  charts.forEach(draw);
  // Redraw a chart when its width changes (window resize, rotation, zoom).
  const pending = new Set();
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const chart = charts.find((c) => c.frame === entry.target);
      if (chart && Math.floor(entry.contentRect.width) !== chart.width) pending.add(chart);
    }
    requestAnimationFrame(() => {
      pending.forEach(draw);
      pending.clear();
    });
  });
  charts.forEach((c) => observer.observe(c.frame));
  const failed = charts.filter((c) => c.fig.dataset.state === 'error').length;
  $('status').textContent = `Policy ${lens.policy}: ${charts.length - failed} charts drawn${failed ? `, ${failed} failed` : ''}.`;
  document.body.dataset.state = 'ready';
}

main();

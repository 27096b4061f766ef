// The Data Browser page: the public aggregates only (/api/public/v1/), like the All of Us Data
// Browser — search across data types with participant counts, a concept page with its charts,
// the survey explorer and the participant snapshot. Every chart is a <cohortlens-chart>
// (embed.js) with an "Embed this chart" button giving both snippets; a search (or a data type's
// list) opens with its top 10 concepts as a collapsible bar chart, as the Data Browser's does.

import {
  DOMAINS as DOMAIN_NAMES, TOP_SIZE, byParticipants, conceptSearch, getJson as publicJson, share, topConceptsTitle,
  whenPublished,
} from '../embed.js';

const BASE = new URL('.', location.href);
const API = new URL('api/public/v1/', BASE);

/** Titles of the published statistics; a statistic not named here shows under its own name. */
const TITLES = {
  sex: 'Sex', age: 'Age at first occurrence', ageSex: 'Age + Sex', values: 'Values', sources: 'Sources',
  answers: 'Answers', answersBySex: 'Answers by sex',
  answersByAge: 'Answers by age when the survey was taken', answersByAgeSex: 'Answers by age + sex',
  year: 'Participants by year of their first record (running total)',
};
/** The Fitbit tiles. */
const FITBIT_TILES = {
  any: 'Any Fitbit data',
  heartRateSummary: 'Heart rate (summary)',
  heartRateIntraday: 'Heart rate (minute-level)',
  stepsIntraday: 'Activity intraday steps (minute-level)',
  activitySummary: 'Activity daily summary',
  sleepDailySummary: 'Sleep daily summary',
  sleepLevel: 'Sleep level (sequence by level)',
};
/** Titles of the snapshot's statistics (the whole dataset). */
const SNAPSHOT_TITLES = {
  domains: 'Participants by data type', sexAtBirth: 'Sex assigned at birth', gender: 'Gender identity',
  race: 'Race', ethnicity: 'Ethnicity',
  raceEthnicity: 'Race / ethnicity (The Basics)', age: 'Age today',
};
/** The data types' names (plural). */
const DOMAINS = Object.fromEntries(Object.entries(DOMAIN_NAMES).map(([domain, [plural]]) => [domain, plural]));

const $ = (id) => document.getElementById(id);

/** A disclosed count's label: a number with thousands separators, or "≤ 20" as it is. */
function formatCount(label) {
  return /^\d+$/.test(label) ? Number(label).toLocaleString('en-US') : label;
}

/** The public API's answer at `path`, through the embeds' cache (one request per URL per page). */
function getJson(path) {
  return publicJson(new URL(path, API).href);
}

/** Shares the tables of one answer (`{name: table}`) with the elements that draw them, at `path/name`. */
function shareTables(path, tables) {
  for (const [name, table] of Object.entries(tables)) share(new URL(`${path}/${encodeURIComponent(name)}`, API).href, table);
}

function say(text) { $('status').textContent = text; }

/** The two snippets that show `tag` with `attributes` on another page. */
function snippets(tag, attributes) {
  const server = BASE.href.replace(/\/$/, '');
  const attrs = Object.entries({ server, ...attributes })
    .map(([k, v]) => ` ${k}="${String(v).replaceAll('&', '&amp;').replaceAll('"', '&quot;')}"`).join('');
  const element = `<script type="module" src="${server}/embed.js"></script>\n<${tag}${attrs}></${tag}>`;
  const query = new URLSearchParams({ element: tag.replace('cohortlens-', ''), ...attributes });
  // A chart without a height (top concepts) is as high as it needs: about 480 px at most widths.
  const height = Number(attributes.height ?? (attributes.statistic === 'topConcepts' ? 480 : 320))
    + (tag === 'cohortlens-chart' ? 90 : 40);
  const title = String(attributes.title ?? 'cohortlens chart').replaceAll('"', '&quot;');
  const iframe = `<iframe src="${server}/embed.html?${query.toString().replaceAll('&', '&amp;')}" title="${title}" width="100%" height="${height}" style="border:0" loading="lazy"></iframe>`;
  return { element, iframe };
}

function openEmbedDialog(tag, attributes) {
  const { element, iframe } = snippets(tag, attributes);
  $('snippet-element').value = element;
  $('snippet-iframe').value = iframe;
  $('embed-dialog').showModal();
}

/** An element `tag` with `attributes`. */
function embedElement(tag, attributes) {
  const element = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, v);
  return element;
}

/** The "Embed this chart" button of `element`; `name` is what its accessible name calls the chart. */
function embedButton(element, name) {
  const tag = element.localName;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'embed';
  button.textContent = tag === 'cohortlens-chart' ? 'Embed this chart' : 'Embed this';
  button.setAttribute('aria-label', `${button.textContent}: ${name}`);
  // The element's attributes as they are now (an answer picker changes them).
  button.addEventListener('click', () => openEmbedDialog(tag, Object.fromEntries(
    element.getAttributeNames().map((n) => [n, element.getAttribute(n)]))));
  return button;
}

/**
 * A box with a heading, the element, and its "Embed this chart" button; `options.level` is the
 * heading's level (3), `options.name` what the button's accessible name calls the chart (the
 * heading), `options.before` nodes between the heading and the element (an answer picker).
 */
function chartBox(heading, tag, attributes, options = {}) {
  const box = document.createElement('div');
  box.className = 'chart-box';
  const h = document.createElement(`h${options.level ?? 3}`);
  h.textContent = heading;
  const element = embedElement(tag, attributes);
  box.append(h, ...(options.before ?? []), element, embedButton(element, options.name ?? heading));
  return box;
}

/**
 * The top concepts of a search (`count` concepts found for `q` in `domain`): the Data Browser's
 * collapsible "Top 10 … by Descending Participant Counts" bar chart, open on every new search.
 * The element reads the search answer and the snapshot the page already holds and draws its first
 * TOP_SIZE concepts by disclosed count; a bar opens its concept.
 */
async function showTopConcepts(count, q, domain) {
  $('top-concepts').hidden = count === 0;
  if (count === 0) return;
  // Its total is in the snapshot's tables, which the page reads once (the same request as showSnapshot's).
  shareTables('snapshot', (await getJson('snapshot')).tables);
  const title = topConceptsTitle(Math.min(count, TOP_SIZE), domain, q);
  $('top-title').textContent = title;
  $('top-toggle').setAttribute('aria-expanded', 'true');
  $('top-body').hidden = false;
  const attributes = { statistic: 'topConcepts', title };
  if (domain) attributes.domain = domain;
  if (q) attributes.search = q;
  const element = embedElement('cohortlens-chart', attributes);
  $('top-body').replaceChildren(element, embedButton(element, title));
}

/** A question statistic's title: from TITLES, else its name in words ("answersByState" → "Answers by state"). */
function statisticTitle(statistic) {
  return TITLES[statistic] ?? statistic.replace(/([A-Z])/g, ' $1').toLowerCase().replace(/^./, (c) => c.toUpperCase());
}

/**
 * The chart box of one published statistic of a question. A table by answer and two more
 * dimensions (answersByAgeSex: answer × age × sex) draws one answer at a time, as the Data
 * Browser does: an answer picker (the question's answers, most participants first) sets the
 * element's `answer` attribute.
 */
function questionBox(question, statistic, table) {
  const title = statisticTitle(statistic);
  const attributes = { question: question.conceptId, statistic, title: question.name, height: 320 };
  const name = `${question.name}: ${title}`;
  if (table.dimensions.length !== 3 || table.dimensions[0] !== 'Answer') {
    return chartBox(title, 'cohortlens-chart', attributes, { level: 4, name });
  }
  const weight = new Map();
  for (const row of table.rows) weight.set(row.labels[0], (weight.get(row.labels[0]) ?? 0) + (row.count.value ?? 0));
  const answers = [...weight.keys()].sort((a, b) => weight.get(b) - weight.get(a));
  const id = `answer-${question.conceptId}-${statistic}`;
  const label = document.createElement('label');
  label.className = 'answer-pick';
  label.htmlFor = id;
  label.textContent = 'Answer ';
  const select = document.createElement('select');
  select.id = id;
  select.append(...answers.map((a) => new Option(a, a)));
  label.append(select);
  const box = chartBox(title, 'cohortlens-chart', { ...attributes, answer: answers[0] ?? '' }, { level: 4, name, before: [label] });
  select.addEventListener('change', () => box.querySelector('cohortlens-chart').setAttribute('answer', select.value));
  return box;
}

/** A question of the survey explorer: its name, then a chart of each statistic the public API has for it. */
async function showQuestion(manifest, question, into) {
  const section = document.createElement('section');
  section.className = 'question';
  const h = document.createElement('h3');
  h.textContent = question.name;
  const charts = document.createElement('div');
  charts.className = 'charts';
  section.append(h, charts);
  into.append(section);
  try {
    const path = `surveys/questions/${encodeURIComponent(question.conceptId)}`;
    const { statistics } = await getJson(path);
    shareTables(path, statistics);
    // The question's statistics in the manifest's order, then any the manifest does not list.
    const order = manifest.question ?? [];
    const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
    for (const statistic of Object.keys(statistics).sort((a, b) => rank(a) - rank(b))) {
      charts.append(questionBox(question, statistic, statistics[statistic]));
    }
  } catch (error) {
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = `This question's charts cannot be shown: ${error.message}`;
    charts.replaceWith(p);
  }
}

async function showSnapshot(manifest) {
  shareTables('snapshot', (await getJson('snapshot')).tables);
  const charts = $('snapshot-charts');
  charts.replaceChildren(chartBox('Participants', 'cohortlens-snapshot', { title: `${manifest.dataset}: participants and data types` }));
  for (const statistic of manifest.snapshot) {
    const title = SNAPSHOT_TITLES[statistic] ?? statistic;
    charts.append(chartBox(title, 'cohortlens-chart', { statistic, title, height: 320 }));
  }
}

/** The surveys with versions (COPE, COPE Minute): their pages show the version table first. */
const VERSIONED_SURVEYS = [1333342, 765936];

/** A survey's version table (name, participants, number of questions), as the Data Browser's COPE pages show it. */
async function showVersions(survey, into) {
  const table = document.createElement('table');
  table.className = 'survey-versions';
  into.append(table);
  try {
    const versions = await getJson(`surveys/${encodeURIComponent(survey.conceptId)}/versions`);
    const caption = table.createCaption();
    caption.textContent = `${survey.name}: survey versions`;
    const head = table.createTHead().insertRow();
    for (const name of ['Survey version', 'Participants', 'Questions']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = name;
      head.append(th);
    }
    const body = table.createTBody();
    for (const row of versions.rows) {
      const tr = body.insertRow();
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = row.labels[0];
      tr.append(th);
      // The number of questions is a label, not a count of persons: the Data Browser shows it exactly.
      for (const text of [formatCount(row.count.label), row.labels[1]]) tr.insertCell().textContent = text;
    }
  } catch (error) {
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = `This survey's versions cannot be shown: ${error.message}`;
    table.replaceWith(p);
  }
}

async function showSurveys(manifest) {
  const list = $('survey-list');
  if (!manifest.surveys?.length) {
    list.innerHTML = '<p>No survey answers were published for this dataset.</p>';
    return;
  }
  list.replaceChildren(...manifest.surveys.map((survey) => {
    const details = document.createElement('details');
    details.className = 'survey';
    const summary = document.createElement('summary');
    summary.textContent = survey.name;
    details.append(summary);
    details.addEventListener('toggle', () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = 'yes';
      if (VERSIONED_SURVEYS.includes(survey.conceptId)) showVersions(survey, details);
      for (const q of survey.questions) showQuestion(manifest, q, details);
    });
    return details;
  }));
}

function showFitbit(manifest) {
  const list = $('fitbit-list');
  if (!manifest.fitbit?.length) {
    list.innerHTML = '<p>No Fitbit tiles were published for this dataset.</p>';
    return;
  }
  list.replaceChildren(...Object.entries(FITBIT_TILES).map(([tile, name]) => {
    const details = document.createElement('details');
    details.className = 'survey';
    const summary = document.createElement('summary');
    summary.textContent = name;
    details.append(summary);
    details.addEventListener('toggle', () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = 'yes';
      const charts = document.createElement('div');
      charts.className = 'charts';
      for (const statistic of manifest.fitbit) {
        const title = `${name}: ${TITLES[statistic] ?? statistic}`;
        charts.append(chartBox(title, 'cohortlens-chart', { fitbit: tile, statistic, title, height: 320 }));
      }
      details.append(charts);
    });
    return details;
  }));
}

async function search(q, domain) {
  say(q ? `Searching for “${q}”…` : `Loading the concepts${domain ? ` of ${DOMAINS[domain] ?? domain}` : ""}…`);
  const found = await getJson(conceptSearch(q, domain));
  // Most participants first, as the Data Browser lists them (the API ranks exact matches first).
  const concepts = byParticipants(found.concepts);
  await showTopConcepts(concepts.length, q, domain);
  if (domain) $('results-table').dataset.domain = domain;
  else delete $('results-table').dataset.domain;
  const body = $('results-table').tBodies[0];
  body.replaceChildren(...concepts.map((c) => {
    const row = document.createElement('tr');
    const name = document.createElement('td');
    const link = document.createElement('a');
    link.href = `#concept/${c.conceptId}`;
    link.textContent = c.name;
    name.append(link);
    const cells = [DOMAINS[c.domain] ?? c.domain, `${c.vocabulary} ${c.code}`, formatCount(c.participants.label)]
      .map((text, i) => { const td = document.createElement('td'); td.textContent = text; if (i === 2) td.className = 'num'; return td; });
    row.append(name, ...cells);
    return row;
  }));
  $('results').hidden = false;
  $('concept').hidden = true;
  $('snapshot').hidden = false;
  $('surveys').hidden = false;
  $('fitbit').hidden = false;
  const where = domain ? ` in ${DOMAINS[domain] ?? domain}` : '';
  if (!q) say(concepts.length ? `Concepts with participants${where}, most participants first.` : `No concept with participants${where}.`);
  else say(concepts.length ? `Concepts matching “${q}”${where}.` : `No concept with participants matches “${q}”${where}.`);
}

async function showConcept(id) {
  say('Loading the concept…');
  const path = `concepts/${encodeURIComponent(id)}`;
  const { concept, statistics } = await getJson(path);
  shareTables(path, statistics);
  $('concept-title').textContent = concept.name;
  $('concept-meta').textContent = `${DOMAINS[concept.domain] ?? concept.domain} · ${concept.vocabulary} ${concept.code} · `
    + `concept ${concept.conceptId} · ${formatCount(concept.participants.label)} participants`;
  const charts = $('concept-charts');
  charts.replaceChildren(chartBox('Participants', 'cohortlens-count', { concept: concept.conceptId, title: concept.name }));
  const order = ['sex', 'age', 'ageSex', 'values', 'sources'];
  const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
  for (const statistic of Object.keys(statistics).sort((a, b) => rank(a) - rank(b))) {
    charts.append(chartBox(TITLES[statistic] ?? statistic, 'cohortlens-chart',
      { concept: concept.conceptId, statistic, title: `${concept.name}: ${TITLES[statistic] ?? statistic}`, height: 320 }));
  }
  $('concept').hidden = false;
  $('results').hidden = true;
  $('snapshot').hidden = true;
  $('surveys').hidden = true;
  $('fitbit').hidden = true;
  say('');
  $('concept-title').focus();
}

async function route() {
  const [view, ...rest] = location.hash.slice(1).split('/');
  try {
    if (view === 'concept' && rest[0]) {
      await showConcept(decodeURIComponent(rest[0]));
    } else if (view === 'search') {
      const params = new URLSearchParams(rest.join('/'));
      $('q').value = params.get('q') ?? '';
      $('domain').value = params.get('domain') ?? '';
      await search($('q').value, $('domain').value);
    } else {
      $('concept').hidden = true;
      $('results').hidden = true;
      $('snapshot').hidden = false;
      $('surveys').hidden = false;
      $('fitbit').hidden = false;
      say('');
    }
  } catch (error) {
    say(`Cannot show this: ${error.message}`);
  }
}

async function start() {
  $('concept-title').tabIndex = -1;
  $('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ q: $('q').value.trim() });
    if ($('domain').value) params.set('domain', $('domain').value);
    location.hash = `search/${params}`;
  });
  $('back').addEventListener('click', (event) => { event.preventDefault(); location.hash = ''; });
  $('top-toggle').addEventListener('click', () => {
    const open = $('top-toggle').getAttribute('aria-expanded') !== 'true';
    $('top-toggle').setAttribute('aria-expanded', String(open));
    $('top-body').hidden = !open;
  });
  for (const button of document.querySelectorAll('button.copy')) {
    button.addEventListener('click', async () => {
      const area = $(button.dataset.copy);
      area.select();
      try { await navigator.clipboard.writeText(area.value); button.textContent = 'Copied'; } catch { button.textContent = 'Selected: press Ctrl+C'; }
    });
  }
  window.addEventListener('hashchange', route);
  await load();
}

/** Reads the manifest and shows the page; while the server is publishing its aggregates, says
 * so and shows the page once they are there. */
async function load() {
  try {
    const manifest = await getJson('manifest');
    $('dataset').textContent = `${manifest.dataset}, published ${manifest.published.slice(0, 10)} under the ${manifest.policy} policy`;
    for (const domain of manifest.domains) {
      $('domain').append(new Option(DOMAINS[domain] ?? domain, domain));
    }
    showFitbit(manifest);
    await Promise.all([showSnapshot(manifest), showSurveys(manifest), route()]);
    document.body.dataset.state = 'ready';
  } catch (error) {
    if (error.code === 'public_publishing') {
      say('The server is preparing the public data (it does this once after the dataset changes). '
        + 'This page will show it as soon as it is ready.');
      document.body.dataset.state = 'waiting';
      await whenPublished(BASE, error.retryAfter);
      await load();
      return;
    }
    say(`The public aggregates cannot be read: ${error.message}`);
    document.body.dataset.state = 'error';
  }
}

start();

// cohortlens embeds: <cohortlens-chart>, <cohortlens-count> and <cohortlens-snapshot>, for
// resource guides and any page (docs/public.md). One snippet:
//
//   <script type="module" src="https://SERVER/embed.js"></script>
//   <cohortlens-chart server="https://SERVER" concept="201826" statistic="ageSex"></cohortlens-chart>
//
// They read the public API (/api/public/v1/, published aggregates only) and draw with the
// chart-only wasm build (embed-pkg/, loaded once per page however many elements there are).
// Each renders in its own Shadow DOM, styled to survive the host page's CSS. When the server
// cannot be reached, the element says so and links to the Data Browser page.

const HERE = new URL('.', import.meta.url);

/** The default chart kind of the statistics not drawn by their number of dimensions (below). */
const KINDS = { values: 'histogram' };
/** The statistic of a domain's (or a search's) top concepts, drawn from the public concept search. */
const TOP_CONCEPTS = 'topConcepts';
/** Most concepts a top-concepts chart shows (the Data Browser's "Top 10"). */
export const TOP_SIZE = 10;
/** Most concepts one search of the Data Browser page (and a top-concepts chart) reads. */
const SEARCH_LIMIT = 100;
/** The data types (the public API's domains): plural and singular names. */
export const DOMAINS = {
  condition: ['Conditions', 'Condition'], drug: ['Drug exposures', 'Drug exposure'],
  procedure: ['Procedures', 'Procedure'], observation: ['Observations', 'Observation'],
  measurement: ['Labs and measurements', 'Lab or measurement'],
};
/** The default chart kind of a table by its number of dimensions: a bar per row, a bar per
 * value of the second dimension in each group of the first, one answer's age × sex stacked
 * (answersByAgeSex, as the Data Browser draws it). */
const KINDS_BY_DIMENSIONS = { 1: 'bar', 2: 'groupedBar', 3: 'stackedBar' };

let engine = null;
/** The chart engine: the wasm module, fetched and instantiated once per page. */
function chartEngine() {
  engine ??= import(new URL('embed-pkg/cohortlens_embed.js', HERE).href).then(async (m) => {
    await m.default({ module_or_path: new URL('embed-pkg/cohortlens_embed_bg.wasm', HERE) });
    return m;
  });
  return engine;
}

/** Public API answers, fetched once per URL per page. */
const answers = new Map();
/** The public API's answer at `url` (JSON), fetched once per page; an error carries the HTTP
 * `status`, the API's error `code` and the seconds the server asked to wait (`retryAfter`). */
export function getJson(url) {
  if (!answers.has(url)) {
    answers.set(url, fetch(url, { mode: 'cors', credentials: 'omit' }).then(async (r) => {
      if (!r.ok) throw await apiError(r);
      return r.json();
    }));
    answers.get(url).catch(() => answers.delete(url));
  }
  return answers.get(url);
}

/** The error of a public API response that is not OK. */
async function apiError(response) {
  const body = await response.json().catch(() => null);
  const error = new Error(body?.error?.message ?? `the server answered ${response.status}`);
  error.status = response.status;
  error.code = body?.error?.code;
  error.retryAfter = Number(response.headers.get('Retry-After')) || 10;
  return error;
}

/** Servers that answered `public_publishing`, by the URL of their public API's index: a promise
 * that resolves once it answers. One poll of the index per server, however many elements wait. */
const publishing = new Map();
/** Resolves once the public API of the server at `base` (which just answered
 * `public_publishing`, asking to wait `seconds`) no longer says it is publishing. */
export function whenPublished(base, seconds) {
  const index = new URL('api/public/v1', base).href;
  if (!publishing.has(index)) {
    publishing.set(index, new Promise((resolve) => {
      const poll = () => fetch(index, { mode: 'cors', credentials: 'omit' }).then(async (r) => {
        const error = r.ok ? null : await apiError(r);
        if (error?.code === 'public_publishing') setTimeout(poll, error.retryAfter * 1000);
        else resolve();
      }, () => setTimeout(poll, seconds * 1000));
      setTimeout(poll, seconds * 1000);
    }).finally(() => publishing.delete(index)));
  }
  return publishing.get(index);
}

/**
 * Gives this page's elements a public answer the page already holds, so that they do not fetch
 * it again: the Data Browser page reads all the tables of the snapshot, a concept or a question
 * in one request (the public API's rate limit counts every request).
 */
export function share(url, body) {
  answers.set(new URL(url).href, Promise.resolve(body));
}

/** The public concept search of `search` text in `domain` (either may be empty), relative to the public API. */
export function conceptSearch(search, domain) {
  const params = new URLSearchParams({ q: search ?? '', limit: SEARCH_LIMIT });
  if (domain) params.set('domain', domain);
  return `concepts?${params}`;
}

/** Concepts of a search answer by disclosed count, most participants first (equal counts keep
 * the answer's order; a withheld count last). */
export function byParticipants(concepts) {
  return [...concepts].sort((a, b) => (b.participants.value ?? -1) - (a.participants.value ?? -1));
}

/** A top-concepts chart's title, as the Data Browser words it: "Top 10 Conditions by Descending
 * Participant Counts" ("Top 1 Condition …" for one). */
export function topConceptsTitle(n, domain, search) {
  const [plural, singular] = DOMAINS[domain] ?? ['concepts', 'concept'];
  const matching = search ? ` matching “${search}”` : '';
  return `Top ${n} ${n === 1 ? singular : plural}${matching} by Descending Participant Counts`;
}

/**
 * The top concepts of a search answer (`{policy, concepts}`) as a disclosed table the chart
 * module draws as horizontal bars, each labelled "name (VOCABULARY-CODE)" as the Data Browser's:
 * the first TOP_SIZE by disclosed count, their counts as the public API disclosed them. The
 * total is the domain's participants (the snapshot's `domains` table), or the dataset's.
 * Returns `{table, concepts}` (the concepts in the table's order).
 */
export function topConceptsTable(found, domains, domain, search) {
  const concepts = byParticipants(found.concepts).slice(0, TOP_SIZE);
  const row = domains.rows.find((r) => r.labels[0].toLowerCase() === domain);
  const table = {
    name: 'top_concepts',
    title: topConceptsTitle(concepts.length, domain, search),
    policy: found.policy,
    dimensions: ['Concept'],
    rows: concepts.map((c) => ({ labels: [`${c.name} (${c.vocabulary}-${c.code})`], count: c.participants, percent: null })),
    total: row?.count ?? domains.total,
  };
  return { table, concepts };
}

const STYLE = `
:host { all: initial; display: block; box-sizing: border-box; contain: content;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2433;
  background: #fff; border: 1px solid #d8dde6; border-radius: 6px; padding: 12px; margin: 0 0 1em; max-width: 100%; }
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: border-box; }
.title { all: unset; display: block; font-weight: 600; font-size: 16px; margin: 0 0 6px; color: #1d2433; }
canvas { display: block; width: 100%; }
.status { color: #5a6478; font-size: 14px; margin: 0; padding: 8px 0; }
.problem { color: #8a1c0a; background: #fdecea; border-left: 4px solid #a1260d; padding: 8px 10px; margin: 0; font-size: 14px; }
a { color: #0a5cad; text-decoration: underline; }
.count { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; margin: 0; }
.count strong { font-size: 28px; font-weight: 700; color: #0b5394; font-variant-numeric: tabular-nums; }
.count span { color: #1d2433; }
.note { color: #5a6478; font-size: 12px; margin: 6px 0 0; }
table { border-collapse: collapse; width: auto; min-width: min(100%, 22em); font-size: 14px; margin: 4px 0 0; }
th, td { text-align: left; padding: 4px 6px; border: 0; border-bottom: 1px solid #e3e7ee; font: inherit; }
th[scope="row"] { font-weight: 500; }
thead th { font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.source { display: block; margin-top: 6px; font-size: 12px; color: #5a6478; }
.body { position: relative; }
.sr:focus-within { position: static; width: auto; height: auto; overflow: visible; clip-path: none; white-space: normal; }
.tip { position: absolute; z-index: 1; pointer-events: none; background: #1d2433; color: #fff; font-size: 13px;
  line-height: 1.35; padding: 4px 8px; border-radius: 4px; max-width: min(24em, 100%); box-shadow: 0 1px 4px rgb(0 0 0 / 0.25); }
.tip[hidden] { display: none; }
.tip b { font-weight: 600; }
`;

/** What the elements share: attributes, the shadow root, the server, failures. */
class PublicElement extends HTMLElement {
  static observedAttributes = ['server', 'concept', 'question', 'fitbit', 'domain', 'search', 'statistic', 'answer', 'kind',
    'height', 'title'];

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.innerHTML = `<style>${STYLE}</style><div class="body" part="body"></div>`;
    this.body = this.root.querySelector('.body');
    this.generation = 0;
  }

  connectedCallback() { this.render(); }

  attributeChangedCallback() { if (this.isConnected) this.render(); }

  /** The server's base URL: the attribute, else where embed.js came from. */
  get server() {
    const given = this.getAttribute('server');
    try { return new URL(given ? (given.endsWith('/') ? given : `${given}/`) : HERE); } catch { return HERE; }
  }

  api(path) { return new URL(`api/public/v1/${path}`, this.server).href; }

  /** The Data Browser page for this element's subject: a concept, a concept's page (`concept`
   * given), or a search (a top-concepts chart). */
  browserLink(concept = this.getAttribute('concept')) {
    if (concept) return new URL(`browser.html#concept/${encodeURIComponent(concept)}`, this.server).href;
    if (this.getAttribute('statistic') === TOP_CONCEPTS) {
      const params = new URLSearchParams({ q: this.getAttribute('search') ?? '' });
      if (this.getAttribute('domain')) params.set('domain', this.getAttribute('domain'));
      return new URL(`browser.html#search/${params}`, this.server).href;
    }
    return new URL('browser.html', this.server).href;
  }

  show(html) { this.body.innerHTML = html; }

  text(s) { const d = document.createElement('div'); d.textContent = String(s); return d.innerHTML; }

  /** A disclosed count's label as HTML: a number with thousands separators, or "≤ 20" as it is. */
  count(label) { return this.text(/^\d+$/.test(label) ? Number(label).toLocaleString('en-US') : label); }

  heading() {
    const t = this.getAttribute('title');
    return t ? `<p class="title" role="heading" aria-level="3">${this.text(t)}</p>` : '';
  }

  /** Says plainly what went wrong and where the data can be seen instead; while the server is
   * publishing its aggregates, says that and draws again once they are there. */
  fail(error) {
    if (error?.code === 'public_publishing') {
      this.show(`${this.heading()}<p class="status" role="status">The cohortlens server is preparing its public
        data (it does this once after the dataset changes); this ${this.what} will appear when it is ready.</p>`);
      this.dataset.state = 'waiting';
      const generation = this.generation;
      whenPublished(this.server, error.retryAfter).then(() => { if (generation === this.generation) this.render(); });
      return;
    }
    const reached = error?.status !== undefined;
    const what = reached
      ? `The cohortlens server could not give this ${this.what}: ${this.text(error.message)}`
      : `The cohortlens server at ${this.text(this.server.origin)} cannot be reached right now, so this ${this.what} cannot be shown.`;
    this.show(`${this.heading()}<p class="problem" role="alert">${what}
      <a href="${this.text(this.browserLink())}" target="_blank" rel="noopener">Open the Data Browser</a> to see the data there.</p>`);
    this.dataset.state = 'error';
    this.dispatchEvent(new CustomEvent('cohortlens-error', { detail: { message: String(error?.message ?? error) } }));
  }

  async render() {
    const generation = ++this.generation;
    this.dataset.state = 'loading';
    this.show(`${this.heading()}<p class="status" role="status">Loading ${this.what}…</p>`);
    try {
      await this.draw(() => generation === this.generation);
      if (generation === this.generation) this.dataset.state = 'ready';
    } catch (error) {
      if (generation === this.generation) this.fail(error);
    }
  }
}

/** `<cohortlens-chart concept="ID" statistic="sex|age|ageSex|values|sources" kind="bar" height="320" title="…">`;
 * `question="ID"` (statistic `answers`, `answersBySex`, `answersByAge`, `answersByAgeSex` or any
 * other the public API lists for the question) or `fitbit="TILE"` (statistic `year`, `sex`,
 * `age`, `ageSex`) instead of `concept`. `answer="TEXT"` (an answer as the question's tables
 * label it, e.g. `answer="Excellent"`) picks the answer that a three-way table — answersByAgeSex,
 * answer × age × sex — draws: its age groups stacked by sex, with each sex's percent of the age
 * group in the data table (default: the answer with most participants).
 * `statistic="topConcepts" domain="condition" search="TEXT"` (either may be left out): the
 * Data Browser's top 10 concepts by participants, as horizontal bars; each bar and each name of
 * its data table opens the concept's Data Browser page; without `height`, as high as it needs. */
class CohortlensChart extends PublicElement {
  get what() { return 'chart'; }

  tableUrl() {
    const statistic = this.getAttribute('statistic') ?? 'ageSex';
    const concept = this.getAttribute('concept');
    const question = this.getAttribute('question');
    if (concept) return this.api(`concepts/${encodeURIComponent(concept)}/${encodeURIComponent(statistic)}`);
    if (question) return this.api(`surveys/questions/${encodeURIComponent(question)}/${encodeURIComponent(statistic)}`);
    const fitbit = this.getAttribute('fitbit');
    if (fitbit) return this.api(`fitbit/${encodeURIComponent(fitbit)}/${encodeURIComponent(statistic)}`);
    return this.api(`snapshot/${encodeURIComponent(statistic)}`);
  }

  /** The table to draw: `{table}`, with `concepts` (those of its rows) for top concepts. */
  async table() {
    if (this.getAttribute('statistic') !== TOP_CONCEPTS) return { table: await getJson(this.tableUrl()) };
    const domain = this.getAttribute('domain') ?? '';
    const search = (this.getAttribute('search') ?? '').trim();
    const [found, domains] = await Promise.all([getJson(this.api(conceptSearch(search, domain))),
      getJson(this.api('snapshot/domains'))]);
    return topConceptsTable(found, domains, domain, search);
  }

  /** Whether `href` is this very page (the Data Browser showing the element): then it opens in place. */
  static here(href) {
    const url = new URL(href);
    return url.origin === location.origin && url.pathname === location.pathname && url.search === location.search;
  }

  /** Opens a concept's Data Browser page: in place on the Data Browser page, else in a new tab. */
  openConcept(concept) {
    const href = this.browserLink(concept.conceptId);
    if (CohortlensChart.here(href)) location.hash = new URL(href).hash;
    else window.open(href, '_blank', 'noopener');
  }

  /** A cell of the data table; a concept's name (top concepts) is a link to its page. */
  cell(text, concept) {
    if (!concept) return this.text(text);
    const href = this.browserLink(concept.conceptId);
    const target = CohortlensChart.here(href) ? '' : ' target="_blank" rel="noopener"';
    return `<a href="${this.text(href)}"${target}>${this.text(text)}</a>`;
  }

  async draw(current) {
    const [{ table, concepts }, wasm] = await Promise.all([this.table(), chartEngine()]);
    if (!current()) return;
    const statistic = this.getAttribute('statistic') ?? 'ageSex';
    if (concepts?.length === 0) {
      this.show(`${this.heading()}<p class="status">No concept with participants matches${this.getAttribute('search')
        ? ` “${this.text(this.getAttribute('search'))}”` : ''}.
        <a href="${this.text(this.browserLink())}" target="_blank" rel="noopener">Search the Data Browser</a></p>`);
      return;
    }
    // Top concepts take the height they need unless the attribute sets one.
    const fits = concepts && !this.getAttribute('height');
    const clamp = (h) => Math.min(Math.max(Math.round(h), 160), 1200);
    let height = clamp(Number(this.getAttribute('height')) || 320);
    // The chart draws its own title (the attribute, else the table's).
    this.show(`<canvas role="img"></canvas><div class="tip" aria-hidden="true" hidden></div><div class="sr"></div>
      <a class="source" href="${this.text(this.browserLink())}" target="_blank" rel="noopener">Source: cohortlens Data Browser (public aggregates)</a>`);
    const canvas = this.body.querySelector('canvas');
    const tip = this.body.querySelector('.tip');
    let marks = [];
    /** The bar under the pointer, if any. */
    const hit = (event) => marks.find((m) => event.offsetX >= m.x && event.offsetX <= m.x + m.width
      && event.offsetY >= m.y - 2 && event.offsetY <= m.y + m.height);
    // A tooltip over the bar under the pointer: what it is, its count, its percent (e.g. "% of
    // age group"); the data table below says the same to a screen reader.
    const point = (event) => {
      const mark = hit(event);
      canvas.style.cursor = mark && concepts ? 'pointer' : '';
      if (!mark) { tip.hidden = true; return; }
      tip.innerHTML = mark.lines.map((l, i) => (i === 0 ? `<b>${this.text(l)}</b>` : this.text(l))).join('<br>');
      tip.hidden = false;
      tip.style.left = '0px';
      const x = canvas.offsetLeft + event.offsetX;
      const left = x + 12 + tip.offsetWidth <= this.body.clientWidth ? x + 12 : Math.max(0, x - 12 - tip.offsetWidth);
      tip.style.left = `${left}px`;
      tip.style.top = `${Math.max(0, canvas.offsetTop + event.offsetY - tip.offsetHeight - 8)}px`;
    };
    canvas.addEventListener('pointermove', point);
    canvas.addEventListener('pointerdown', point);
    canvas.addEventListener('pointerleave', () => { tip.hidden = true; });
    // A top concept's bar opens its page (the marks are the bars, one per row in the table's order).
    if (concepts) {
      canvas.addEventListener('click', (event) => {
        const at = marks.indexOf(hit(event));
        if (at >= 0 && concepts[at]) this.openConcept(concepts[at]);
      });
    }
    const paint = () => {
      const width = Math.max(Math.round(this.body.clientWidth || 480), 200);
      const ratio = window.devicePixelRatio || 1;
      const kind = this.getAttribute('kind') ?? KINDS[statistic] ?? KINDS_BY_DIMENSIONS[table.dimensions?.length] ?? 'bar';
      const spec = { kind, data: {} };
      const title = this.getAttribute('title');
      if (title) spec.title = title;
      const answer = this.getAttribute('answer');
      if (answer) spec.options = { answer };
      const drawAt = (h) => {
        canvas.style.height = `${h}px`;
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(h * ratio);
        return JSON.parse(wasm.drawChart(canvas, JSON.stringify(spec), JSON.stringify(table), ratio));
      };
      let summary = drawAt(height);
      if (fits && clamp(summary.preferredHeight) !== height) {
        height = clamp(summary.preferredHeight);
        summary = drawAt(height);
      }
      canvas.setAttribute('aria-label', summary.label);
      marks = summary.marks ?? [];
      // Redrawn, the data table keeps the keyboard's place in it.
      const sr = this.body.querySelector('.sr');
      const focused = [...sr.querySelectorAll('a')].indexOf(this.root.activeElement);
      sr.innerHTML = `<table><caption>${this.text(summary.title)}</caption>
        <thead><tr>${summary.columns.map((c) => `<th scope="col">${this.text(c)}</th>`).join('')}</tr></thead>
        <tbody>${summary.rows.map((r, i) => `<tr>${r.map((c, j) => `<td>${this.cell(c, j === 0 ? concepts?.[i] : null)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
      if (focused >= 0) sr.querySelectorAll('a')[focused]?.focus();
    };
    paint();
    this.resize?.disconnect();
    let last = this.body.clientWidth;
    this.resize = new ResizeObserver(() => {
      // Hidden (a collapsed section): nothing to draw; shown again at its width, nothing to redraw.
      if (this.body.clientWidth === 0 || Math.abs(this.body.clientWidth - last) < 4) return;
      last = this.body.clientWidth;
      clearTimeout(this.pending);
      this.pending = setTimeout(() => { try { paint(); } catch (e) { this.fail(e); } }, 120);
    });
    this.resize.observe(this.body);
  }

  disconnectedCallback() { this.resize?.disconnect(); }
}

/** `<cohortlens-count concept="ID" title="…">`: a concept's participants, disclosed. */
class CohortlensCount extends PublicElement {
  get what() { return 'count'; }

  async draw(current) {
    const concept = this.getAttribute('concept');
    if (!concept) throw Object.assign(new Error('give the element a concept="ID" attribute'), { status: 400 });
    const { concept: c } = await getJson(this.api(`concepts/${encodeURIComponent(concept)}`));
    if (!current()) return;
    this.show(`${this.heading()}<p class="count"><strong>${this.count(c.participants.label)}</strong>
      <span>participants with ${this.text(c.name)}</span></p>
      <p class="note">${this.text(c.domain)} · ${this.text(c.vocabulary)} ${this.text(c.code)} ·
      counts rounded up to the next 20 (All of Us policy).
      <a href="${this.text(this.browserLink())}" target="_blank" rel="noopener">More in the Data Browser</a></p>`);
  }
}

/** `<cohortlens-snapshot title="…">`: the participants and the data types of the dataset. */
class CohortlensSnapshot extends PublicElement {
  get what() { return 'snapshot'; }

  async draw(current) {
    const snapshot = await getJson(this.api('snapshot'));
    if (!current()) return;
    const domains = snapshot.tables.domains;
    const rows = domains.rows.map((r) => `<tr><th scope="row">${this.text(r.labels.join(' · '))}</th>
      <td class="n">${this.count(r.count.label)}</td></tr>`).join('');
    this.show(`${this.heading()}<p class="count"><strong>${this.count(domains.total.label)}</strong>
      <span>participants in ${this.text(snapshot.dataset)}</span></p>
      <table><caption class="sr">Participants by data type</caption>
      <thead><tr><th scope="col">Data type</th><th scope="col">Participants</th></tr></thead><tbody>${rows}</tbody></table>
      <p class="note">Published ${this.text(snapshot.published.slice(0, 10))}; counts rounded up to the next 20 (All of Us policy).
      <a href="${this.text(this.browserLink())}" target="_blank" rel="noopener">Open the Data Browser</a></p>`);
  }
}

for (const [name, element] of [['cohortlens-chart', CohortlensChart], ['cohortlens-count', CohortlensCount],
  ['cohortlens-snapshot', CohortlensSnapshot]]) {
  if (!customElements.get(name)) customElements.define(name, element);
}

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

/** The default chart kind of each published statistic. */
const KINDS = {
  sex: 'bar', age: 'bar', ageSex: 'groupedBar', values: 'histogram', sources: 'bar', domains: 'bar',
  answers: 'bar', answersBySex: 'groupedBar', answersByAge: 'groupedBar', sexAtBirth: 'bar', gender: 'bar',
  race: 'bar', ethnicity: 'bar', raceEthnicity: 'bar',
};

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
function getJson(url) {
  if (!answers.has(url)) {
    answers.set(url, fetch(url, { mode: 'cors', credentials: 'omit' }).then(async (r) => {
      if (!r.ok) {
        const body = await r.json().catch(() => null);
        const error = new Error(body?.error?.message ?? `the server answered ${r.status}`);
        error.status = r.status;
        throw error;
      }
      return r.json();
    }));
    answers.get(url).catch(() => answers.delete(url));
  }
  return answers.get(url);
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
`;

/** What the elements share: attributes, the shadow root, the server, failures. */
class PublicElement extends HTMLElement {
  static observedAttributes = ['server', 'concept', 'question', 'fitbit', 'statistic', 'kind', 'height', 'title'];

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

  /** The Data Browser page for this element's subject. */
  browserLink() {
    const concept = this.getAttribute('concept');
    return new URL(`browser.html${concept ? `#concept/${encodeURIComponent(concept)}` : ''}`, this.server).href;
  }

  show(html) { this.body.innerHTML = html; }

  text(s) { const d = document.createElement('div'); d.textContent = String(s); return d.innerHTML; }

  /** A disclosed count's label as HTML: a number with thousands separators, or "≤ 20" as it is. */
  count(label) { return this.text(/^\d+$/.test(label) ? Number(label).toLocaleString('en-US') : label); }

  heading() {
    const t = this.getAttribute('title');
    return t ? `<p class="title" role="heading" aria-level="3">${this.text(t)}</p>` : '';
  }

  /** Says plainly what went wrong and where the data can be seen instead. */
  fail(error) {
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
 * `question="ID"` (statistic `answers`, `answersBySex`, `answersByAge`) or `fitbit="TILE"` (statistic `year`, `sex`, `age`, `ageSex`) instead of `concept`. */
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

  async draw(current) {
    const [table, wasm] = await Promise.all([getJson(this.tableUrl()), chartEngine()]);
    if (!current()) return;
    const statistic = this.getAttribute('statistic') ?? 'ageSex';
    const height = Math.min(Math.max(Number(this.getAttribute('height')) || 320, 160), 1200);
    // The chart draws its own title (the attribute, else the table's).
    this.show(`<canvas role="img"></canvas><div class="sr"></div>
      <a class="source" href="${this.text(this.browserLink())}" target="_blank" rel="noopener">Source: cohortlens Data Browser (public aggregates)</a>`);
    const canvas = this.body.querySelector('canvas');
    const paint = () => {
      const width = Math.max(Math.round(this.body.clientWidth || 480), 200);
      const ratio = window.devicePixelRatio || 1;
      canvas.style.height = `${height}px`;
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      const spec = { kind: this.getAttribute('kind') ?? KINDS[statistic] ?? 'bar', data: {} };
      const title = this.getAttribute('title');
      if (title) spec.title = title;
      const summary = JSON.parse(wasm.drawChart(canvas, JSON.stringify(spec), JSON.stringify(table), ratio));
      canvas.setAttribute('aria-label', summary.label);
      this.body.querySelector('.sr').innerHTML = `<table><caption>${this.text(summary.title)}</caption>
        <thead><tr>${summary.columns.map((c) => `<th scope="col">${this.text(c)}</th>`).join('')}</tr></thead>
        <tbody>${summary.rows.map((r) => `<tr>${r.map((c) => `<td>${this.text(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    };
    paint();
    this.resize?.disconnect();
    let last = this.body.clientWidth;
    this.resize = new ResizeObserver(() => {
      if (Math.abs(this.body.clientWidth - last) < 4) return;
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

// A static HTML report of the notebook's outputs: text, each cohort's counts and review charts,
// charts as SVG, tables, code values — every cell's output with the policy it was disclosed
// under. No script in it.
import { REVIEW_CHARTS, previewElement, statTableElement, policyNote } from './cells.js';
import { renderMarkdown } from './markdown.js';
import { download } from './store.js';

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1d2430}
h1{font-size:1.8rem}section{border-top:1px solid #d5dae1;padding:1rem 0}body>section:first-child{border-top:0}table{border-collapse:collapse;margin:.5rem 0}
th,td{border-bottom:1px solid #e3e7ec;padding:.2rem .6rem;text-align:left}.num{text-align:right}caption{text-align:left;font-weight:600}
.policy-note{color:#4a5566;font-size:.9rem}svg{max-width:100%;height:auto}.review{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}pre{background:#f4f6f8;padding:.6rem;overflow:auto}`;

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** Builds the report of `notebook` with `lens` and downloads it. */
export async function exportReport(notebook, lens) {
  const doc = notebook.toJSON();
  const definitions = new Map(doc.cells.filter((c) => c.kind === 'cohort').map((c) => [c.name, c.definition]));
  const parts = [];
  for (const [i, cell] of doc.cells.entries()) {
    const heading = cell.name ? `<h2>${escapeHtml(cell.name)}</h2>` : '';
    if (cell.kind === 'markdown') {
      parts.push(`<section>${renderMarkdown(cell.source).innerHTML}</section>`);
    } else if (cell.kind === 'cohort') {
      const preview = await lens.preview(cell.definition);
      // The cohort's review charts (demographics, age × sex, top conditions), as in the page.
      const review = [];
      for (const spec of REVIEW_CHARTS) review.push(await lens.chartSvg({ ...spec, cohort: cell.definition }));
      parts.push(`<section>${heading}${previewElement(cell.definition, preview, lens.policy).outerHTML}
<h3>Review charts of ${escapeHtml(cell.name ?? 'this cohort')}</h3><div class="review">${review.join('\n')}</div>${policyNote(lens.policy).outerHTML}</section>`);
    } else if (cell.kind === 'chart') {
      const spec = { ...cell.spec, ...(cell.cohort ? { cohort: definitions.get(cell.cohort) } : {}) };
      const svg = await lens.chartSvg(spec);
      parts.push(`<section>${heading}${svg}${policyNote(lens.policy).outerHTML}</section>`);
    } else if (cell.kind === 'table') {
      const t = cell.cohort
        ? await lens.statistics(definitions.get(cell.cohort), cell.request)
        : await lens.conceptStatistics(cell.conceptId, cell.request);
      parts.push(`<section>${heading}${statTableElement(t).outerHTML}</section>`);
    } else if (cell.kind === 'code') {
      const output = notebook.cells[i].output.innerText.trim();
      parts.push(`<section>${heading}<pre>${escapeHtml(cell.source)}</pre>${output ? `<p>Result:</p><pre>${escapeHtml(output)}</pre>` : ''}${policyNote(lens.policy).outerHTML}</section>`);
    }
  }
  // The title, unless the notebook's first text already opens with it.
  const first = doc.cells[0]?.kind === 'markdown' ? renderMarkdown(doc.cells[0].source).querySelector('h1')?.textContent.trim() : undefined;
  const title = first === doc.title.trim() ? '' : `<h1>${escapeHtml(doc.title)}</h1>`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(doc.title)}</title><style>${STYLE}</style></head><body>${title}
${title ? '' : parts.shift()}
<p class="policy-note">Report of a cohortlens notebook, ${new Date().toISOString().slice(0, 10)}. ${escapeHtml(policyNote(lens.policy).textContent)}</p>
${parts.join('\n')}</body></html>`;
  download(new Blob([html], { type: 'text/html' }), `${doc.title.replace(/[^\w-]+/g, '-').toLowerCase() || 'notebook'}-report.html`);
  return html;
}

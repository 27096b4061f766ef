// Markdown of the Text cells: marked, then DOMPurify (no script, no handler, no javascript: URL).
import { marked, DOMPurify } from '../vendor/markdown.js';

/** The Markdown `source` as sanitised HTML in a <div>. */
export function renderMarkdown(source) {
  const div = document.createElement('div');
  div.className = 'markdown';
  div.innerHTML = DOMPurify.sanitize(marked.parse(source ?? '', { async: false }));
  for (const a of div.querySelectorAll('a[href^="http"]')) {
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
  return div;
}

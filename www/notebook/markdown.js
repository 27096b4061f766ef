// Markdown of the Text cells: marked, then DOMPurify (no script, no handler, no javascript: URL).
import { marked, DOMPurify } from '../vendor/markdown.js';

/** Sanitised `html` in a <div class="markdown">, outside links opening in a new tab. */
function markdownDiv(html) {
  const div = document.createElement('div');
  div.className = 'markdown';
  div.innerHTML = DOMPurify.sanitize(html);
  for (const a of div.querySelectorAll('a[href^="http"]')) {
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
  return div;
}

/** The Markdown `source` as sanitised HTML in a <div>. */
export function renderMarkdown(source) {
  return markdownDiv(marked.parse(source ?? '', { async: false }));
}

/**
 * The same, in three tasks (lexing, HTML, sanitising) with `pause()` awaited between them, so
 * that a long text (or marked's first use, which compiles its expressions) never holds the page
 * for one long task.
 */
export async function renderMarkdownInSteps(source, pause) {
  await pause();
  const tokens = marked.lexer(source ?? '');
  await pause();
  const html = marked.parser(tokens);
  await pause();
  return markdownDiv(html);
}

// Vendored for www/notebook/: Markdown to HTML, sanitised.
export { marked } from 'marked';
export { default as DOMPurify } from 'dompurify';

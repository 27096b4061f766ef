// Vendored for www/notebook/: CodeMirror 6 (its minimal set-up plus line numbers and bracket
// closing), JavaScript and JSON as CodeMirror's stream-parser modes (@codemirror/legacy-modes:
// a few KB, where the full Lezer JavaScript grammar with TypeScript and JSX would cost ~30 KB
// gzipped of the page's 250 KB budget), and what a highlight style of our own needs.
export { EditorView, minimalSetup } from 'codemirror';
export { keymap, lineNumbers } from '@codemirror/view';
export { Prec } from '@codemirror/state';
export { closeBrackets } from '@codemirror/autocomplete';
export { bracketMatching, HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
export { tags } from '@lezer/highlight';
export { javascript, json } from '@codemirror/legacy-modes/mode/javascript';

// Vendored for www/notebook/: CodeMirror 6 (its minimal set-up plus line numbers and bracket
// closing) with JavaScript and JSON, and what a highlight style of our own needs.
export { EditorView, minimalSetup } from 'codemirror';
export { keymap, lineNumbers } from '@codemirror/view';
export { Prec } from '@codemirror/state';
export { closeBrackets } from '@codemirror/autocomplete';
export { bracketMatching, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
export { tags } from '@lezer/highlight';
export { javascript } from '@codemirror/lang-javascript';
export { json } from '@codemirror/lang-json';

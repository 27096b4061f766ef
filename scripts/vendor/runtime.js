// Vendored for www/notebook/: the reactive runtime, its inspector, and the JavaScript parser that
// finds which cells a Code cell names.
export { Runtime } from '@observablehq/runtime';
export { Inspector } from '@observablehq/inspector';
export { parse } from 'acorn';
export { full as walkFull } from 'acorn-walk';

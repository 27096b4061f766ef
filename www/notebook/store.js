// A notebook as a document: checked on reading, saved as a .json file, autosaved to
// localStorage, shared in the URL's hash (deflated, base64url).
const AUTOSAVE_KEY = 'cohortlens.notebook';
export const KINDS = ['markdown', 'cohort', 'chart', 'table', 'code'];

/**
 * Checks a notebook document `{title, cells: [{kind, …}]}` and returns it; throws an `Error`
 * that says what is wrong.
 */
export function validate(doc) {
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.cells)) {
    throw new Error('a notebook is a JSON object with a "cells" array; this file is something else');
  }
  doc.cells.forEach((cell, i) => {
    if (!cell || !KINDS.includes(cell.kind)) {
      throw new Error(`cell ${i + 1} has kind ${JSON.stringify(cell?.kind)}; a cell's kind is one of ${KINDS.join(', ')}`);
    }
    if (cell.name !== undefined && cell.name !== '' && !/^[A-Za-z_$][\w$]*$/.test(cell.name)) {
      throw new Error(`cell ${i + 1} is named ${JSON.stringify(cell.name)}; a name is a JavaScript identifier such as diabetes or cohort1`);
    }
  });
  return { title: String(doc.title ?? 'Untitled notebook'), cells: doc.cells };
}

export function saveAutosave(doc) {
  try {
    localStorage.setItem(AUTOSAVE_KEY, JSON.stringify(doc));
  } catch {
    // Storage full or disabled: the notebook still works; Save keeps a copy.
  }
}

export function loadAutosave() {
  try {
    const text = localStorage.getItem(AUTOSAVE_KEY);
    return text ? validate(JSON.parse(text)) : null;
  } catch {
    return null;
  }
}

export function downloadJson(doc, filename) {
  download(new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: 'application/json' }), filename);
}

export function download(blob, filename) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export async function readJsonFile(file) {
  let doc;
  try {
    doc = JSON.parse(await file.text());
  } catch (e) {
    throw new Error(`it is not JSON (${e.message})`);
  }
  return validate(doc);
}

async function pipe(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}

/** The notebook deflated and base64url-encoded, for the URL's hash. */
export async function encodeShared(doc) {
  const bytes = await pipe(new TextEncoder().encode(JSON.stringify(doc)), new CompressionStream('deflate-raw'));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function decodeShared(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(await pipe(bytes, new DecompressionStream('deflate-raw'))));
}

// The notebook: a list of cells on an Observable runtime. Each cell is a runtime variable
// `__cell_<id>` (its output) and, when named, a variable of its name (its value), so a cell
// that names another re-runs when that one changes. The runtime schedules; this module keeps
// the document, the DOM of each cell and its running / done / error state.
import { Runtime } from '../vendor/runtime.js';
import { KINDS_BY_NAME } from './cells.js';
import { validate } from './store.js';
import { checkResult } from './check.js';

let nextId = 1;

/** A promise that rejects with a "Cancelled" error when `signal` aborts. */
function whenAborted(signal) {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(Object.assign(new Error('Cancelled. Press Run to run the cell again.'), { code: 'cancelled' })), { once: true });
  });
}

export class Notebook {
  /**
   * `list`: the <ol> of cells; `titleInput`: the title field; `onChange(doc)`: called (debounced)
   * after every edit; `openLens(options)`: opens another lens (Code cells' `open`).
   */
  constructor(list, { titleInput, onChange, openLens }) {
    this.list = list;
    this.titleInput = titleInput;
    this.onChange = onChange;
    this.cells = [];
    this.runtime = new Runtime({
      open: () => openLens,
      check: () => checkResult,
    });
    this.module = this.runtime.module();
    this.lensVariable = this.module.variable();
    this.newLensPromise();
    titleInput.addEventListener('input', () => this.changed());
  }

  get title() {
    return this.titleInput.value;
  }

  /**
   * Defines `lens` as a promise settled later by `setLens`. (The runtime computes a variable
   * again only once its previous promise has settled, so a lens never settles by redefinition.)
   */
  newLensPromise() {
    const deferred = { settled: false };
    deferred.promise = new Promise((resolve, reject) => {
      deferred.resolve = (v) => { deferred.settled = true; resolve(v); };
      deferred.reject = (e) => { deferred.settled = true; reject(e); };
    });
    // Rejected before the runtime asks for it is not an unhandled rejection.
    deferred.promise.catch(() => {});
    this.lensDeferred = deferred;
    this.lensVariable.define('lens', [], () => deferred.promise);
  }

  /** Hands the loaded lens to the cells (`null`: still loading, or `error` when it failed). */
  setLens(lens, error) {
    this.lens = lens;
    if (this.lensDeferred.settled) this.newLensPromise();
    if (lens) this.lensDeferred.resolve(lens);
    else if (error) this.lensDeferred.reject(error);
    for (const cell of this.cells) cell.kind.lensChanged?.(cell, lens);
  }

  /** Replaces the notebook with `doc` (checked by `validate`). */
  load(doc) {
    doc = validate(doc);
    for (const cell of this.cells) this.dispose(cell);
    this.cells = [];
    this.list.replaceChildren();
    this.titleInput.value = doc.title;
    for (const data of doc.cells) this.insert(data, this.cells.length);
    // A Code cell may name a cell defined further down.
    this.redefineAll();
    this.changed();
  }

  toJSON() {
    return { format: 'cohortlens-notebook', version: 1, title: this.title, cells: this.cells.map((c) => c.kind.save(c)) };
  }

  /** Adds a new cell of `kind` at `index` (default: the end), focused. */
  add(kind, index = this.cells.length) {
    const cell = this.insert(KINDS_BY_NAME[kind].blank(this), index);
    this.changed();
    cell.kind.focus?.(cell) ?? cell.el.querySelector('button, input, textarea, [contenteditable]')?.focus();
    return cell;
  }

  /** Names in use by cells other than `except`. */
  names(except) {
    return new Set(this.cells.filter((c) => c !== except && c.data.name).map((c) => c.data.name));
  }

  /** A fresh name `prefix1`, `prefix2`, …. */
  freshName(prefix) {
    const used = this.names();
    let n = 1;
    while (used.has(`${prefix}${n}`)) n += 1;
    return `${prefix}${n}`;
  }

  insert(data, index) {
    const kind = KINDS_BY_NAME[data.kind];
    const cell = { id: nextId++, kind, data: structuredClone(data), notebook: this };
    cell.el = this.renderShell(cell);
    this.cells.splice(index, 0, cell);
    this.list.insertBefore(cell.el, this.list.children[index] ?? null);
    kind.mount(cell);
    this.define(cell);
    this.refreshMoves();
    return cell;
  }

  renderShell(cell) {
    const li = document.createElement('li');
    li.className = 'cell';
    li.dataset.kind = cell.data.kind;
    li.dataset.status = 'idle';
    if (cell.data.name) li.dataset.name = cell.data.name;
    li.setAttribute('aria-label', `${cell.kind.label} cell`);
    const head = document.createElement('div');
    head.className = 'cell-head';
    const label = document.createElement('span');
    label.className = 'kind';
    label.textContent = cell.kind.label;
    head.append(label);
    if (cell.kind.named) {
      const name = document.createElement('input');
      name.className = 'cell-name';
      name.value = cell.data.name ?? '';
      name.placeholder = 'name';
      name.spellcheck = false;
      name.setAttribute('aria-label', `${cell.kind.label} cell name (other cells use it)`);
      name.addEventListener('change', () => this.rename(cell, name));
      head.append(name);
      cell.nameInput = name;
    }
    const state = document.createElement('span');
    state.className = 'state';
    state.setAttribute('role', 'status');
    head.append(state);
    const buttons = document.createElement('span');
    buttons.className = 'cell-buttons';
    const button = (text, title, action, cls) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = text;
      b.title = title;
      b.setAttribute('aria-label', title);
      if (cls) b.className = cls;
      b.addEventListener('click', action);
      buttons.append(b);
      return b;
    };
    cell.runButton = button('Run', 'Run this cell', () => this.run(cell), 'run');
    cell.cancelButton = button('Cancel', 'Cancel this cell', () => this.cancel(cell), 'cancel');
    cell.cancelButton.hidden = true;
    cell.upButton = button('↑', 'Move this cell up', () => this.move(cell, -1));
    cell.downButton = button('↓', 'Move this cell down', () => this.move(cell, 1));
    button('✕', 'Delete this cell', () => this.remove(cell), 'delete');
    head.append(buttons);
    const input = document.createElement('div');
    input.className = 'cell-input';
    const output = document.createElement('div');
    output.className = 'cell-output';
    const error = document.createElement('div');
    error.className = 'cell-error';
    error.setAttribute('role', 'alert');
    li.append(head, input, output, error);
    Object.assign(cell, { input, output, error, state });
    // Shift+Enter anywhere in the cell (outside an editor, which handles it itself) runs it.
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && e.shiftKey && !e.defaultPrevented) {
        e.preventDefault();
        this.run(cell);
      }
    });
    return li;
  }

  rename(cell, input) {
    const name = input.value.trim();
    if (name && !/^[A-Za-z_$][\w$]*$/.test(name)) {
      this.showError(cell, new Error(`“${name}” cannot name a cell: use letters, digits and _ (not first a digit), e.g. diabetes2`));
      input.value = cell.data.name ?? '';
      return;
    }
    if (name && this.names(cell).has(name)) {
      this.showError(cell, new Error(`another cell is already named “${name}”; pick another name`));
      input.value = cell.data.name ?? '';
      return;
    }
    cell.data.name = name || undefined;
    if (name) cell.el.dataset.name = name; else delete cell.el.dataset.name;
    this.redefineAll();
    this.changed();
  }

  /** (Re)defines the runtime variables of `cell` from its current data: it runs again. */
  define(cell) {
    cell.controller?.abort();
    const controller = new AbortController();
    cell.controller = controller;
    const { inputs, run } = cell.kind.definition(cell);
    const internal = `__cell_${cell.id}`;
    const observer = {
      pending: () => this.setStatus(cell, 'running'),
      fulfilled: (result) => {
        this.setStatus(cell, 'done');
        cell.error.replaceChildren();
        if (result?.display !== undefined) cell.kind.show?.(cell, result.display) ?? cell.output.replaceChildren(result.display);
      },
      rejected: (error) => this.showError(cell, error),
    };
    cell.inputs = inputs;
    // Running from now: the runtime reports pending only on its next turn, and a page that reads
    // the statuses in between must not take the previous run's "done" for this run's.
    this.setStatus(cell, 'running');
    const fn = (...args) => {
      const signal = cell.controller.signal;
      return Promise.race([run(...args, signal), whenAborted(signal)]);
    };
    if (!cell.variable) cell.variable = this.module.variable(observer);
    cell.variable.define(internal, inputs, fn);
    const name = cell.kind.named ? cell.data.name : undefined;
    if (name) {
      if (!cell.valueVariable) cell.valueVariable = this.module.variable();
      if (cell.definedName !== name) {
        cell.valueVariable.define(name, [internal], (r) => r.value);
        cell.definedName = name;
      }
    } else if (cell.valueVariable) {
      cell.valueVariable.delete();
      cell.valueVariable = null;
      cell.definedName = undefined;
    }
  }

  /** After a rename: cells whose inputs changed are defined again. */
  redefineAll() {
    for (const cell of this.cells) {
      const before = JSON.stringify(cell.inputs);
      const after = JSON.stringify(cell.kind.definition(cell).inputs);
      if (before !== after || cell.definedName !== (cell.data.name || undefined)) this.define(cell);
      cell.kind.namesChanged?.(cell);
    }
  }

  setStatus(cell, status) {
    cell.el.dataset.status = status;
    const waiting = status === 'running' && !this.lens && cell.inputs?.length;
    cell.state.textContent = waiting ? 'Waiting for the dataset…' : status === 'running' ? 'Running…' : status === 'error' ? 'Error' : '';
    cell.cancelButton.hidden = status !== 'running';
  }

  showError(cell, error) {
    const cancelled = error?.code === 'cancelled';
    this.setStatus(cell, cancelled ? 'cancelled' : 'error');
    if (cancelled) cell.state.textContent = 'Cancelled';
    const p = document.createElement('p');
    let message = error?.message ?? String(error);
    // The runtime's own errors for a name nobody defines.
    if (/^(\w+) is not defined$/.test(message)) message += ` — no cell is named ${message.split(' ')[0]}`;
    p.textContent = message;
    const list = document.createElement('ul');
    for (const e of error?.errors ?? []) {
      const li = document.createElement('li');
      li.textContent = `${e.path}: ${e.message}`;
      list.append(li);
    }
    cell.error.replaceChildren(p, ...(list.children.length ? [list] : []));
  }

  run(cell) {
    cell.kind.commit?.(cell);
    this.define(cell);
    this.changed();
  }

  cancel(cell) {
    cell.controller?.abort();
  }

  runAll() {
    for (const cell of this.cells) {
      cell.kind.commit?.(cell);
      this.define(cell);
    }
    this.changed();
  }

  move(cell, step) {
    const from = this.cells.indexOf(cell);
    const to = from + step;
    if (to < 0 || to >= this.cells.length) return;
    this.cells.splice(from, 1);
    this.cells.splice(to, 0, cell);
    this.list.insertBefore(cell.el, step < 0 ? this.cells[to + 1].el : this.cells[to - 1].el.nextSibling);
    this.refreshMoves();
    (step < 0 ? cell.upButton : cell.downButton).focus();
    this.changed();
  }

  remove(cell) {
    const index = this.cells.indexOf(cell);
    this.dispose(cell);
    this.cells.splice(index, 1);
    cell.el.remove();
    this.refreshMoves();
    this.redefineAll();
    const next = this.cells[Math.min(index, this.cells.length - 1)];
    (next?.runButton ?? document.querySelector('[data-add="markdown"]'))?.focus();
    this.changed();
  }

  dispose(cell) {
    cell.controller?.abort();
    cell.kind.unmount?.(cell);
    cell.variable?.delete();
    cell.valueVariable?.delete();
  }

  refreshMoves() {
    this.cells.forEach((c, i) => {
      c.upButton.disabled = i === 0;
      c.downButton.disabled = i === this.cells.length - 1;
    });
  }

  /** The cells of a kind (e.g. cohorts, for the cohort pickers of charts and tables). */
  cellsOf(kind) {
    return this.cells.filter((c) => c.data.kind === kind);
  }

  changed() {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.onChange?.(this.toJSON()), 300);
  }
}


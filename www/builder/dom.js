// Small DOM helpers shared by the builder's modules: element creation, modal dialogs that trap
// and return focus, and the display of disclosed counts.

/**
 * Creates an element: `h('button', {type: 'button', onclick: f, class: 'x'}, 'text', child)`.
 * Keys starting with `on` become listeners; `false`, `null` and `undefined` attributes are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

let dialogCount = 0;

/**
 * Opens a modal dialog titled `title` holding `body`; focus is trapped inside (the page behind
 * is inert), Escape or Close closes it, and focus returns to where it was.
 * Returns `{dialog, close, setBody}`.
 */
export function openDialog(title, body, { wide = false, onClose } = {}) {
  const opener = document.activeElement;
  const titleId = `cb-dialog-title-${++dialogCount}`;
  const content = h('div', { class: 'cb-dialog-body' }, body);
  const dialog = h('dialog', { class: `cb-dialog${wide ? ' cb-wide' : ''}`, 'aria-labelledby': titleId },
    h('div', { class: 'cb-dialog-head' },
      h('h2', { id: titleId }, title),
      h('button', { type: 'button', class: 'cb-close', 'aria-label': `Close ${title}`, onclick: () => close() }, '×')),
    content);
  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    dialog.close();
    dialog.remove();
    onClose?.();
    if (opener?.isConnected) opener.focus();
  }
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
  const first = content.querySelector('input, select, textarea, button');
  (first ?? dialog.querySelector('.cb-close')).focus();
  return { dialog, close, setBody: (node) => content.replaceChildren(node) };
}

/** The text of a disclosed count: its label, with thousands separators when it is a number. */
export function countText(disclosed) {
  if (!disclosed) return '—';
  const label = String(disclosed.label);
  return /^\d+$/.test(label) ? Number(label).toLocaleString('en-US') : label;
}

/** A count element: `<span class="cb-count">` with a readable name. */
export function countBadge(disclosed, what = 'participants') {
  const text = countText(disclosed);
  return h('span', { class: 'cb-count', 'data-count': '' }, text, h('span', { class: 'cb-count-unit' }, ` ${what}`));
}

/** The policy in plain words. */
export function policyWords(policy) {
  return {
    aou: 'Counts follow the All of Us dissemination policy: 1 to 20 participants show as “≤ 20”, larger counts are rounded up to the next multiple of 20.',
    suppress: 'Counts from 1 to 20 participants are withheld and show as “≤ 20”; other counts are exact.',
    perturbed: 'Counts carry a little random noise and are then rounded up to a multiple of 20; 1 to 20 show as “≤ 20”.',
  }[policy] ?? `Counts are disclosed under the “${policy}” policy.`;
}

/** Calls `fn` `ms` after the last call (the previous pending call is dropped). */
export function debounce(fn, ms) {
  let timer;
  const debounced = (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** A spinner with an accessible name, hidden until `running` is set on an ancestor. */
export function spinner(label = 'Counting') {
  return h('span', { class: 'cb-spinner', role: 'status', 'aria-label': label });
}

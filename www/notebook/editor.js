// CodeMirror 6 editors of the cells (loaded on first use). Shift+Enter runs the cell; Tab is
// left to the browser so the keyboard can leave the editor.
let loading = null;

function codemirror() {
  loading ??= import('../vendor/editor.js');
  return loading;
}

/** Syntax colours that all reach a 4.5:1 contrast on white (WCAG AA). */
function highlightStyle(cm) {
  const t = cm.tags;
  return cm.HighlightStyle.define([
    { tag: t.keyword, color: '#6f2da8' },
    { tag: [t.atom, t.bool, t.null, t.number], color: '#1a4fa0' },
    { tag: [t.string, t.special(t.string), t.regexp, t.escape], color: '#9a1b1b' },
    { tag: t.comment, color: '#5c5c5c', fontStyle: 'italic' },
    { tag: [t.propertyName, t.definition(t.propertyName)], color: '#00507a' },
    { tag: t.definition(t.variableName), color: '#0b5a2a' },
    { tag: t.invalid, color: '#b00020' },
  ]);
}

/**
 * An editor in `parent` holding `doc`, for `language` ('javascript', 'json' or 'text'), with
 * `label` as its accessible name. `onChange(text)` after each edit; `onRun()` on Shift+Enter.
 * Resolves to `{view, get text(), set text(t), focus()}`.
 */
export async function createEditor(parent, { doc, language, label, onChange, onRun }) {
  const cm = await codemirror();
  const mode = { javascript: cm.javascript, json: cm.json }[language];
  // The modes name JSON keys and object properties "property", which CodeMirror's table lacks.
  const languageSupport = mode ? [cm.StreamLanguage.define({ ...mode, tokenTable: { property: cm.tags.propertyName } })] : [];
  const view = new cm.EditorView({
    doc,
    parent,
    extensions: [
      // Wrapped lines: the editor never scrolls sideways (a scrolled region must be reachable
      // by keyboard, and the editor's content is).
      cm.EditorView.lineWrapping,
      ...(language === 'text' ? [] : [cm.lineNumbers(), cm.bracketMatching(), cm.closeBrackets()]),
      cm.Prec.high(cm.syntaxHighlighting(highlightStyle(cm))),
      cm.minimalSetup,
      ...languageSupport,
      cm.Prec.highest(cm.keymap.of([{ key: 'Shift-Enter', run: () => { onRun?.(); return true; } }])),
      cm.EditorView.updateListener.of((u) => { if (u.docChanged) onChange?.(u.state.doc.toString()); }),
      cm.EditorView.contentAttributes.of({ 'aria-label': label }),
    ],
  });
  return {
    view,
    get text() { return view.state.doc.toString(); },
    set text(t) {
      if (t !== view.state.doc.toString()) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } });
    },
    focus() { view.focus(); },
    destroy() { view.destroy(); },
  };
}

/**
 * Focuses the editor that `ready` resolves to, unless the focus moved while it loaded: a field
 * the user clicked or tabbed to meanwhile keeps the focus and what is typed into it.
 */
export async function focusWhenReady(ready) {
  const before = document.activeElement;
  const editor = await ready;
  if (document.activeElement === before) editor.focus();
  return editor;
}

// CodeMirror 6 editors of the cells (loaded on first use). Shift+Enter runs the cell; Tab is
// left to the browser so the keyboard can leave the editor.
let loading = null;

function codemirror() {
  loading ??= import('../vendor/editor.js');
  return loading;
}

/**
 * An editor in `parent` holding `doc`, for `language` ('javascript', 'json' or 'text'), with
 * `label` as its accessible name. `onChange(text)` after each edit; `onRun()` on Shift+Enter.
 * Resolves to `{view, get text(), set text(t), focus()}`.
 */
export async function createEditor(parent, { doc, language, label, onChange, onRun }) {
  const cm = await codemirror();
  const languageSupport = language === 'javascript' ? [cm.javascript()] : language === 'json' ? [cm.json()] : [];
  const view = new cm.EditorView({
    doc,
    parent,
    extensions: [
      cm.minimalSetup,
      ...(language === 'text' ? [cm.EditorView.lineWrapping] : [cm.lineNumbers(), cm.bracketMatching(), cm.closeBrackets()]),
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

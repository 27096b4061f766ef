// `check(passed, success, hint)` for the tutorials' last cells: a clear ✓ or ✗ with what to do.

/** A check's result as an element: `passed` true shows `success`, else `hint`. */
export function checkResult(passed, success, hint) {
  const p = document.createElement('p');
  p.className = passed ? 'check pass' : 'check fail';
  p.dataset.check = passed ? 'pass' : 'fail';
  const mark = document.createElement('strong');
  mark.textContent = passed ? '✓ Well done. ' : '✗ Not yet. ';
  p.append(mark, passed ? success : hint);
  return p;
}

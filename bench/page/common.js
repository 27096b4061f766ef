// Shared by the in-page benchmark modules (served to the page by bench/peers.mjs).

/** All of Us rounding of a raw count: 0 stays 0, 1–20 shows 20, else up to a multiple of 20. */
export const aouRound = (n) => (n === 0 ? 0 : n <= 20 ? 20 : Math.ceil(n / 20) * 20);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs `fn` once cold, then `repeats` warm samples; the answers must not change. The page's
 * clock ticks in 0.1 ms steps (no cross-origin isolation), so a warm sample times a batch of
 * calls lasting at least 20 ms and divides (a batch of 1 for anything slower than that).
 */
export async function coldWarm(fn, repeats, same = (a, b) => JSON.stringify(a) === JSON.stringify(b)) {
  let t = performance.now();
  const value = await fn();
  const coldMs = performance.now() - t;
  let batch = 1;
  while (batch < 1 << 16) {
    t = performance.now();
    for (let i = 0; i < batch; i++) await fn();
    const ms = performance.now() - t;
    if (ms >= 20) break;
    batch = Math.min(1 << 16, Math.max(batch * 2, Math.ceil((batch * 25) / Math.max(ms, 0.1))));
  }
  const warm = [];
  for (let r = 0; r < repeats; r++) {
    t = performance.now();
    let again;
    for (let i = 0; i < batch; i++) again = await fn();
    warm.push((performance.now() - t) / batch);
    if (!same(value, again)) throw new Error('the engine gave a different answer on a warm run');
  }
  return { value, coldMs, warmMs: median(warm), warmRuns: warm.length, batch };
}

/** Fetches a table's Arrow IPC stream whole: {bytes: Uint8Array}. */
export async function fetchArrow(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

export const tableOf = (url) => new URL(url, location.href).pathname.split('/').pop();

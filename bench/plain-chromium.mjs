// Headless Chromium driven over --remote-debugging-pipe with no DevTools domain enabled: the
// browser a user has, for timing loads. Playwright enables DevTools' Network domain on every
// page and worker it attaches to, and DevTools watching each response makes the browser deliver
// response bodies about three times slower (docs/loading.md, "The browser's floor"). Here only
// Target.* (open a tab, reach a worker), Page.setBypassCSP and Page.navigate, Runtime.evaluate
// and, after the clock stops, the heap calls are sent.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Starts Chromium with `args`; resolves to `{ newPage(url), close() }`. */
export async function launchPlain(args) {
  const profile = mkdtempSync(join(tmpdir(), 'cohortlens-bench-chromium-'));
  const child = spawn('/usr/bin/chromium',
    ['--headless', '--remote-debugging-pipe', `--user-data-dir=${profile}`, ...args, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const pending = new Map();
  /** `Target.attachedToTarget` events: how a tab's workers are reached (below). */
  const attached = [];
  let nextId = 0;
  let buffered = '';
  child.stdio[4].on('data', (data) => {
    buffered += data.toString();
    for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      if (message.method === 'Target.attachedToTarget') attached.push(message.params);
      const waiting = message.id && pending.get(message.id);
      if (!waiting) continue; // another event: none is subscribed to
      pending.delete(message.id);
      if (message.error) waiting.reject(new Error(`${waiting.method}: ${message.error.message}`));
      else waiting.resolve(message.result);
    }
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then(() => pending.forEach((p) => p.reject(new Error(`Chromium exited during ${p.method}`))));
  const send = (method, params = {}, sessionId = undefined) => new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject, method });
    child.stdio[3].write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
  });

  /** `(fn)(arg)` in a session, awaited, its value returned (an exception thrown here). */
  const evaluate = async (sessionId, fn, arg) => {
    const expression = `(${fn})(${JSON.stringify(arg ?? null)})`;
    const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value;
  };
  const heap = async (sessionId, collect) => {
    if (collect) await send('HeapProfiler.collectGarbage', {}, sessionId);
    return (await send('Runtime.getHeapUsage', {}, sessionId)).usedSize;
  };

  return {
    /** A new tab at `url`, once loaded, its Content-Security-Policy bypassed. */
    async newPage(url) {
      const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
      await send('Page.setBypassCSP', { enabled: true }, sessionId);
      await send('Page.navigate', { url }, sessionId);
      const loaded = () => location.href !== 'about:blank' && document.readyState === 'complete';
      for (let i = 0; !(await evaluate(sessionId, loaded)); i++) {
        if (i > 200) throw new Error(`${url} did not load`);
        await new Promise((r) => setTimeout(r, 50));
      }
      /**
       * The sessions of the dedicated workers this tab started: the tab attaches them itself
       * (a worker attached from the browser's session never answers), asked only once the
       * clock has stopped.
       */
      const workers = async () => {
        await send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, sessionId);
        return attached.filter((a) => a.targetInfo.type === 'worker' && a.targetInfo.parentId === targetId)
          .map((a) => a.sessionId);
      };
      return {
        evaluate: (fn, arg) => evaluate(sessionId, fn, arg),
        async workerEvaluate(fn) {
          const [worker] = await workers();
          return evaluate(worker, fn);
        },
        mainHeap: () => heap(sessionId, true),
        async workerHeaps() {
          const heaps = [];
          for (const worker of await workers()) {
            heaps.push({ before: await heap(worker, false), after: await heap(worker, true) });
          }
          return heaps;
        },
        close: () => send('Target.closeTarget', { targetId }),
      };
    },
    async close() {
      child.kill();
      await exited;
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

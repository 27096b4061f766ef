// Bundles the page's front-end packages from node_modules into www/vendor/ (gitignored) as ES
// modules, so nothing is fetched from a CDN at run time. Run by scripts/lib.sh's build_all.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'www/vendor');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['comlink', 'runtime', 'editor', 'markdown'].map((n) => join(root, 'scripts/vendor', `${n}.js`)),
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  chunkNames: 'chunk-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(root, 'node_modules/@observablehq/inspector/dist/inspector.css'), join(out, 'inspector.css'));

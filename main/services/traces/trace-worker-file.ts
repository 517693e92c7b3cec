// Finds the trace worker's script: the built `out/main/trace-worker.js`, or (source tree: tests, dev) a bundle of trace-worker.ts made with rolldown.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as Rolldown from 'rolldown';

/** Name of the built worker entry (electron.vite.config.ts, main `rollupOptions.input`). */
export const WORKER_ENTRY = 'trace-worker.js';

let bundled: Promise<string> | null = null;

/**
 * The file to hand to `new Worker(file)`. In the built app, this module sits in `out/main/` or
 * `out/main/chunks/` and the worker entry is `out/main/trace-worker.js`. Run from the TypeScript
 * sources (vitest), there is no such file: `trace-worker.ts` is bundled once per source version with
 * rolldown (the bundler Vite uses, a dev dependency) into `node_modules/.cache/agentdesk/`, where
 * `better-sqlite3` still resolves.
 * @throws Error when neither a built worker nor the sources are found.
 */
export function traceWorkerFile(): Promise<string> {
  for (const dir of [__dirname, path.join(__dirname, '..')]) {
    const file = path.join(dir, WORKER_ENTRY);
    if (fs.existsSync(file)) return Promise.resolve(file);
  }
  const src = path.join(__dirname, 'trace-worker.ts');
  if (!fs.existsSync(src))
    return Promise.reject(new Error(`The trace worker was not found next to ${__dirname}; rebuild the app`));
  bundled ??= bundleForNode(src, 'trace-worker');
  return bundled;
}

/** The repository root of the sources: the nearest folder up from here holding `node_modules`. */
function sourceRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'node_modules'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`No node_modules above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/**
 * Bundles a TypeScript entry of the source tree into one CommonJS file for Node (packages stay
 * external), named by a hash of the sources it may import, and returns its path. For tests and dev
 * runs only: the built app has its worker already. @throws the bundler's error.
 */
export async function bundleForNode(entry: string, name: string): Promise<string> {
  const root = sourceRoot();
  const hash = crypto.createHash('sha256');
  for (const dir of [path.dirname(entry), __dirname, path.join(root, 'contract')])
    for (const f of fs.readdirSync(dir).sort())
      if (f.endsWith('.ts')) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  const outDir = path.join(root, 'node_modules', '.cache', 'agentdesk');
  const out = path.join(outDir, `${name}-${hash.digest('hex').slice(0, 16)}.cjs`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  // A non-literal specifier: the app's own bundle must not try to include the bundler.
  const specifier = 'rolldown';
  const { build } = (await import(specifier)) as typeof Rolldown;
  await build({
    input: entry,
    platform: 'node',
    logLevel: 'silent',
    external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
    output: { file: tmp, format: 'cjs' },
  });
  fs.renameSync(tmp, out); // atomic: parallel test files may bundle at the same time
  return out;
}

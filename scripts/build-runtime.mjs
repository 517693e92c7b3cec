// Bundles the built-in agent runtime (resources/agent-runtime/src/main.ts) into out/agent-runtime/agent-runtime.cjs,
// each harness adapter (main/services/harnesses/<id>/adapter.ts) into out/agent-runtime/harness-<id>.cjs, and the
// egress helper (main/services/egress/helper-main.ts) into out/egress-helper/egress-helper.cjs.
import { readdirSync, existsSync } from 'node:fs';
import { chmod, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The entry point of the runtime. */
export const RUNTIME_ENTRY = path.join(root, 'resources/agent-runtime/src/main.ts');
/** Where `npm run build` puts the bundle. */
export const RUNTIME_OUT = path.join(root, 'out/agent-runtime/agent-runtime.cjs');

/** The entry point of the egress helper (the program of the helper container, docs/decisions/009-egress.md). */
export const EGRESS_HELPER_ENTRY = path.join(root, 'main/services/egress/helper-main.ts');
/** Where the egress helper bundle goes. */
export const EGRESS_HELPER_OUT = path.join(root, 'out/egress-helper/egress-helper.cjs');

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Where the harness folders are; a folder with an `adapter.ts` gets a bundle `harness-<id>.cjs`. */
export const HARNESSES_DIR = path.join(root, 'main/services/harnesses');

/** The in-container adapters: `[id, entry file]` for each harness folder holding an `adapter.ts`. */
export function harnessAdapters() {
  return readdirSync(HARNESSES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(HARNESSES_DIR, d.name, 'adapter.ts')))
    .map((d) => [d.name, path.join(HARNESSES_DIR, d.name, 'adapter.ts')])
    .sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Bundles the runtime into ONE CommonJS file for Node ≥ 20 (platform node, target node20, a
 * `#!/usr/bin/env node` banner, mode 0755). Only Node built-ins stay external; any other import is bundled,
 * so the file runs in a container that has nothing but `node`.
 * Uses rolldown (Vite 8's bundler, already in node_modules; esbuild is not installed here).
 * @param {{ outFile?: string }} [opts] outFile: absolute path of the bundle; default {@link RUNTIME_OUT}.
 * @returns {Promise<{ outFile: string, bytes: number }>} where the bundle is and its size in bytes.
 * @throws Error from the bundler (a type-free syntax error, an unresolved import) with its message.
 */
export async function buildRuntime(opts = {}) {
  return bundle(RUNTIME_ENTRY, path.resolve(opts.outFile ?? RUNTIME_OUT));
}

/**
 * Bundles the egress helper like {@link buildRuntime}: one CommonJS file that needs only `node` (the
 * helper image is the base image plus iptables).
 * @param {{ outFile?: string }} [opts] outFile: absolute path of the bundle; default {@link EGRESS_HELPER_OUT}.
 * @returns {Promise<{ outFile: string, bytes: number }>}
 */
export async function buildEgressHelper(opts = {}) {
  return bundle(EGRESS_HELPER_ENTRY, path.resolve(opts.outFile ?? EGRESS_HELPER_OUT));
}

/** One entry → one CommonJS file (see {@link buildRuntime}). */
async function bundle(input, outFile) {
  const { build } = await import('rolldown');
  await build({
    input,
    platform: 'node',
    external: (id) => builtins.has(id),
    transform: { target: 'node20' },
    logLevel: 'warn',
    output: {
      file: outFile,
      format: 'cjs',
      banner: '#!/usr/bin/env node',
      codeSplitting: false,
      sourcemap: false,
      minify: false,
    },
  });
  await chmod(outFile, 0o755);
  return { outFile, bytes: (await stat(outFile)).size };
}

/**
 * Bundles the in-container adapter of every harness driven headless (a folder with `adapter.ts`, e.g.
 * Claude Code, Codex) into `<dir>/harness-<id>.cjs`, like the runtime: one CommonJS file, Node ≥ 20,
 * only `node:*` requires. They are mounted with the runtime at /opt/agentdesk/runtime.
 * @param {{ outDir?: string }} [opts] default: the folder of {@link RUNTIME_OUT}.
 * @returns {Promise<{ outFile: string, bytes: number }[]>}
 */
export async function buildHarnessAdapters(opts = {}) {
  const outDir = path.resolve(opts.outDir ?? path.dirname(RUNTIME_OUT));
  const out = [];
  for (const [id, entry] of harnessAdapters())
    out.push(await bundle(entry, path.join(outDir, `harness-${id}.cjs`)));
  return out;
}

// CLI: `node scripts/build-runtime.mjs [--outfile PATH]` (with --outfile: the runtime only; without: the runtime,
// the harness adapters beside it and the egress helper)
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const i = process.argv.indexOf('--outfile');
  const outFile = i > 0 ? process.argv[i + 1] : undefined;
  if (i > 0 && !outFile) {
    console.error('--outfile needs a path: node scripts/build-runtime.mjs [--outfile PATH]');
    process.exit(2);
  }
  const all = outFile
    ? buildRuntime({ outFile }).then((r) => [['agent runtime', r]])
    : Promise.all([buildRuntime(), buildHarnessAdapters(), buildEgressHelper()]).then(([r, adapters, h]) => [
        ['agent runtime', r],
        ...adapters.map((a) => ['harness adapter', a]),
        ['egress helper', h],
      ]);
  all.then(
    (built) => {
      for (const [what, r] of built)
        console.log(`${what}: ${path.relative(process.cwd(), r.outFile)} (${r.bytes} bytes)`);
    },
    (err) => {
      console.error(`agent runtime build failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

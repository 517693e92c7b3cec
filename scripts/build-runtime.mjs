// Bundles the built-in agent runtime (resources/agent-runtime/src/main.ts) into out/agent-runtime/agent-runtime.cjs, and each harness adapter (main/services/harnesses/<id>/adapter.ts) into out/agent-runtime/harness-<id>.cjs.
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

/** One entry bundled the way {@link buildRuntime} does. */
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

// CLI: `node scripts/build-runtime.mjs [--outfile PATH]`
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const i = process.argv.indexOf('--outfile');
  const outFile = i > 0 ? process.argv[i + 1] : undefined;
  if (i > 0 && !outFile) {
    console.error('--outfile needs a path: node scripts/build-runtime.mjs [--outfile PATH]');
    process.exit(2);
  }
  buildRuntime({ outFile })
    .then(async (r) => {
      console.log(`agent runtime: ${path.relative(process.cwd(), r.outFile)} (${r.bytes} bytes)`);
      for (const a of await buildHarnessAdapters({ outDir: path.dirname(r.outFile) }))
        console.log(`harness adapter: ${path.relative(process.cwd(), a.outFile)} (${a.bytes} bytes)`);
    })
    .then(
      () => {},
      (err) => {
        console.error(`agent runtime build failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
}

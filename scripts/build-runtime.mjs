// Bundles the built-in agent runtime (resources/agent-runtime/src/main.ts) into one file, out/agent-runtime/agent-runtime.cjs,
// and the egress helper (main/services/egress/helper-main.ts) into out/egress-helper/egress-helper.cjs.
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

// CLI: `node scripts/build-runtime.mjs [--outfile PATH]` (with --outfile: the runtime only; without: both bundles)
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const i = process.argv.indexOf('--outfile');
  const outFile = i > 0 ? process.argv[i + 1] : undefined;
  if (i > 0 && !outFile) {
    console.error('--outfile needs a path: node scripts/build-runtime.mjs [--outfile PATH]');
    process.exit(2);
  }
  const both = outFile
    ? buildRuntime({ outFile }).then((r) => [['agent runtime', r]])
    : Promise.all([buildRuntime(), buildEgressHelper()]).then(([r, h]) => [
        ['agent runtime', r],
        ['egress helper', h],
      ]);
  both.then(
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

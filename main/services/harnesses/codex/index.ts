// Codex as a harness (docs/harnesses/codex.md): its image from npm, its provider in the config folder, driven headless.
import type { HarnessPlugin } from '../harness';
import { npmCliImage } from '../npm-image';
import { writeCodexConfig } from './config';
import manifest from './manifest.json';

/**
 * The Codex CLI's native binary (from `@openai/codex-linux-x64`, installed by `npm ci --ignore-scripts`
 * of image/package-lock.json) in an image FROM the base image; driven by the adapter `harness-codex.cjs`
 * (adapter.ts, mounted with the runtime bundles), which runs `codex exec --json` per turn.
 */
export const harness: HarnessPlugin = {
  manifest,
  image: npmCliImage(
    manifest.version,
    'node_modules/@openai/codex-linux-x64/vendor',
    'CODEX_VERSION',
    'about 90 MB',
  ),
  configure: writeCodexConfig,
};

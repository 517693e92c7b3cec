// Claude Code as a harness (docs/harnesses/claude-code.md): its image from npm, configured by env through the config folder, driven headless.
import type { HarnessPlugin } from '../harness';
import { npmCliImage } from '../npm-image';
import { claudeCodeEnv } from './config';
import manifest from './manifest.json';

/**
 * Claude Code's native binary (from `@anthropic-ai/claude-code-linux-x64`, installed by `npm ci
 * --ignore-scripts` of image/package-lock.json) in an image FROM the base image; driven by the adapter
 * `harness-claude-code.cjs` (adapter.ts, mounted with the runtime bundles), which runs `claude -p` per turn.
 */
export const harness: HarnessPlugin = {
  manifest,
  image: npmCliImage(
    manifest.version,
    'node_modules/@anthropic-ai/claude-code-linux-x64/claude',
    'CLAUDE_CODE_VERSION',
    'about 75 MB',
  ),
  configure: (_config, endpoint) => claudeCodeEnv(endpoint),
};

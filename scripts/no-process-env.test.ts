// The process environment is read only at the entry points: they resolve it into the core's options once, and services are given those.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const skipDirs = new Set(['node_modules', 'out', 'dist', '.git']);

/**
 * The files of main/ that may read the environment: the entry points (the Electron app, `agentdesk`,
 * the CLI), the resolver of the core's options (platform/paths.ts), and the harness adapters and
 * OpenClaw's harness program, which are the entry points of programs run inside agents' containers.
 */
const ALLOWED = new Set([
  'main/index.ts',
  'main/headless.ts',
  'main/cli/index.ts',
  'main/platform/paths.ts',
  'main/services/harnesses/claude-code/adapter.ts',
  'main/services/harnesses/codex/adapter.ts',
  'main/services/harnesses/openclaw/harness.mjs',
]);

// Built from pieces so this file does not match its own pattern.
const READ = new RegExp(['process', 'env'].join('\\.') + '\\b');

/** Source files of main/ (tests are left out: they may pass this process's environment to what they start). */
function sources(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name)) sources(full, out);
    } else if (/\.(?:[cm]?[jt]s|tsx)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** Whether a line is a comment only (doc comments may name the environment they describe). */
function isComment(line: string): boolean {
  return /^(\/\/|\/\*|\*)/.test(line.trim());
}

/** `file:line: text` of each read of the process environment in `text` that is not in a comment. */
export function envReads(file: string, text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => READ.test(line) && !isComment(line))
    .map(({ line, n }) => `${file}:${n}: ${line.trim()}`);
}

describe('the process environment', () => {
  it('is read in main/ only by the entry points and platform/paths.ts', () => {
    const found: string[] = [];
    for (const file of sources(path.join(root, 'main'))) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (!ALLOWED.has(rel)) found.push(...envReads(rel, fs.readFileSync(file, 'utf8')));
    }
    expect(found, 'pass the core options (AppOptions, platform/paths.ts) or their `env` instead').toEqual([]);
  });

  it('finds a read in code and leaves comments alone', () => {
    const read = ['process', 'env', 'HOME'].join('.');
    expect(envReads('x.ts', `const home = ${read};\n * falls back to ${read}`)).toEqual([
      `x.ts:1: const home = ${read};`,
    ]);
  });
});

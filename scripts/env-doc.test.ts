// docs/development/env.md names every AGENTDESK_* environment variable the source trees use.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const DOC = path.join(root, 'docs', 'development', 'env.md');

/** Trees scanned: everything that runs (core, runtime, scripts, CLI, CI) and everything that tests it. */
const TREES = [
  'main',
  'resources',
  'scripts',
  'bin',
  '.ci',
  'test',
  'e2e',
  'bench',
  'contract',
  'preload',
  'renderer',
];
/** Build output, installed packages and recorded results: not ours to document. */
const SKIPPED_DIRS = new Set(['node_modules', 'out', 'dist', 'results', '.venv']);
const SOURCE_EXT = /\.(?:[cm]?[jt]s|tsx|sh)$/;
/** Larger files are data (wheelhouses, images), not source. */
const MAX_BYTES = 2 * 1024 * 1024;

/** The provider key family: any name with this prefix is documented as `AGENTDESK_KEY_<ID>`. */
const KEY_FAMILY = 'AGENTDESK_KEY_';
const KEY_FAMILY_DOC = 'AGENTDESK_KEY_<ID>';

/** Any AGENTDESK_ name (the whole run of name characters, so AGENTDESK_EGRESS_DNS is not AGENTDESK_EGRESS). */
const ANY_NAME = /\bAGENTDESK_[A-Z0-9_]+/g;
/**
 * In test files only names read from (or written to) an environment object count: `env.X`,
 * `process.env.X`, `env['X']`, `env["X"]`. Tests also use names they make up (one provider key per test).
 */
const ENV_ACCESS = /\benv(?:\.|\[\s*['"])(AGENTDESK_[A-Z0-9_]+)/g;

/** True for a test or spec file (vitest `*.test.ts(x)`, Playwright `*.e2e.ts`). */
function isTestFile(file: string): boolean {
  return /\.(?:test|e2e)\.tsx?$/.test(file);
}

/** Source files under `dir`: known extensions, plus extensionless scripts (a `#!` first line) and Dockerfiles. */
function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...sourceFiles(full));
      continue;
    }
    if (!entry.isFile() || fs.statSync(full).size > MAX_BYTES) continue;
    if (SOURCE_EXT.test(entry.name) || entry.name === 'Dockerfile') out.push(full);
    else if (!entry.name.includes('.') && fs.readFileSync(full, 'utf8').startsWith('#!')) out.push(full);
  }
  return out;
}

/** Every AGENTDESK_ name the source uses → the files (relative to the repository) that use it. */
function namesInSource(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const tree of TREES)
    for (const file of sourceFiles(path.join(root, tree))) {
      const text = fs.readFileSync(file, 'utf8');
      const names = isTestFile(file)
        ? [...text.matchAll(ENV_ACCESS)].map((m) => m[1]!)
        : [...text.matchAll(ANY_NAME)].map((m) => m[0]);
      for (const name of new Set(names)) {
        const files = found.get(name) ?? [];
        files.push(path.relative(root, file));
        found.set(name, files);
      }
    }
  return found;
}

/** The names of `names` that `doc` does not mention as a whole word (the key family as `AGENTDESK_KEY_<ID>`). */
function undocumented(names: Iterable<string>, doc: string): string[] {
  const mentioned = (name: string): boolean =>
    name.startsWith(KEY_FAMILY)
      ? doc.includes(KEY_FAMILY_DOC)
      : new RegExp(`(?<![A-Z0-9_])${name}(?![A-Z0-9_])`).test(doc);
  return [...names].filter((n) => !mentioned(n)).sort();
}

describe('docs/development/env.md', () => {
  const found = namesInSource();
  const doc = fs.readFileSync(DOC, 'utf8');

  it('the scan finds the variables we know are read (so an empty scan cannot pass)', () => {
    // Read in main/platform/paths.ts, resources/agent-runtime/src/config.ts, scripts/images/agentdesk-init
    // (an extensionless shell script), test/real.ts and a test file (contract.fuzz.test.ts) respectively.
    for (const name of [
      'AGENTDESK_HOME',
      'AGENTDESK_MAX_STEPS',
      'AGENTDESK_ENV_FILE',
      'AGENTDESK_REQUIRE_REAL',
      'AGENTDESK_FUZZ_RUNS',
    ])
      expect(found.has(name), name).toBe(true);
    expect([...found.keys()].some((n) => n.startsWith(KEY_FAMILY))).toBe(true);
  });

  it('mentions every AGENTDESK_* name used in the source', () => {
    const missing = undocumented(found.keys(), doc).map((n) => `${n} (in ${found.get(n)!.join(', ')})`);
    expect(missing, `add these to docs/development/env.md:\n${missing.join('\n')}`).toEqual([]);
  });

  it('would name a variable removed from the page, and a key family missing from it', () => {
    // AGENTDESK_EGRESS stays mentioned: a longer name does not count for a shorter one, nor the reverse.
    const without = doc.replace(/(?<![A-Z0-9_])AGENTDESK_EGRESS_DNS(?![A-Z0-9_])/g, '');
    expect(undocumented(['AGENTDESK_EGRESS', 'AGENTDESK_EGRESS_DNS'], without)).toEqual([
      'AGENTDESK_EGRESS_DNS',
    ]);
    const keys = [...found.keys()].filter((n) => n.startsWith(KEY_FAMILY));
    expect(undocumented(keys, doc.replaceAll(KEY_FAMILY_DOC, ''))).toEqual(keys.sort());
  });
});

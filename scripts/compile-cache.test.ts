// bin/compile-cache.cjs: the core's V8 code cache is used only from a folder private to this user, and a bad entry changes nothing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const CACHE_JS = path.resolve(__dirname, '..', 'bin', 'compile-cache.cjs');
const { cacheDir, enableCompileCache } = require(CACHE_JS) as {
  cacheDir: (env: NodeJS.ProcessEnv) => string | null;
  enableCompileCache: (root: string, env: NodeJS.ProcessEnv) => boolean;
};

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-v8cache-'));
  dirs.push(d);
  return d;
};
const isRoot = process.getuid?.() === 0;

/**
 * Runs a fresh Node that installs the cache for `app` (writing entries right after start) and requires
 * `app/answer.js` → what it printed.
 */
function runApp(app: string, cache: string): string {
  const script = `
    const { installCompileCache } = require(${JSON.stringify(CACHE_JS)});
    installCompileCache({ root: ${JSON.stringify(app)}, dir: ${JSON.stringify(cache)}, writeAfterMs: 0 });
    console.log(require(${JSON.stringify(path.join(app, 'answer.js'))}).answer());
    setTimeout(() => {}, 300); // alive until the entries are written (the cache's own timer is unref'd)`;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
}

describe('the V8 code cache of agentdesk serve', () => {
  it('stores one private entry per module and runs the module the same from it', () => {
    const base = tmp();
    const app = path.join(base, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'answer.js'), 'exports.answer = () => 6 * 7;\n');
    const cache = cacheDir({ XDG_CACHE_HOME: path.join(base, 'cache') })!;
    expect(cache).toBe(path.join(base, 'cache', 'agentdesk', 'v8'));
    expect(fs.statSync(cache).mode & 0o777).toBe(0o700);
    expect(runApp(app, cache)).toBe('42');
    const entries = fs.readdirSync(cache);
    expect(entries).toHaveLength(1);
    expect(fs.statSync(path.join(cache, entries[0]!)).mode & 0o777).toBe(0o600);
    const written = fs.statSync(path.join(cache, entries[0]!)).mtimeMs;
    // The second start takes the entry as it is (V8 accepted it: nothing rewritten).
    expect(runApp(app, cache)).toBe('42');
    expect(fs.statSync(path.join(cache, entries[0]!)).mtimeMs).toBe(written);
  });

  it('a corrupt or planted entry is rejected by V8: the module runs from its source, and the entry is rewritten', () => {
    const base = tmp();
    const app = path.join(base, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'answer.js'), 'exports.answer = () => "from source";\n');
    const cache = cacheDir({ XDG_CACHE_HOME: path.join(base, 'cache') })!;
    runApp(app, cache);
    const entry = path.join(cache, fs.readdirSync(cache)[0]!);
    fs.writeFileSync(entry, Buffer.alloc(4096, 0x41), { mode: 0o600 });
    expect(runApp(app, cache)).toBe('from source');
    expect(fs.readFileSync(entry).equals(Buffer.alloc(4096, 0x41))).toBe(false);
  });

  it('is not used from a folder others may write into', () => {
    const base = tmp();
    const shared = path.join(base, 'cache', 'agentdesk', 'v8');
    fs.mkdirSync(shared, { recursive: true });
    fs.chmodSync(shared, 0o777);
    expect(cacheDir({ XDG_CACHE_HOME: path.join(base, 'cache') })).toBeNull();
    fs.chmodSync(shared, 0o750);
    expect(cacheDir({ XDG_CACHE_HOME: path.join(base, 'cache') })).toBeNull();
    expect(enableCompileCache(base, { XDG_CACHE_HOME: path.join(base, 'cache') })).toBe(false);
  });

  it('is not used when a folder above it lets others swap it (agentdesk/ or the cache base writable by others)', () => {
    const base = tmp();
    const cacheBase = path.join(base, 'cache');
    fs.mkdirSync(path.join(cacheBase, 'agentdesk', 'v8'), { recursive: true, mode: 0o700 });
    expect(cacheDir({ XDG_CACHE_HOME: cacheBase })).not.toBeNull();
    fs.chmodSync(path.join(cacheBase, 'agentdesk'), 0o777);
    expect(cacheDir({ XDG_CACHE_HOME: cacheBase })).toBeNull();
    fs.chmodSync(path.join(cacheBase, 'agentdesk'), 0o755);
    fs.chmodSync(cacheBase, 0o777);
    expect(cacheDir({ XDG_CACHE_HOME: cacheBase })).toBeNull();
    // A sticky base (like /tmp): others may write there but cannot rename what is ours.
    fs.chmodSync(cacheBase, 0o1777);
    expect(cacheDir({ XDG_CACHE_HOME: cacheBase })).toBe(path.join(cacheBase, 'agentdesk', 'v8'));
  });

  it('is not used through a link in place of agentdesk/ (even to a private folder)', () => {
    const base = tmp();
    const real = path.join(base, 'elsewhere');
    fs.mkdirSync(path.join(real, 'v8'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(base, 'cache'), { mode: 0o700 });
    fs.symlinkSync(real, path.join(base, 'cache', 'agentdesk'));
    expect(cacheDir({ XDG_CACHE_HOME: path.join(base, 'cache') })).toBeNull();
  });

  it.skipIf(!isRoot)("is not used from another user's folder, nor through a link to one", () => {
    const base = tmp();
    const theirs = path.join(base, 'theirs');
    fs.mkdirSync(theirs, { mode: 0o700 });
    fs.chownSync(theirs, 12345, 12345);
    fs.mkdirSync(path.join(base, 'cache', 'agentdesk'), { recursive: true });
    fs.symlinkSync(theirs, path.join(base, 'cache', 'agentdesk', 'v8'));
    expect(cacheDir({ XDG_CACHE_HOME: path.join(base, 'cache') })).toBeNull();
    const owned = path.join(base, 'owned', 'agentdesk', 'v8');
    fs.mkdirSync(owned, { recursive: true, mode: 0o700 });
    fs.chownSync(owned, 12345, 12345);
    expect(cacheDir({ XDG_CACHE_HOME: path.join(base, 'owned') })).toBeNull();
  });

  it('AGENTDESK_COMPILE_CACHE=0 turns it off before any folder is made', () => {
    const base = tmp();
    expect(
      enableCompileCache(base, { XDG_CACHE_HOME: path.join(base, 'cache'), AGENTDESK_COMPILE_CACHE: '0' }),
    ).toBe(false);
    expect(fs.existsSync(path.join(base, 'cache'))).toBe(false);
  });
});

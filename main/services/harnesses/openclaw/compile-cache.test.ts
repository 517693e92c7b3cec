import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileCacheFor } from './compile-cache.mjs';

const TAG = 'v24.21.0-x64-964aae3f';
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** An image-like cache: root's cache folder at the top and one under OpenClaw's own sub-folder. */
function imageCache(): { from: string; to: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-compile-cache-'));
  dirs.push(root);
  const from = path.join(root, 'image');
  const put = (rel: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(from, rel)), { recursive: true });
    fs.writeFileSync(path.join(from, rel), content);
  };
  put(`${TAG}-0/launcher`, 'launcher code cache');
  put(`openclaw/2026.9.6/1796603715000-142802/${TAG}-0/gateway`, 'gateway code cache');
  put(`openclaw/2026.9.6/1796603715000-142802/${TAG}-1000/other`, 'another user');
  put('README', 'not a folder');
  return { from, to: path.join(root, 'tmp', 'agentdesk-compile-cache') };
}

describe('compileCacheFor', () => {
  it("links every folder root's cache filled under the agent's user id, at the same place", () => {
    const { from, to } = imageCache();
    expect(compileCacheFor(from, to, 64000)).toBe(to);
    expect(fs.readFileSync(path.join(to, `${TAG}-64000`, 'launcher'), 'utf8')).toBe('launcher code cache');
    const deep = path.join(to, 'openclaw/2026.9.6/1796603715000-142802');
    expect(fs.readFileSync(path.join(deep, `${TAG}-64000`, 'gateway'), 'utf8')).toBe('gateway code cache');
    expect(fs.lstatSync(path.join(deep, `${TAG}-64000`)).isSymbolicLink()).toBe(true);
    // Another user's folder is not offered, and nothing else is copied.
    expect(fs.readdirSync(deep)).toEqual([`${TAG}-64000`]);
    expect(fs.existsSync(path.join(to, 'README'))).toBe(false);
  });

  it('uses the image cache itself for the user who filled it, and touches nothing', () => {
    const { from, to } = imageCache();
    expect(compileCacheFor(from, to, 0)).toBe(from);
    expect(fs.existsSync(to)).toBe(false);
  });

  it('starts from an empty folder (a previous start left its links) and says null when there is no cache', () => {
    const { from, to } = imageCache();
    fs.mkdirSync(path.join(to, 'stale'), { recursive: true });
    compileCacheFor(from, to, 1000);
    expect(fs.existsSync(path.join(to, 'stale'))).toBe(false);
    const empty = path.join(path.dirname(from), 'empty');
    fs.mkdirSync(empty);
    expect(compileCacheFor(empty, to, 1000)).toBeNull();
  });

  it('throws for a cache that is not there (the caller runs without one)', () => {
    const { to } = imageCache();
    expect(() => compileCacheFor('/nonexistent/compile-cache', to, 1000)).toThrow(/ENOENT/);
  });
});

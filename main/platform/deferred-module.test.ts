import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deferModule } from './deferred-module';

const req = createRequire(import.meta.url);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    for (const k of Object.keys(req.cache)) if (k.startsWith(d)) delete req.cache[k];
    fs.rmSync(d, { recursive: true, force: true });
  }
});

/** A package `top` requiring `./heavy` (which counts its loads in a global) at load, calling it only on demand. */
function fixture(heavyExports = 'function heavy(a, b) { return [this && this.tag, a + b]; }'): {
  top: string;
  heavy: string;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deferred-'));
  dirs.push(dir);
  const tag = path.basename(dir);
  fs.writeFileSync(
    path.join(dir, 'heavy.js'),
    `globalThis[${JSON.stringify(tag)}] = (globalThis[${JSON.stringify(tag)}] ?? 0) + 1;\nmodule.exports = ${heavyExports};\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'top.js'),
    `const heavy = require('./heavy');\nmodule.exports = { tag: 'top', call(a, b) { return heavy.call(this, a, b); } };\n`,
  );
  return { top: path.join(dir, 'top.js'), heavy: path.join(dir, 'heavy.js') };
}
const loads = (file: string): number =>
  ((globalThis as Record<string, unknown>)[path.basename(path.dirname(file))] as number | undefined) ?? 0;

describe('deferModule', () => {
  it('keeps a function module unloaded until its first call, then forwards every call with its this', () => {
    const f = fixture();
    expect(deferModule(req, f.heavy)).toBe(true);
    const top = req(f.top) as { call(a: number, b: number): unknown };
    expect(loads(f.heavy)).toBe(0);
    expect(top.call(2, 3)).toEqual(['top', 5]);
    expect(loads(f.heavy)).toBe(1);
    expect(top.call(4, 5)).toEqual(['top', 9]);
    expect(loads(f.heavy)).toBe(1); // loaded once
    expect(req(f.heavy)).not.toBe(req.cache[f.top]?.exports); // the real module is now the cached one
    expect(loads(f.heavy)).toBe(1);
  });

  it('leaves a module that is already loaded as it is', () => {
    const f = fixture();
    req(f.heavy);
    expect(deferModule(req, f.heavy)).toBe(false);
    expect(loads(f.heavy)).toBe(1);
  });

  it('says so at the first call when the real module is not a function', () => {
    const f = fixture('{ notAFunction: true }');
    deferModule(req, f.heavy);
    const top = req(f.top) as { call(a: number, b: number): unknown };
    expect(() => top.call(1, 2)).toThrow(/does not export a function, so it cannot be deferred/);
  });
});

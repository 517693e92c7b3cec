// Logging: secrets never reach the file (by path and by value), and the file rotates by size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logging';
import { SecretRedactor } from './secret-redactor';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-log-'));
  dirs.push(d);
  return d;
}
const readAll = (dir: string) =>
  fs
    .readdirSync(dir)
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('');

describe('createLogger', () => {
  it('redacts Authorization headers, key fields, and registered secret values anywhere', () => {
    const dir = tmp();
    const redactor = new SecretRedactor();
    const secret = 'sk-test-' + 'x'.repeat(40);
    redactor.add(secret);
    const log = createLogger({ dir, redactor });
    log.info({ req: { headers: { authorization: 'Bearer abcdefghijkl' } } }, 'request');
    log.info({ provider: { api_key: 'plain-key-value-123' } }, 'provider');
    log.error({ err: new Error(`upstream said: bad key ${secret}`) }, `failed with ${secret}`);
    const text = readAll(dir);
    expect(text).not.toContain('abcdefghijkl');
    expect(text).not.toContain('plain-key-value-123');
    expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
    expect(fs.statSync(path.join(dir, 'agentdesk.log')).mode & 0o777).toBe(0o600);
  });

  it('rotates at the size limit and keeps a bounded number of files', () => {
    const dir = tmp();
    const log = createLogger({ dir, maxBytes: 2000, keep: 2, redactor: new SecretRedactor() });
    for (let i = 0; i < 200; i++) log.info({ i }, 'line of some length to fill the file quickly');
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['agentdesk.1.log', 'agentdesk.2.log', 'agentdesk.log']);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(2200);
  });
});

describe('SecretRedactor', () => {
  it('ignores short strings and forgets removed secrets', () => {
    const r = new SecretRedactor();
    r.add('short');
    expect(r.size).toBe(0);
    r.add('a.b*c+longsecret');
    expect(r.scrub('x a.b*c+longsecret y')).toBe('x [REDACTED] y');
    r.remove('a.b*c+longsecret');
    expect(r.scrub('a.b*c+longsecret')).toBe('a.b*c+longsecret');
  });
});

// `agentdesk engines add` options: SSH destinations, TLS addresses, PEM files read client-side, and what is missing named.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testPems } from '../../test/engines';
import { addInput, formatMembers, parseSshDestination, parseTlsAddress, readPemFile } from './engines';

describe('engines add options', () => {
  it('parses user@host[:port] and host:port', () => {
    expect(parseSshDestination('deploy@build.lan')).toEqual({ user: 'deploy', host: 'build.lan', port: 22 });
    expect(parseSshDestination('me@10.0.0.5:2222')).toEqual({ user: 'me', host: '10.0.0.5', port: 2222 });
    expect(() => parseSshDestination('build.lan')).toThrow(/must be user@host or user@host:port/);
    expect(parseTlsAddress('10.0.0.5:2376')).toEqual({ host: '10.0.0.5', port: 2376 });
    expect(parseTlsAddress('tcp://box')).toEqual({ host: 'box', port: 2376 });
    expect(() => parseTlsAddress('box:99999')).toThrow(/not a TCP port/);
  });

  it('reads PEM files here and sends their text; refuses what is not PEM', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-pem-'));
    try {
      const p = testPems();
      for (const [f, t] of [
        ['ca.pem', p.caPem],
        ['cert.pem', p.certPem],
        ['key.pem', p.keyPem],
        ['bad', 'x'],
      ])
        fs.writeFileSync(path.join(dir, f!), t!);
      const input = addInput('lab', {
        tls: { host: '10.0.0.5', port: 2376 },
        ca: path.join(dir, 'ca.pem'),
        cert: path.join(dir, 'cert.pem'),
        key: path.join(dir, 'key.pem'),
      });
      expect(input).toMatchObject({ kind: 'docker', transport: 'tls', key_pem: p.keyPem, name: 'lab' });
      expect(() => readPemFile('--ca', path.join(dir, 'bad'))).toThrow(/--ca .*bad: not a PEM file/);
      expect(() => readPemFile('--ca', path.join(dir, 'missing'))).toThrow(/--ca .*missing: ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names what is missing or conflicting', () => {
    expect(() => addInput('lab', {})).toThrow(/give where the engine is: --ssh .*--tls .*--incus/);
    expect(() =>
      addInput('lab', { ssh: { user: 'u', host: 'h', port: 22 }, incus: 'https://h:8443' }),
    ).toThrow(/give one of --ssh, --incus, not several/);
    expect(() => addInput('lab', { tls: { host: 'h', port: 2376 }, ca: '/x' })).toThrow(
      /--tls needs --cert, --key/,
    );
    expect(() => addInput('lab', { incus: 'https://h:8443' })).toThrow(/--incus needs --token/);
  });
});

describe('engines members', () => {
  it('shows a cluster’s members as a table, and says when the engine is no cluster', () => {
    const out = formatMembers('cl', [
      { name: 'm1', status: 'Online', online: true, message: 'Fully operational' },
      { name: 'm2', status: 'Offline', online: false, message: 'No heartbeat' },
    ]);
    expect(out.split('\n')[0]).toMatch(/^MEMBER\s+STATUS\s+MESSAGE/);
    expect(out).toMatch(/m1\s+Online\s+Fully operational/);
    expect(out).toMatch(/m2\s+Offline\s+No heartbeat/);
    expect(formatMembers('lab', [])).toBe('The engine lab is not a cluster: it places every agent itself.');
  });
});

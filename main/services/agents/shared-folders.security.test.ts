// Attacker's side (a careless or tricked grant): secret and system folders are refused with the rule named, links are judged by where they lead.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../contract/errors';
import { resolveFolders } from './shared-folders';

let root: string;
let homeDir: string;
let dataDir: string;
let server: net.Server;

const refusal = (p: string): string => {
  try {
    resolveFolders([{ path: p }], { dataDir, homeDir });
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVALID_INPUT');
    return (err as Error).message;
  }
  throw new Error(`${p} was accepted`);
};

beforeAll(async () => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-shares-')));
  homeDir = path.join(root, 'home');
  dataDir = path.join(homeDir, '.local', 'share', 'agentdesk');
  fs.mkdirSync(dataDir, { recursive: true });
  for (const d of [
    '.ssh',
    '.gnupg',
    '.local/share/keyrings',
    'Library/Keychains',
    'certs.pem',
    'site',
    'proj-env',
    'proj-key',
    'sock',
    'a/site',
  ])
    fs.mkdirSync(path.join(homeDir, d), { recursive: true });
  fs.writeFileSync(path.join(homeDir, 'proj-env', '.env'), 'SECRET=1\n');
  fs.writeFileSync(path.join(homeDir, 'proj-key', 'server.key'), 'key\n');
  fs.writeFileSync(path.join(homeDir, 'notes.txt'), 'x');
  fs.symlinkSync(path.join(homeDir, '.ssh'), path.join(homeDir, 'innocent'));
  server = net.createServer();
  await new Promise<void>((r) => server.listen(path.join(homeDir, 'sock', 'agent.sock'), r));
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  fs.rmSync(root, { recursive: true, force: true });
});

describe('shared folders refuse what must never reach an agent', () => {
  it.each([
    ['.ssh', /\.ssh \(SSH keys\)/],
    ['.gnupg', /\.gnupg/],
    ['.local/share/keyrings', /keyrings/],
    ['Library/Keychains', /Keychains/],
    ['certs.pem', /\*\.pem/],
    ['proj-env', /holds \.env at its top level/],
    ['proj-key', /holds server\.key at its top level: \*\.key/],
    ['sock', /holds the socket agent\.sock/],
    ['.local/share/agentdesk', /Agent Desk data folder/],
    ['.local', /Agent Desk data folder/],
    ['', /your home folder itself/],
  ])('~/%s is refused, naming the rule', (rel, rule) => {
    expect(refusal(path.join(homeDir, rel))).toMatch(rule);
  });

  it('a link to ~/.ssh is judged where it leads', () => {
    expect(refusal(path.join(homeDir, 'innocent'))).toMatch(/innocent \(.*\.ssh\) cannot be shared: \.ssh/);
  });

  it.each(['/', '/etc', '/etc/ssl', '/proc', '/sys', '/dev', '/run', '/usr', '/var/run'])(
    '%s is refused as a system folder',
    (p) => {
      expect(refusal(p)).toMatch(/system folder/);
    },
  );

  it('a missing path and a file are refused with what to give instead', () => {
    expect(refusal(path.join(homeDir, 'nope'))).toMatch(/does not exist; give an existing folder/);
    expect(refusal(path.join(homeDir, 'notes.txt'))).toMatch(/is not a folder/);
  });

  it('an ordinary folder is shared read-only by default under /shared, a second of the same name gets -2', () => {
    const got = resolveFolders(
      [{ path: path.join(homeDir, 'site') }, { path: path.join(homeDir, 'a', 'site'), mode: 'rw' }],
      { dataDir, homeDir },
    );
    expect(got).toEqual([
      { path: path.join(homeDir, 'site'), mode: 'ro', mount: '/shared/site' },
      { path: path.join(homeDir, 'a', 'site'), mode: 'rw', mount: '/shared/site-2' },
    ]);
  });
});

// scripts/server-keyring.sh: a headless server's Secret Service, unlocked by a passphrase given on a descriptor or as a systemd credential.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = path.join(__dirname, 'server-keyring.sh');
const nodeModules = path.join(__dirname, '..', 'node_modules');
const KEY = `sk-test-${Date.now().toString(36)}-SERVERKEYRING`;
const haveTools = ['dbus-run-session', 'gnome-keyring-daemon', 'dbus-send'].every(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-server-keyring-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the script, then `node -e code` inside it; the passphrase (unless `null`) on descriptor 3, opened
 * on a file that is removed right after.
 */
function runWith(passphrase: string | null, code: string, extraEnv: NodeJS.ProcessEnv = {}) {
  if (passphrase === null) {
    const r = spawnSync(
      script,
      ['--keyring-dir', path.join(dir, 'data'), '--', process.execPath, '-e', code],
      {
        env: { PATH: process.env.PATH, HOME: dir, NODE_PATH: nodeModules, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
        encoding: 'utf8',
      },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const file = path.join(dir, 'pass');
  fs.writeFileSync(file, passphrase, { mode: 0o600 });
  const fd = fs.openSync(file, 'r');
  try {
    const args = ['--keyring-dir', path.join(dir, 'data'), '--passphrase-fd', '3'];
    const r = spawnSync(script, [...args, '--', process.execPath, '-e', code], {
      env: { PATH: process.env.PATH, HOME: dir, NODE_PATH: nodeModules, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe', fd],
      timeout: 60_000,
      encoding: 'utf8',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

const setKey = `const {Entry}=require('@napi-rs/keyring'); new Entry('agentdesk','provider:remote').setPassword(${JSON.stringify(KEY)}); console.log('stored')`;
const getKey = `const {Entry}=require('@napi-rs/keyring'); console.log('got:' + new Entry('agentdesk','provider:remote').getPassword())`;

/** Every file under `root`, recursively. */
function files(root: string): string[] {
  return fs
    .readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe.skipIf(!haveTools)('server-keyring.sh', () => {
  it('stores a key encrypted with the passphrase; a later start with the same passphrase reads it back', () => {
    const stored = runWith('correct horse battery', setKey);
    expect(stored.stderr.replace(/.*fd limit.*\n/g, '')).not.toContain('server-keyring:');
    expect(stored.stdout).toContain('stored');
    expect(stored.status).toBe(0);
    const keyrings = path.join(dir, 'data', 'keyrings');
    expect(fs.statSync(path.join(dir, 'data')).mode & 0o077).toBe(0);
    for (const f of files(keyrings)) {
      expect(fs.statSync(f).mode & 0o077, f).toBe(0);
      expect(fs.readFileSync(f).includes(Buffer.from(KEY)), f).toBe(false);
      expect(fs.readFileSync(f).includes(Buffer.from('correct horse')), f).toBe(false);
    }
    const read = runWith('correct horse battery', getKey);
    expect(read.stdout).toContain(`got:${KEY}`);
  });

  it('a wrong passphrase starts nothing (exit 4, saying why) and leaves the keyring as it was', () => {
    const wrong = runWith('not the passphrase', `console.log('STARTED')`);
    expect(wrong.status).toBe(4);
    expect(wrong.stdout).not.toContain('STARTED');
    expect(wrong.stderr).toMatch(/could not be unlocked/);
    expect(runWith('correct horse battery', getKey).stdout).toContain(`got:${KEY}`);
  });

  it('without a passphrase nothing starts (exit 3), naming the descriptor and the systemd credential', () => {
    const none = runWith(null, `console.log('STARTED')`);
    expect(none.status).toBe(3);
    expect(none.stdout).not.toContain('STARTED');
    expect(none.stderr).toMatch(/--passphrase-fd/);
    expect(none.stderr).toMatch(/LoadCredentialEncrypted/);
  });

  it('takes the passphrase from a systemd credential folder ($CREDENTIALS_DIRECTORY/agentdesk-keyring)', () => {
    const creds = fs.mkdtempSync(path.join(dir, 'creds-'));
    fs.writeFileSync(path.join(creds, 'agentdesk-keyring'), 'correct horse battery', { mode: 0o400 });
    const read = runWith(null, getKey, { CREDENTIALS_DIRECTORY: creds });
    expect(read.stdout).toContain(`got:${KEY}`);
  });

  it('never puts the passphrase on a command line or in the environment of what it starts', () => {
    const seen = runWith(
      'correct horse battery',
      `const fs=require('fs');let all='';for(const p of fs.readdirSync('/proc')){if(!/^\\d+$/.test(p))continue;try{all+=fs.readFileSync('/proc/'+p+'/cmdline','latin1')}catch{}}all+=JSON.stringify(process.env);console.log(all.includes(['correct','horse'].join(' '))?'LEAK':'clean')`,
    );
    expect(seen.stdout).toContain('clean');
  });
});

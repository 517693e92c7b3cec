// The remembered remote core, from the attacker's side: never a token in it; a file others could write, a link or another user's is refused; a malformed one names the fix; its flags stay single arguments in a login item.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { remoteOf } from '../cli/index';
import { parseRemote } from '../cli/remote';
import type { RemoteTarget } from '../cli/remote';
import { startsHidden } from './background';
import { autostartDesktopEntry, launchCommand } from './login-item';
import {
  chooseDesktopCore,
  forgetTarget,
  localRelaunchArgs,
  LOCAL_FLAG,
  readRememberedTarget,
  rememberedTargetFile,
  rememberTarget,
  RememberedTargetError,
  remoteArgs,
} from './remote-target';

const FP = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
const TOKEN = 'tok-' + 'Q'.repeat(40);

let home: string;
let tokenFile: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-remembered-'));
  tokenFile = path.join(home, 'server token');
  fs.writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const tls = (): RemoteTarget => parseRemote('https://server.example:47800', { fingerprint: FP, tokenFile });
const ssh = (): RemoteTarget =>
  parseRemote('ssh://deploy@server.example:2222', {
    remoteCommand: '/opt/agentdesk/bin/agentdesk --flag',
    remoteHome: '/srv/agent desk',
  });

/**
 * The argv a launcher builds from an Exec value, per the Desktop Entry spec ("The Exec key"), read
 * independently of login-item.ts: the `string` escapes (`\\` → `\`) first, then words split on
 * unquoted spaces, double-quoted words unescaping `\"`, `` \` ``, `\$`, `\\`; `%%` → `%`.
 */
function execArgv(exec: string): string[] {
  const value = exec.replace(/\\(.)/g, (_m, c: string) => (c === '\\' ? '\\' : `\\${c}`));
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && '"`$\\'.includes(value[i + 1] ?? '')) i++;
        word += value[i++];
      }
      if (value[i] !== '"') throw new Error(`unterminated quote in ${exec}`);
      i++;
    } else while (i < value.length && value[i] !== ' ') word += value[i++];
    out.push(word.replace(/%%/g, '%'));
  }
  return out;
}

describe('the remembered remote core', () => {
  it('round-trips TLS and SSH targets, mode 0600, and never holds the token', () => {
    rememberTarget(home, tls());
    const file = rememberedTargetFile(home);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toMatch(/"token"/);
    expect(JSON.parse(text)).toEqual({
      version: 1,
      remote: 'https://server.example:47800',
      fingerprint: FP,
      token_file: tokenFile,
    });
    expect(readRememberedTarget(home)?.target).toEqual(tls());

    rememberTarget(home, ssh());
    expect(readRememberedTarget(home)?.target).toEqual(ssh());
    // Nothing else was left in the data dir (no temporary file).
    expect(fs.readdirSync(home).sort()).toEqual(['remote-core.json', 'server token']);
    forgetTarget(home);
    expect(readRememberedTarget(home)).toBeNull();
    forgetTarget(home); // nothing to forget
  });

  it('a file holding a token is refused (tokens live in a token file, or come over SSH)', () => {
    rememberTarget(home, tls());
    const file = rememberedTargetFile(home);
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...json, token: TOKEN }), { mode: 0o600 });
    expect(() => readRememberedTarget(home)).toThrow(RememberedTargetError);
    expect(() => readRememberedTarget(home)).toThrow(/token/);
  });

  it('a file others can write (or read) is refused, naming chmod and --local', () => {
    rememberTarget(home, tls());
    const file = rememberedTargetFile(home);
    fs.chmodSync(file, 0o666);
    expect(() => readRememberedTarget(home)).toThrow(/not trusted.*mode 0666.*chmod 600/s);
    expect(() => readRememberedTarget(home)).toThrow(new RegExp(LOCAL_FLAG));
    fs.chmodSync(file, 0o644);
    expect(() => readRememberedTarget(home)).toThrow(/mode 0644/);
  });

  it('a link is refused, even to a well-formed private file the user owns', () => {
    const elsewhere = path.join(home, 'elsewhere.json');
    fs.writeFileSync(elsewhere, JSON.stringify({ version: 1, remote: 'ssh://attacker@evil.example' }), {
      mode: 0o600,
    });
    fs.symlinkSync(elsewhere, rememberedTargetFile(home));
    expect(() => readRememberedTarget(home)).toThrow(/not trusted.*not a regular file/s);
    // Remembering again replaces the link itself, never writes through it.
    rememberTarget(home, tls());
    expect(fs.lstatSync(rememberedTargetFile(home)).isFile()).toBe(true);
    expect(fs.readFileSync(elsewhere, 'utf8')).toContain('attacker@evil.example');
  });

  it('a file owned by another user is refused', () => {
    rememberTarget(home, tls());
    const file = rememberedTargetFile(home);
    const me = fs.statSync(file).uid;
    // As root, hand the file to nobody; as anyone else, ask as if we were another user.
    if (process.getuid?.() === 0) {
      fs.chownSync(file, 65534, 65534);
      expect(() => readRememberedTarget(home)).toThrow(/belongs to another user \(uid 65534\)/);
    } else expect(() => readRememberedTarget(home, me + 1)).toThrow(/belongs to another user/);
  });

  it('a malformed file is refused with a message naming the file and the fix, not a crash', () => {
    const file = rememberedTargetFile(home);
    fs.writeFileSync(file, '{ not json', { mode: 0o600 });
    expect(() => readRememberedTarget(home)).toThrow(`${file} is not JSON`);
    expect(() => readRememberedTarget(home)).toThrow(/--local.*--remote/);
    fs.writeFileSync(file, JSON.stringify({ version: 2, remote: 'x' }), { mode: 0o600 });
    expect(() => readRememberedTarget(home)).toThrow(/not a remembered remote core \(version/);
    // A well-formed file whose target the command line would refuse is refused the same way.
    fs.writeFileSync(file, JSON.stringify({ version: 1, remote: 'http://server:47800' }), { mode: 0o600 });
    expect(() => readRememberedTarget(home)).toThrow(/plain HTTP/);
    fs.writeFileSync(file, JSON.stringify({ version: 1, remote: 'ssh://-oProxyCommand=x@h' }), {
      mode: 0o600,
    });
    expect(() => readRememberedTarget(home)).toThrow(RememberedTargetError);
  });
});

describe('chooseDesktopCore', () => {
  it('--remote attaches there and remembers; no flag reattaches; --local forgets; both are refused', () => {
    const args = remoteArgs(tls());
    expect(chooseDesktopCore(home, args, remoteOf(args))).toEqual({
      kind: 'remote',
      target: tls(),
      from: 'argv',
    });
    expect(chooseDesktopCore(home, [], null)).toEqual({ kind: 'remote', target: tls(), from: 'remembered' });
    expect(() => chooseDesktopCore(home, [...args, LOCAL_FLAG], remoteOf(args))).toThrow(/not both/);
    expect(chooseDesktopCore(home, [LOCAL_FLAG], null)).toEqual({ kind: 'local', forgot: true });
    expect(fs.existsSync(rememberedTargetFile(home))).toBe(false);
    expect(chooseDesktopCore(home, [], null)).toEqual({ kind: 'local', forgot: false });
  });

  it('an untrusted remembered file stops the launch (no silent fallback to another core); --local clears it', () => {
    fs.writeFileSync(rememberedTargetFile(home), '[]', { mode: 0o666 });
    fs.chmodSync(rememberedTargetFile(home), 0o666);
    expect(() => chooseDesktopCore(home, [], null)).toThrow(RememberedTargetError);
    expect(chooseDesktopCore(home, [LOCAL_FLAG], null).kind).toBe('local');
    expect(fs.existsSync(rememberedTargetFile(home))).toBe(false);
  });
});

describe('the flags of a login launch on a remote core', () => {
  it('read back to the same target, one word per option', () => {
    for (const t of [tls(), ssh(), parseRemote('ssh://me@[fe80::1]')]) {
      const args = remoteArgs(t);
      expect(args.every((a) => a.startsWith('--') && a.includes('='))).toBe(true);
      expect(remoteOf(args)).toEqual(t);
    }
  });

  it('a value that looks like a flag stays the value: a remote home of `--hidden` does not start the app hidden', () => {
    const t = parseRemote('ssh://deploy@server', { remoteHome: '--hidden' });
    const argv = ['/usr/bin/agentdesk', ...remoteArgs(t)];
    expect(remoteOf(argv.slice(1))).toEqual(t);
    expect(startsHidden({ argv, startHiddenSetting: false, openedAtLogin: false, trayAvailable: true })).toBe(
      false,
    );
    expect(argv).not.toContain(LOCAL_FLAG);
  });

  it('a token file path with spaces and shell metacharacters stays one argument in the autostart Exec line', () => {
    const nasty = path.join(home, 'a b;$(touch pwned)`id`"q"\\x & |*?#~%');
    fs.writeFileSync(nasty, TOKEN, { mode: 0o600 });
    const t = parseRemote('https://server.example:47800', { fingerprint: FP, tokenFile: nasty });
    const command = launchCommand({
      isPackaged: true,
      execPath: '/opt/Agent Desk/agentdesk',
      appPath: '/unused',
      env: {},
      args: remoteArgs(t),
    });
    const entry = autostartDesktopEntry(command, true);
    const exec = /^Exec=(.*)$/m.exec(entry)?.[1] ?? '';
    expect(execArgv(exec)).toEqual([...command, '--hidden']);
    expect(remoteOf(execArgv(exec).slice(1))).toEqual(t);
  });

  it('a newline in a remembered path cannot become a second Exec line: the login item is refused', () => {
    const t = parseRemote('https://server.example:47800', {
      fingerprint: FP,
      tokenFile: '/tmp/x\nExec=/bin/sh -c evil',
    });
    const command = launchCommand({
      isPackaged: true,
      execPath: '/usr/bin/agentdesk',
      appPath: '/unused',
      args: remoteArgs(t),
    });
    expect(() => autostartDesktopEntry(command, false)).toThrow(/control characters/);
  });

  it('"Use this computer\'s core" relaunches without the remote flags (either form) nor --hidden, with --local', () => {
    expect(
      localRelaunchArgs([
        '.',
        '--remote',
        'https://s:1',
        '--fingerprint=x',
        '--token-file',
        '/t',
        '--remote-home=/h',
        '--hidden',
        '--inspect',
      ]),
    ).toEqual(['.', '--inspect', LOCAL_FLAG]);
  });
});

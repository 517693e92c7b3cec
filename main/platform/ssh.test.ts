import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkDestination,
  classifySshFailure,
  shellQuote,
  sshArgs,
  SshAuthError,
  SshDestinationError,
  sshExec,
  sshForward,
  SshHostKeyChangedError,
  sshSettingsFor,
  sshStream,
  SshUnreachableError,
  type SshSettings,
} from './ssh';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-unit-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
const settings: SshSettings = { dataDir: home, configFile: null, env: { PATH: '/usr/bin:/bin' } };
const dest = { user: 'deploy', host: 'build.example.net', port: 2222 };

describe('sshArgs', () => {
  it('takes the config file and environment from the core options', () => {
    const env = { PATH: '/bin' };
    expect(sshSettingsFor({ sshConfigFile: '/t/cfg', env }, '/data')).toEqual({
      dataDir: '/data',
      configFile: '/t/cfg',
      env,
    });
  });

  it('builds batch, strict, multiplexed arguments ending in -- host and the quoted command', () => {
    const args = sshArgs({ ...settings, configFile: '/etc/test_ssh_config' }, dest, [
      'docker',
      'system',
      'dial-stdio',
    ]);
    expect(args.slice(0, 2)).toEqual(['-F', '/etc/test_ssh_config']);
    expect(args).toContain('BatchMode=yes');
    expect(args).toContain('StrictHostKeyChecking=yes');
    expect(args).toContain('ControlMaster=auto');
    expect(args).toContain(`ControlPath=${path.join(home, 'ssh', '%C')}`);
    expect(args.slice(-9)).toEqual([
      '-p',
      '2222',
      '-l',
      'deploy',
      '--',
      'build.example.net',
      'docker',
      'system',
      'dial-stdio',
    ]);
    expect(fs.statSync(path.join(home, 'ssh')).mode & 0o777).toBe(0o700);
  });

  it('passes no -F without a config file, and no connection sharing when asked', () => {
    const args = sshArgs(settings, dest, [], { multiplex: false, extra: ['-N'] });
    expect(args).not.toContain('-F');
    expect(args).toContain('ControlPath=none');
    expect(args.indexOf('-N')).toBeLessThan(args.indexOf('--'));
  });

  it('quotes remote words for the remote shell', () => {
    expect(shellQuote('dial-stdio')).toBe('dial-stdio');
    expect(shellQuote("a b'; rm -rf /")).toBe(`'a b'\\''; rm -rf /'`);
    expect(shellQuote('$(id)')).toBe(`'$(id)'`);
  });
});

describe('destinations that could inject ssh options are refused', () => {
  const bad = [
    { user: '-oProxyCommand=touch /tmp/x', host: 'h', port: 22 },
    { user: 'u', host: '-oProxyCommand=touch /tmp/x', port: 22 },
    { user: 'u', host: 'h -oProxyCommand=x', port: 22 },
    { user: 'u', host: 'h\n-oProxyCommand=x', port: 22 },
    { user: 'u u', host: 'h', port: 22 },
    { user: 'u\tx', host: 'h', port: 22 },
    { user: 'u', host: 'evil@h', port: 22 },
    { user: 'u', host: 'ssh://h', port: 22 },
    { user: 'u', host: 'h%n', port: 22 },
    { user: '', host: 'h', port: 22 },
    { user: 'u', host: '', port: 22 },
    { user: 'u', host: 'h', port: 0 },
    { user: 'u', host: 'h', port: 70000 },
    { user: 'u', host: 'h', port: 22.5 },
  ];
  for (const d of bad) {
    it(`refuses ${JSON.stringify(d)}`, () => {
      expect(() => checkDestination(d)).toThrow(SshDestinationError);
      expect(() => sshArgs(settings, d, ['true'])).toThrow(SshDestinationError);
      expect(() => sshStream(settings, d, ['true'])).toThrow(SshDestinationError);
      expect(() =>
        sshForward(settings, d, { kind: 'local', localSocket: '/tmp/x.sock', remotePort: 80 }),
      ).toThrow(SshDestinationError);
    });
  }
  it('refuses before running anything', async () => {
    await expect(sshExec(settings, bad[1]!, ['true'])).rejects.toThrow(SshDestinationError);
  });
  it('accepts plain names, addresses and IPv6', () => {
    for (const d of [
      dest,
      { user: 'root', host: '10.0.0.5', port: 22 },
      { user: 'a_b.c', host: 'fe80::1', port: 22 },
    ])
      expect(() => checkDestination(d)).not.toThrow();
  });
  it('refuses forward socket paths that are not plain absolute paths', () => {
    expect(() => sshForward(settings, dest, { kind: 'remote', remoteSocket: 'rel/x', localPort: 1 })).toThrow(
      /socket path/,
    );
    expect(() =>
      sshForward(settings, dest, { kind: 'remote', remoteSocket: '/x y:1', localPort: 1 }),
    ).toThrow(/socket path/);
  });
});

describe('classifySshFailure', () => {
  it('reads a changed host key with the fingerprint ssh printed', async () => {
    const stderr = [
      '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
      '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      'The fingerprint for the ED25519 key sent by the remote host is',
      'SHA256:mIiXbbKdG0t8n1yUJQNuD1a0xN0V1mvsp+PrY1n4mv4.',
      'Host key verification failed.',
    ].join('\n');
    const err = await classifySshFailure(settings, dest, stderr);
    expect(err).toBeInstanceOf(SshHostKeyChangedError);
    expect((err as SshHostKeyChangedError).fingerprint).toBe(
      'SHA256:mIiXbbKdG0t8n1yUJQNuD1a0xN0V1mvsp+PrY1n4mv4',
    );
    expect(err.message).toContain('SHA256:mIiXbbKdG0t8n1yUJQNuD1a0xN0V1mvsp+PrY1n4mv4');
  });
  it('reads refused logins and unreachable hosts', async () => {
    expect(
      await classifySshFailure(settings, dest, 'deploy@h: Permission denied (publickey).'),
    ).toBeInstanceOf(SshAuthError);
    expect(
      await classifySshFailure(settings, dest, 'ssh: connect to host h port 2222: Connection refused'),
    ).toBeInstanceOf(SshUnreachableError);
    expect(
      await classifySshFailure(
        settings,
        dest,
        'ssh: Could not resolve hostname h: Name or service not known',
      ),
    ).toBeInstanceOf(SshUnreachableError);
  });
});

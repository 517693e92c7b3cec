// The system ssh client against a throwaway sshd (test/sshd.ts): exec, streams, forwards, host key errors.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessReal } from '../../test/real';
import { sshdAvailable, startSshd, type TestSshd } from '../../test/sshd';
import {
  sshCheck,
  sshCloseMaster,
  sshExec,
  sshForward,
  SshAuthError,
  SshHostKeyChangedError,
  SshHostKeyUnknownError,
  sshStream,
  SshUnreachableError,
  type SshSettings,
} from './ssh';

const skip = skipUnlessReal(sshdAvailable(), 'root with /usr/sbin/sshd (the sshd fixture)');

describe.skipIf(skip)('system ssh against a throwaway sshd', () => {
  let sshd: TestSshd;
  let home: string;
  let settings: SshSettings;

  beforeAll(async () => {
    sshd = await startSshd();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-it-'));
    settings = { dataDir: home, configFile: sshd.sshConfigFile, env: { PATH: process.env.PATH, HOME: home } };
  });
  afterAll(async () => {
    if (settings) await sshCloseMaster(settings, sshd.destination);
    await sshd?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('runs a command, quoting words for the remote shell, over one shared connection', async () => {
    const r = await sshExec(settings, sshd.destination, ['printf', '%s|', 'a b', "it's", '$(id)']);
    expect(r.stdout).toBe("a b|it's|$(id)|");
    const sockets = fs.readdirSync(path.join(home, 'ssh'));
    expect(sockets).toHaveLength(1);
    expect(fs.statSync(path.join(home, 'ssh')).mode & 0o777).toBe(0o700);
  });

  it('streams bytes both ways through a remote command', async () => {
    const s = sshStream(settings, sshd.destination, ['cat']);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => s.once('end', r));
    s.write('hello ');
    s.end('world');
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('hello world');
  });

  it('forwards a remote unix socket to a local port, and a local unix socket to a remote port', async () => {
    const srv = http.createServer((_q, res) => res.end('from-here'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    const remoteSocket = path.join(sshd.dir, 'gw.sock');
    const fwd = sshForward(settings, sshd.destination, { kind: 'remote', remoteSocket, localPort: port });
    try {
      await fwd.ready();
      // The fixture's "remote" host is this machine: the remote socket is a local file here.
      const body = await new Promise<string>((resolve, reject) =>
        http
          .get({ socketPath: remoteSocket, path: '/' }, (res) => {
            let b = '';
            res.on('data', (c) => (b += c)).on('end', () => resolve(b));
          })
          .on('error', reject),
      );
      expect(body).toBe('from-here');

      const localSocket = path.join(home, 'core.sock');
      const lfwd = sshForward(settings, sshd.destination, { kind: 'local', localSocket, remotePort: port });
      await lfwd.ready();
      expect(fs.statSync(localSocket).mode & 0o077).toBe(0);
      const body2 = await new Promise<string>((resolve, reject) =>
        http
          .get({ socketPath: localSocket, path: '/' }, (res) => {
            let b = '';
            res.on('data', (c) => (b += c)).on('end', () => resolve(b));
          })
          .on('error', reject),
      );
      expect(body2).toBe('from-here');
      await lfwd.stop();
      expect(fs.existsSync(localSocket)).toBe(false);
    } finally {
      await fwd.stop();
      srv.close();
    }
  });

  it('restarts a forward whose ssh died', async () => {
    const srv = net.createServer((c) => c.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const remotePort = (srv.address() as net.AddressInfo).port;
    const localSocket = path.join(home, 'restart.sock');
    const fwd = sshForward(settings, sshd.destination, { kind: 'local', localSocket, remotePort });
    try {
      await fwd.ready();
      const pid = fwd.status().pid!;
      process.kill(pid, 'SIGKILL');
      const t0 = Date.now();
      while (!(fwd.status().state === 'ready' && fwd.status().pid !== pid) && Date.now() - t0 < 15_000)
        await new Promise((r) => setTimeout(r, 100));
      expect(fwd.status().state).toBe('ready');
      expect(fwd.status().restarts).toBe(1);
    } finally {
      await fwd.stop();
      srv.close();
    }
  });

  it('refuses a changed host key with the fingerprint ssh printed, and an unknown host with its fingerprint', async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-it-rekey-'));
    const s2: SshSettings = { ...settings, dataDir: fresh };
    try {
      const newFp = await sshd.rekey();
      const err = await sshCheck(s2, sshd.destination).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshHostKeyChangedError);
      expect((err as SshHostKeyChangedError).fingerprint).toBe(newFp);
      expect((err as Error).message).toContain(newFp);

      sshd.forgetHostKey();
      const err2 = await sshCheck(s2, sshd.destination).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(SshHostKeyUnknownError);
      expect((err2 as SshHostKeyUnknownError).fingerprints.join(' ')).toContain(newFp);
      expect((err2 as SshHostKeyUnknownError).hint).toMatch(/ssh .* true/);

      sshd.trustHostKey();
      await sshCheck(s2, sshd.destination);
      await sshCloseMaster(s2, sshd.destination);
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('reports a refused login and an unreachable host', async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-it-auth-'));
    const cfg = path.join(fresh, 'ssh_config');
    fs.writeFileSync(
      cfg,
      fs
        .readFileSync(sshd.sshConfigFile, 'utf8')
        .replace(/IdentityFile .*/, `IdentityFile ${path.join(fresh, 'none')}`),
    );
    const s3: SshSettings = { ...settings, dataDir: fresh, configFile: cfg };
    try {
      await expect(sshCheck(s3, sshd.destination)).rejects.toBeInstanceOf(SshAuthError);
      const closed = { ...sshd.destination, port: 1 };
      await expect(sshCheck(s3, closed)).rejects.toBeInstanceOf(SshUnreachableError);
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });
});

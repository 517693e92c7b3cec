// `agentdesk --remote`: the CLI attached to a second core (own data dir, its keyring unlocked by server-keyring.sh) through a real sshd, and over TLS; provider keys stay on the server.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../contract/client';
import { buildChildCore, processesMentioning, startChildCore } from '../../test/faults/child-core';
import type { ChildCore } from '../../test/faults/child-core';
import { sshdAvailable, startSshd } from '../../test/sshd';
import type { TestSshd } from '../../test/sshd';
import { testOptions } from '../../test/app-options';
import { serve } from './serve';
import type { Served } from './serve';
import { buildProgram } from './index';
import type { CliIo } from './providers';
import { followEvents, httpTransport } from './http-client';
import { attachRemote, parseRemote } from './remote';
import { attachDesktopCore } from '../electron/remote-core';
import type { RemoteCore } from './remote';

const root = path.resolve(__dirname, '..', '..');
const KEY1 = `sk-remote-${Date.now().toString(36)}-FIRSTKEYNEVERLEAVES`;
const KEY2 = `sk-remote-${Date.now().toString(36)}-SECONDKEYNEVERLEAVES`;
const haveTools = sshdAvailable() && fs.existsSync('/usr/bin/gnome-keyring-daemon');

let built: { entry: string; remove: () => void };
let sshd: TestSshd;
let serverHome: string;
let clientHome: string;
let creds: string;
let server: ChildCore;

/** Runs `agentdesk <args>` in this process with stdin `stdin`, capturing what it prints. */
async function cli(args: string[], stdin: string | null = null, extraEnv: Record<string, string> = {}) {
  let out = '';
  let err = '';
  let code = 0;
  const app = testOptions({ AGENTDESK_SSH_CONFIG: sshd?.sshConfigFile, ...extraEnv });
  const io: CliIo = {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: app.env,
    app,
    setExitCode: (c) => (code = c),
    readStdin: () => Promise.resolve(stdin),
  };
  try {
    await buildProgram(io).parseAsync(['node', 'agentdesk', ...args]);
  } catch (e) {
    err += String(e);
    code = code || 1;
  }
  return { out, err, code };
}

/** The `--remote` arguments of the SSH target. */
const sshRemote = () => [
  '--home',
  clientHome,
  '--remote',
  `ssh://root@127.0.0.1:${sshd.destination.port}`,
  '--remote-command',
  `${process.execPath} ${built.entry}`,
  '--remote-home',
  serverHome,
];

/** Every file under `dir` (recursively), as bytes. */
function allFiles(dir: string): Buffer[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name)));
}

beforeAll(async () => {
  if (!haveTools) return;
  built = await buildChildCore();
  sshd = await startSshd();
  serverHome = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-server-'));
  clientHome = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-client-'));
  // The server core's keyring passphrase, as systemd would hand it over (LoadCredentialEncrypted=).
  creds = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-creds-'));
  fs.writeFileSync(path.join(creds, 'agentdesk-keyring'), 'server passphrase', { mode: 0o400 });
  server = await startChildCore(
    built.entry,
    serverHome,
    { CREDENTIALS_DIRECTORY: creds, AGENTDESK_OFFLINE: '1' },
    (argv) => [
      path.join(root, 'scripts', 'server-keyring.sh'),
      '--keyring-dir',
      path.join(serverHome, 'keyring'),
      '--',
      ...argv,
    ],
  );
}, 180_000);

afterAll(async () => {
  // SIGTERM to the core itself: it stops, then server-keyring.sh's D-Bus session and keyring daemon end with it.
  if (serverHome)
    for (const pid of processesMentioning(serverHome))
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === process.execPath)
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
  if (server) await Promise.race([server.exited, new Promise((r) => setTimeout(r, 20_000))]);
  server?.kill();
  await sshd?.stop();
  built?.remove();
  for (const d of [serverHome, clientHome, creds]) if (d) fs.rmSync(d, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!haveTools)('agentdesk --remote ssh://', () => {
  it('runs a command against the server core through an SSH forward it opens itself', async () => {
    const r = await cli([...sshRemote(), 'status', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toHaveProperty('components');
    // The forward and its socket folder are gone afterwards; the token never was on a command line.
    expect(
      fs
        .readdirSync(os.tmpdir())
        .filter(
          (n) => n.startsWith('agentdesk-remote-') && fs.existsSync(path.join(os.tmpdir(), n, 'core.sock')),
        ),
    ).toEqual([]);
  }, 60_000);

  it('a provider key added through the remote CLI is stored on the server only: nothing on the client side holds it', async () => {
    const added = await cli(
      [...sshRemote(), 'providers', 'add', 'openai', '--key-stdin', '--no-probe', '--json'],
      KEY1,
    );
    expect(added.err).toBe('');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({ id: 'openai', key: { state: 'set' } });

    // A second session through a recording proxy: everything the client receives, events included,
    // while the key is replaced, listed, shown and tested.
    const target = parseRemote(`ssh://root@127.0.0.1:${sshd.destination.port}`, {
      remoteCommand: `${process.execPath} ${built.entry}`,
      remoteHome: serverHome,
    });
    const remote: RemoteCore = await attachRemote(target, {
      dataDir: clientHome,
      configFile: sshd.sshConfigFile,
      env: process.env,
    });
    const received: Buffer[] = [];
    const sent: Buffer[] = [];
    const proxyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-proxy-'));
    const proxySock = path.join(proxyDir, 'p.sock');
    const proxy = net.createServer((c) => {
      const up = net.connect(remote.endpoint.socketPath!);
      c.on('data', (d: Buffer) => sent.push(d));
      up.on('data', (d: Buffer) => received.push(d));
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => proxy.listen(proxySock, r));
    try {
      const client = createClient(httpTransport({ ...remote.endpoint, socketPath: proxySock }));
      const events: string[] = [];
      const stream = new AbortController();
      void followEvents(
        { ...remote.endpoint, socketPath: proxySock },
        (name) => events.push(name),
        stream.signal,
      ).catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
      const edited = await client.providers.edit({ id: 'openai', key: KEY2 });
      expect(edited.key.state).toBe('set');
      const listed = await client.providers.list({});
      expect(listed.find((p) => p.id === 'openai')?.key.last4).toBe(KEY2.slice(-4));
      await client.providers.get({ id: 'openai' });
      await client.providers.test({ id: 'openai' }).catch(() => undefined);
      await client.settings.get({});
      await client.system.health({ refresh: true });
      await new Promise((r) => setTimeout(r, 500));
      stream.abort();
      const inbound = Buffer.concat(received);
      expect(inbound.length).toBeGreaterThan(1000);
      for (const key of [KEY1, KEY2]) {
        expect(inbound.includes(Buffer.from(key))).toBe(false);
        expect(inbound.includes(Buffer.from(key.slice(0, 24)))).toBe(false);
      }
      // Positive control: the recorder sees what the client sent (the new key went up, once).
      expect(Buffer.concat(sent).includes(Buffer.from(KEY2))).toBe(true);
    } finally {
      proxy.close();
      await remote.close();
      fs.rmSync(proxyDir, { recursive: true, force: true });
    }

    // The CLI's own output, and every file on the client side (its data dir, the ssh folder), hold neither key.
    expect(added.out + added.err).not.toContain(KEY1);
    for (const f of allFiles(clientHome)) {
      expect(f.includes(Buffer.from(KEY1))).toBe(false);
      expect(f.includes(Buffer.from(KEY2))).toBe(false);
    }
    // On the server, the key is in its keyring, encrypted: no file of its data dir holds it in clear.
    for (const f of allFiles(serverHome)) {
      expect(f.includes(Buffer.from(KEY1))).toBe(false);
      expect(f.includes(Buffer.from(KEY2))).toBe(false);
    }
  }, 120_000);

  it('the desktop shell’s remote core answers calls and delivers the server’s events through the forward', async () => {
    const target = parseRemote(`ssh://root@127.0.0.1:${sshd.destination.port}`, {
      remoteCommand: `${process.execPath} ${built.entry}`,
      remoteHome: serverHome,
    });
    const core = await attachDesktopCore(target, {
      dataDir: clientHome,
      configFile: sshd.sshConfigFile,
      env: process.env,
    });
    try {
      expect(core.remoteLabel).toBe(`root@127.0.0.1:${sshd.destination.port}`);
      const info = await core.dispatcher.dispatch('system.info', {}, { transport: 'ipc' });
      expect(info.ok && (info.value as { data_dir: string }).data_dir).toBe(serverHome);
      const names: string[] = [];
      const off = core.bus.onAny((name) => names.push(name));
      await new Promise((r) => setTimeout(r, 500));
      await core.dispatcher.dispatch(
        'providers.edit',
        { id: 'openai', name: 'OpenAI (server)' },
        { transport: 'ipc' },
      );
      for (let i = 0; i < 50 && names.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      off();
      expect(names.length).toBeGreaterThan(0);
      // What is refused over HTTP stays refused from a remote desktop (decision 008).
      const forbidden = await core.dispatcher.dispatch(
        'settings.update',
        { litellm_command: '/usr/bin/true' },
        { transport: 'ipc' },
      );
      expect(!forbidden.ok && forbidden.error.code).toBe('FORBIDDEN');
    } finally {
      await core.shutdown();
    }
  }, 60_000);

  it('the desktop waits for a server core that is down at launch, and attaches again by itself after it restarts (another port, a new token)', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-restart-'));
    const target = parseRemote(`ssh://root@127.0.0.1:${sshd.destination.port}`, {
      remoteCommand: `${process.execPath} ${built.entry}`,
      remoteHome: home,
    });
    let served: Served | null = null;
    const core = await attachDesktopCore(
      target,
      { dataDir: clientHome, configFile: sshd.sshConfigFile, env: process.env },
      undefined,
      undefined,
      { waitIfDown: true, timing: { afterMs: 1000, firstMs: 500, maxMs: 2000 } },
    );
    const states: boolean[] = [];
    const dataDir = async () => {
      const r = await core.dispatcher.dispatch('system.info', {}, { transport: 'ipc' });
      return r.ok ? (r.value as { data_dir: string }).data_dir : r.error.code;
    };
    try {
      core.onStream((open) => states.push(open));
      const off = core.bus.onAny(() => {});
      expect(await dataDir()).toBe('UNAVAILABLE'); // nothing serves `home` yet: a window that waits
      served = await serve({ home, app: testOptions(), port: 0, healthIntervalMs: 0 });
      await vi.waitFor(() => expect(states).toEqual([true]), { timeout: 60_000, interval: 200 });
      expect(await dataDir()).toBe(home);
      const first = { port: served.http.port, token: served.token };
      await served.stop();
      served = null;
      served = await serve({ home, app: testOptions(), port: 0, healthIntervalMs: 0 });
      expect(served.token).not.toBe(first.token);
      // Reopened through a new forward to the new port with the new token, read over SSH.
      await vi.waitFor(() => expect(states.filter(Boolean)).toHaveLength(2), {
        timeout: 60_000,
        interval: 200,
      });
      expect(await dataDir()).toBe(home);
      off();
    } finally {
      await core.shutdown();
      if (served) await served.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 150_000);

  it('says so when no core runs in the remote data dir, or agentdesk is not found there', async () => {
    const args = sshRemote();
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-empty-'));
    try {
      args[args.indexOf('--remote-home') + 1] = empty;
      const r = await cli([...args, 'agents', 'list']);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/root@127\.0\.0\.1: Agent Desk is not running for .*agentdesk-remote-empty-/);
      args[args.indexOf('--remote-command') + 1] = 'agentdesk-not-installed-here';
      const missing = await cli([...args, 'agents', 'list']);
      expect(missing.err).toMatch(/is not found on root@127\.0\.0\.1.*--remote-command/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);

  it('serve with --remote is refused: a core is served on its own machine', async () => {
    const r = await cli([...sshRemote(), 'serve', '--port', '0']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/on the server itself/);
    expect(fs.existsSync(path.join(clientHome, 'control.json'))).toBe(false);
  });

  it('settings set of a local-only setting is refused with --remote, naming the server (no local database is touched)', async () => {
    const r = await cli([...sshRemote(), 'settings', 'set', 'litellm_command', '/usr/bin/true']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/on the server itself/);
    expect(fs.existsSync(path.join(clientHome, 'agentdesk.db'))).toBe(false);
  });

  it('refuses a server whose host key changed, with the fingerprint, before reading any token', async () => {
    const fp = await sshd.rekey();
    try {
      const r = await cli([...sshRemote(), 'agents', 'list']);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/host key .* has changed/i);
      expect(r.err).toContain(fp);
    } finally {
      sshd.trustHostKey();
    }
  }, 60_000);
});

describe.skipIf(!haveTools)('agentdesk --remote https://', () => {
  let tlsHome: string;
  let served: Served;
  beforeAll(async () => {
    tlsHome = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-tls-'));
    served = await serve({ home: tlsHome, app: testOptions(), port: 0, tls: true, healthIntervalMs: 0 });
  }, 60_000);
  afterAll(async () => {
    await served?.stop();
    fs.rmSync(tlsHome, { recursive: true, force: true });
  });

  it('runs a command with the pinned fingerprint and a private token file; refuses a readable token file and a wrong pin', async () => {
    const tokenFile = path.join(clientHome, 'token');
    fs.writeFileSync(tokenFile, served.token + '\n', { mode: 0o600 });
    const base = [
      '--home',
      clientHome,
      '--remote',
      `https://127.0.0.1:${served.http.port}`,
      '--token-file',
      tokenFile,
    ];
    const ok = await cli([...base, '--fingerprint', served.tls!.fingerprint, 'settings', 'get', '--json']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);

    const wrong = await cli([
      ...base,
      '--fingerprint',
      `SHA256:${Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '')}`,
      'settings',
      'get',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toContain('not the pinned');

    fs.chmodSync(tokenFile, 0o644);
    const readable = await cli([...base, '--fingerprint', served.tls!.fingerprint, 'settings', 'get']);
    expect(readable.code).not.toBe(0);
    expect(readable.err).toMatch(/chmod 600/);

    const plain = await cli([
      '--home',
      clientHome,
      '--remote',
      `http://127.0.0.1:${served.http.port}`,
      'settings',
      'get',
    ]);
    expect(plain.code).not.toBe(0);
    expect(plain.err).toMatch(/plain HTTP/);
  }, 60_000);
});

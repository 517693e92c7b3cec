// The runtime forwarder's own rules without an engine: a private folder, no stale file followed, a fixed command, a connection closed when the engine cannot exec.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPE_PROGRAM, pipeCommand, RuntimeForwarder } from './runtime-forwarder';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-fwd-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An engine whose exec always fails (the container stopped meanwhile). */
const failingEngine = {
  getContainer: () => ({
    exec: () => Promise.reject(Object.assign(new Error('container is not running'), { statusCode: 409 })),
  }),
} as unknown as Dockerode;

describe('RuntimeForwarder', () => {
  it('runs one fixed command: absolute node, the constant program, an integer port', () => {
    expect(pipeCommand(8100)).toEqual(['/usr/local/bin/node', '-e', PIPE_PROGRAM, '8100']);
    for (const bad of [0, 65536, 1.5, Number.NaN]) expect(() => pipeCommand(bad)).toThrow(/not valid/);
  });

  it('makes its folder 0700 and each socket 0600; a second open is the same socket', async () => {
    const f = new RuntimeForwarder({ docker: failingEngine, dir: path.join(dir, 'a') });
    const ep = await f.open('agentdesk-x', 8100);
    expect(ep).toEqual({ kind: 'unix', socketPath: path.join(dir, 'a', 'agentdesk-x.sock') });
    expect(fs.statSync(path.join(dir, 'a')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'a', 'agentdesk-x.sock')).mode & 0o777).toBe(0o600);
    expect(await f.open('agentdesk-x', 8100)).toEqual(ep);
    await f.close('agentdesk-x');
    expect(fs.existsSync(path.join(dir, 'a', 'agentdesk-x.sock'))).toBe(false);
  });

  it('closes a connection at once when the engine cannot run the exec', async () => {
    const warned: string[] = [];
    const f = new RuntimeForwarder({
      docker: failingEngine,
      dir: path.join(dir, 'b'),
      log: { warn: (_o, m) => warned.push(m) },
    });
    const ep = (await f.open('agentdesk-y', 8100)) as { socketPath: string };
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect(ep.socketPath);
      s.on('error', () => undefined);
      s.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 3000).unref();
    });
    expect(closed).toBe(true);
    expect(warned).toEqual(['runtime forwarder could not reach the container']);
    await f.closeAll();
  });

  it('refuses a folder open to others, a file that is not a socket, a bad name, a path too long', async () => {
    const open = path.join(dir, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    await expect(
      new RuntimeForwarder({ docker: failingEngine, dir: open }).open('agentdesk-z', 8100),
    ).rejects.toThrow(/mode 0700.*chmod 700/);
    const c = path.join(dir, 'c');
    fs.mkdirSync(c, { mode: 0o700 });
    fs.writeFileSync(path.join(c, 'agentdesk-z.sock'), 'not a socket');
    await expect(
      new RuntimeForwarder({ docker: failingEngine, dir: c }).open('agentdesk-z', 8100),
    ).rejects.toThrow(/not a socket/);
    const f = new RuntimeForwarder({ docker: failingEngine, dir: path.join(dir, 'd') });
    expect(() => f.socketPath('../etc')).toThrow(/not valid/);
    expect(() =>
      new RuntimeForwarder({ docker: failingEngine, dir: `/${'x'.repeat(100)}` }).socketPath('agentdesk-z'),
    ).toThrow(/longer than 107 bytes/);
  });
});
